//! The storage liar: a real Dave node that accepts every PUT but keeps only a fraction `keep`
//! of the valid records it is sent (0 drops them all), and answers GETs — storage challenges
//! included — honestly for what it kept.
//!
//! Which records it keeps is a deterministic rule, not a running coin: record `r` is kept iff
//! `H(liar seed, r) / 2^64 < keep`. The same record pushed twice (a re-propagation, a second
//! writer's PUT) therefore meets the same decision, as it would with a real liar that wants to
//! look consistent, and over `n` distinct records the number kept is Binomial(n, keep).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use dave_core::crypto::Crypto;
use dave_core::node::Node;
use dave_core::wire::{Limits, Message};

use super::shell::NodeShell;
use super::{AdversaryEvent, AttackCounters, Attacker};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};

/// A storage liar at one address.
pub struct Liar {
    shell: NodeShell,
    keep: f64,
    seed: [u8; 32],
    crypto: Arc<dyn Crypto>,
    limits: Limits,
    /// Records decided "drop", so a second PUT of one is neither stored nor counted again.
    dropped: BTreeSet<u64>,
}

/// Whether a liar with `seed` keeps record `record` when told to keep `keep` of them.
pub fn keeps(seed: &[u8; 32], record: u64, keep: f64) -> bool {
    let mut h = blake3::Hasher::new_derive_key("dave-sim v1 liar keep");
    h.update(seed);
    h.update(&record.to_le_bytes());
    let mut draw = [0u8; 8];
    draw.copy_from_slice(&h.finalize().as_bytes()[..8]);
    // 53 random bits as a uniform value in [0, 1).
    let unit = (u64::from_le_bytes(draw) >> 11) as f64 / (1u64 << 53) as f64;
    unit < keep
}

impl Liar {
    /// A liar around `node` (built with the group's key, edges and RNG seed), keeping `keep`
    /// (clamped to 0..=1) of the valid records it accepts; `seed` fixes which. `crypto` is
    /// the provider the node verifies with.
    pub fn new(node: Node, keep: f64, seed: [u8; 32], crypto: Arc<dyn Crypto>) -> Liar {
        let limits = Limits {
            npeer_limit: node.config().npeer_limit,
            referrals: node.config().referrals,
        };
        Liar {
            shell: NodeShell::new(node),
            keep: keep.clamp(0.0, 1.0),
            seed,
            crypto,
            limits,
            dropped: BTreeSet::new(),
        }
    }

    /// The node inside (its table and store, for metrics and tests).
    pub fn node(&self) -> &Node {
        self.shell.node()
    }

    /// What the liar does with a datagram.
    fn judge(&self, now: SimTime, bytes: &[u8]) -> Verdict {
        let Ok(Message::Put(dat)) = Message::decode_with(bytes, &self.limits) else {
            return Verdict::Pass;
        };
        let record = dat.record_id();
        if self.dropped.contains(&record.0) {
            return Verdict::Ignore;
        }
        if self.shell.node().holds(record) {
            return Verdict::Pass;
        }
        let rules = self.shell.node().config().verify_rules();
        match dat.verify(now.0 / 1000, &rules, self.crypto.as_ref()) {
            Ok(()) => Verdict::Decide(record.0),
            Err(_) => Verdict::Pass,
        }
    }
}

/// How the liar treats one incoming datagram.
enum Verdict {
    /// Not a new valid record: the node handles it as usual.
    Pass,
    /// A PUT of a record already dropped: dropped again, silently.
    Ignore,
    /// A PUT of a new valid record: keep or drop it by [`keeps`].
    Decide(u64),
}

impl SimHost for Liar {
    type Event = AdversaryEvent;

    fn handle_datagram(&mut self, now: SimTime, from: SocketAddr, bytes: &[u8]) {
        match self.judge(now, bytes) {
            Verdict::Pass => {}
            Verdict::Ignore => return,
            Verdict::Decide(record) if keeps(&self.seed, record, self.keep) => {
                self.shell.counters_mut().records_kept += 1;
                self.shell.report(AdversaryEvent::RecordKept(record));
            }
            Verdict::Decide(record) => {
                self.dropped.insert(record);
                self.shell.counters_mut().records_dropped += 1;
                self.shell.report(AdversaryEvent::RecordDropped(record));
                return;
            }
        }
        self.shell.deliver(now, from, bytes);
    }

    fn handle_timeout(&mut self, now: SimTime) {
        self.shell.handle_timeout(now);
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        self.shell.poll_transmit(buf)
    }

    fn poll_timeout(&mut self) -> Option<SimTime> {
        self.shell.poll_timeout()
    }

    fn poll_event(&mut self) -> Option<AdversaryEvent> {
        self.shell.poll_event()
    }
}

impl Attacker for Liar {
    fn counters(&self) -> &AttackCounters {
        self.shell.counters()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use dave_core::config::Config;
    use dave_core::crypto::DirectCrypto;
    use dave_core::dat::Dat;
    use dave_core::time::Time;
    use dave_core::wire::GetAck;
    use ed25519_dalek::SigningKey;

    pub(crate) fn addr(last: u8) -> SocketAddr {
        SocketAddr::from(([10, 1, 0, last], 4000))
    }

    pub(crate) fn test_node(seed: u8, config: Config) -> Node {
        Node::new(
            config,
            SigningKey::from_bytes(&[seed; 32]),
            Vec::new(),
            [seed; 32],
            Arc::new(DirectCrypto),
            Time::from_micros(0),
        )
    }

    pub(crate) fn cheap_config() -> Config {
        Config {
            min_work: 2,
            persist_events: false,
            ..Config::default()
        }
    }

    /// A valid PUT of record `i` by one writer, at `now_ms`.
    pub(crate) fn put_bytes(writer: &SigningKey, i: u32, now_ms: u64, work: u32) -> (u64, Vec<u8>) {
        let dat = Dat::new(writer, &i.to_le_bytes(), b"v", now_ms, work, 1, [0; 16]).expect("dat");
        let mut buf = vec![0u8; 1424];
        let len = Message::Put(dat.as_ref()).encode(&mut buf).expect("encode");
        buf.truncate(len);
        (dat.record_id().0, buf)
    }

    fn liar(keep: f64) -> Liar {
        Liar::new(
            test_node(7, cheap_config()),
            keep,
            [9; 32],
            Arc::new(DirectCrypto),
        )
    }

    fn drain(l: &mut Liar) {
        let mut buf = [0u8; 1424];
        while l.poll_transmit(&mut buf).is_some() {}
    }

    #[test]
    fn keeps_the_fraction_it_is_told_within_the_binomial_bound() {
        let writer = SigningKey::from_bytes(&[3; 32]);
        let n = 2000u32;
        for keep in [0.0, 0.3, 1.0] {
            let mut l = liar(keep);
            let now = SimTime(1_000_000);
            let mut expected = 0;
            for i in 0..n {
                let (record, bytes) = put_bytes(&writer, i, 1000, 2);
                expected += u64::from(keeps(&[9; 32], record, keep));
                l.handle_datagram(now, addr(1), &bytes);
                // A second push of the same record is not a second decision.
                l.handle_datagram(now, addr(2), &bytes);
            }
            let c = *l.counters();
            assert_eq!(c.records_kept + c.records_dropped, u64::from(n));
            assert_eq!(c.records_kept, expected);
            assert_eq!(l.node().record_count() as u64, c.records_kept);
            let mean = keep * f64::from(n);
            let sd = (mean * (1.0 - keep)).sqrt();
            let off = (c.records_kept as f64 - mean).abs();
            assert!(
                off <= 5.0 * sd + 1e-9,
                "keep {keep}: kept {}",
                c.records_kept
            );
        }
    }

    #[test]
    fn invalid_records_are_not_decided_about() {
        let writer = SigningKey::from_bytes(&[3; 32]);
        let mut l = liar(0.5);
        let (_, mut bytes) = put_bytes(&writer, 1, 1000, 2);
        let last = bytes.len() - 1;
        bytes[last] ^= 1; // value changed: the signature no longer verifies
        l.handle_datagram(SimTime(1_000_000), addr(1), &bytes);
        assert_eq!(l.counters().records_kept + l.counters().records_dropped, 0);
    }

    #[test]
    fn answers_challenges_for_kept_records_only() {
        let writer = SigningKey::from_bytes(&[3; 32]);
        let mut l = liar(0.5);
        let now = SimTime(1_000_000);
        let mut seen = [false; 2];
        for i in 0..40u32 {
            let (record, bytes) = put_bytes(&writer, i, 1000, 2);
            l.handle_datagram(now, addr(1), &bytes);
            drain(&mut l);
            let key = i.to_le_bytes();
            let get = Message::Get {
                pubkey: writer.verifying_key().to_bytes(),
                key: &key,
                pad_to: dave_core::wire::PADDED_GET_LEN,
            };
            let mut buf = [0u8; 1424];
            let len = get.encode(&mut buf).expect("encode");
            l.handle_datagram(now, addr(1), &buf[..len]);
            let mut out = [0u8; 1424];
            let t = l.poll_transmit(&mut out).expect("an answer");
            let found = matches!(
                Message::decode(&out[..t.len]),
                Ok(Message::GetAck(GetAck::Found(_)))
            );
            let kept = keeps(&[9; 32], record, 0.5);
            assert_eq!(found, kept, "record {i}");
            seen[usize::from(kept)] = true;
        }
        assert_eq!(seen, [true, true], "both decisions were exercised");
    }
}
