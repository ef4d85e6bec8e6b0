//! The reflector: a small state machine that sends PINGs and GETs with a victim's address as
//! the (forged) source, so that the nodes it writes to answer the victim.
//!
//! It sends the cheapest datagrams that provoke the largest answers: unpadded AUTH PINGs (34
//! bytes; an AUTH PONG carries a signature and up to NPEER_LIMIT addresses) and unpadded GETs
//! of records nobody has (a not-found GET_ACK carries up to REFERRALS addresses). What the
//! victim receives, divided by what the reflector sent, is the amplification the network
//! grants; the §8 budget caps it at 3× for a victim that never proved its address to the
//! reflecting node.
//!
//! The reflector marks what it provokes, as a real attacker measuring its yield would: every
//! PING nonce starts with the group's [`Mark`] tag and every GET asks under the mark's public
//! key, so a PONG or GET_ACK reaching the victim is recognisably an answer to the attack (the
//! answer echoes the nonce, or the public key). [`ReflectionMeter`] counts those bytes. It
//! does not count the one unpadded AUTH PING a reflecting node sends back to an address it
//! has not seen before (at most one per reflecting node and victim, within the same budget).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use dave_core::wire::{GetAck, Limits, Message, PingKind};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

use super::{AdversaryEvent, AttackCounters, Attacker};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};

/// How a reflector attacks.
#[derive(Debug, Clone)]
pub struct ReflectPlan {
    /// The address answers should go to.
    pub victim: SocketAddr,
    /// Nodes made to answer, chosen uniformly for each datagram.
    pub reflectors: Vec<SocketAddr>,
    /// Datagrams per second (virtual time).
    pub per_sec: f64,
    /// Share of PINGs; the rest are GETs.
    pub ping_share: f64,
    /// How its datagrams are marked.
    pub mark: Mark,
    /// Local time of the first datagram.
    pub start: SimTime,
}

/// The tag a reflector group marks its datagrams with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// First bytes of every PING nonce.
    pub nonce_tag: [u8; 8],
    /// Owner public key of every GET.
    pub pubkey: [u8; 32],
}

impl Mark {
    /// A group's mark from its seed.
    pub fn from_seed(seed: [u8; 32]) -> Mark {
        let mut r = ChaCha12Rng::from_seed(seed);
        Mark {
            nonce_tag: r.random(),
            pubkey: r.random(),
        }
    }

    /// Whether `bytes` is an answer to a datagram carrying this mark.
    pub fn answers(&self, bytes: &[u8]) -> bool {
        match Message::decode_with(bytes, &LENIENT) {
            Ok(Message::Pong(p)) => p.nonce[..8] == self.nonce_tag,
            Ok(Message::GetAck(GetAck::NotFound { pubkey, .. })) => pubkey == self.pubkey,
            Ok(Message::GetAck(GetAck::Found(d))) => d.pubkey == self.pubkey,
            _ => false,
        }
    }
}

/// Address limits high enough to decode any answer the victim may be sent.
const LENIENT: Limits = Limits {
    npeer_limit: u8::MAX as usize,
    referrals: u8::MAX as usize,
};

/// Bytes delivered to each victim that answer a reflector group's marked datagrams.
#[derive(Debug, Clone, Default)]
pub struct ReflectionMeter {
    /// Per victim: (the group's mark, bytes of answers delivered to it).
    victims: BTreeMap<SocketAddr, (Mark, u64)>,
}

impl ReflectionMeter {
    /// Watches `victim` for answers to datagrams marked `mark`.
    pub fn watch(&mut self, victim: SocketAddr, mark: Mark) {
        self.victims.entry(victim).or_insert((mark, 0));
    }

    /// A datagram was delivered to `to`.
    pub fn delivered(&mut self, to: SocketAddr, bytes: &[u8]) {
        if let Some((mark, total)) = self.victims.get_mut(&to)
            && mark.answers(bytes)
        {
            *total += bytes.len() as u64;
        }
    }

    /// Bytes of answers delivered to `victim` so far.
    pub fn bytes_to(&self, victim: &SocketAddr) -> u64 {
        self.victims.get(victim).map_or(0, |v| v.1)
    }
}

/// A reflector at one address.
pub struct Reflector {
    plan: ReflectPlan,
    rng: ChaCha12Rng,
    interval_us: u64,
    next: SimTime,
    due: u64,
    counters: AttackCounters,
}

impl Reflector {
    /// A reflector following `plan` with the random stream `seed`.
    pub fn new(plan: ReflectPlan, seed: [u8; 32]) -> Reflector {
        let interval_us = if plan.per_sec > 0.0 {
            (1e6 / plan.per_sec).max(1.0) as u64
        } else {
            u64::MAX
        };
        Reflector {
            next: plan.start,
            plan,
            rng: ChaCha12Rng::from_seed(seed),
            interval_us,
            due: 0,
            counters: AttackCounters::default(),
        }
    }
}

impl SimHost for Reflector {
    type Event = AdversaryEvent;

    /// Answers go to the victim; anything reaching the reflector itself is ignored.
    fn handle_datagram(&mut self, _: SimTime, _: SocketAddr, _: &[u8]) {}

    fn handle_timeout(&mut self, now: SimTime) {
        while self.next <= now && !self.plan.reflectors.is_empty() {
            self.due += 1;
            self.next = SimTime(self.next.0.saturating_add(self.interval_us));
        }
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        if self.due == 0 || self.plan.reflectors.is_empty() {
            return None;
        }
        self.due -= 1;
        let to = self.plan.reflectors[self.rng.random_range(0..self.plan.reflectors.len())];
        let len = if self.rng.random_bool(self.plan.ping_share.clamp(0.0, 1.0)) {
            let mut nonce: [u8; 32] = self.rng.random();
            nonce[..8].copy_from_slice(&self.plan.mark.nonce_tag);
            let msg = Message::Ping {
                kind: PingKind::Auth,
                nonce,
                read_only: false,
                pad_to: 0,
            };
            msg.encode(buf).ok()?
        } else {
            let key: [u8; 8] = self.rng.random();
            let msg = Message::Get {
                pubkey: self.plan.mark.pubkey,
                key: &key,
                pad_to: 0,
            };
            msg.encode(buf).ok()?
        };
        self.counters.count_sent(len, true);
        Some(HostTransmit {
            to,
            len,
            spoofed_source: Some(self.plan.victim),
        })
    }

    fn poll_timeout(&mut self) -> Option<SimTime> {
        (!self.plan.reflectors.is_empty() && self.interval_us != u64::MAX).then_some(self.next)
    }

    fn poll_event(&mut self) -> Option<AdversaryEvent> {
        None
    }
}

impl Attacker for Reflector {
    fn counters(&self) -> &AttackCounters {
        &self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adversary::liar::tests::{addr, cheap_config, test_node};
    use dave_core::time::Time;

    #[test]
    fn every_datagram_claims_the_victim_and_the_reflector_answers_it_within_3x() {
        let mut node = test_node(4, cheap_config());
        // Two peers the node can refer to, so not-found answers carry addresses.
        for peer in [addr(1), addr(2)] {
            node.handle_datagram(Time::from_micros(500_000), peer, &ping_bytes());
        }
        let mut out = [0u8; 1424];
        while node.poll_transmit(&mut out).is_some() {}
        let victim = addr(200);
        let mark = Mark::from_seed([1; 32]);
        let mut meter = ReflectionMeter::default();
        meter.watch(victim, mark);
        let plan = ReflectPlan {
            victim,
            reflectors: vec![addr(9)],
            per_sec: 100.0,
            ping_share: 0.5,
            mark,
            start: SimTime(1_000_000),
        };
        let mut r = Reflector::new(plan, [8; 32]);
        let (mut to_victim, mut answers, mut kinds) = (0u64, 0u64, [0u32; 2]);
        let mut buf = [0u8; 1424];
        let mut t = 1_000_000;
        while t <= 2_000_000 {
            r.handle_timeout(SimTime(t));
            while let Some(tx) = r.poll_transmit(&mut buf) {
                assert_eq!(tx.spoofed_source, Some(victim));
                assert_eq!(tx.to, addr(9));
                match Message::decode(&buf[..tx.len]) {
                    Ok(Message::Ping { .. }) => kinds[0] += 1,
                    Ok(Message::Get { .. }) => kinds[1] += 1,
                    other => panic!("unexpected {other:?}"),
                }
                node.handle_datagram(Time::from_micros(t), victim, &buf[..tx.len]);
                let mut out = [0u8; 1424];
                while let Some(answer) = node.poll_transmit(&mut out) {
                    if answer.to == victim {
                        to_victim += answer.len as u64;
                        meter.delivered(victim, &out[..answer.len]);
                        if !matches!(
                            Message::decode(&out[..answer.len]),
                            Ok(Message::Ping { .. })
                        ) {
                            answers += answer.len as u64;
                        }
                    }
                }
            }
            t = r.poll_timeout().expect("keeps sending").0;
        }
        let c = *r.counters();
        assert_eq!(c.datagrams_sent, 101);
        assert_eq!(c.spoofed_datagrams, c.datagrams_sent);
        assert!(kinds[0] > 20 && kinds[1] > 20, "{kinds:?}");
        assert!(to_victim > 0, "the node was made to answer the victim");
        assert!(
            to_victim <= 3 * c.bytes_sent,
            "{to_victim} B for {} B",
            c.bytes_sent
        );
        // The node also pings the newly seen address back once, padded with what the budget
        // left (at most a padded PING) and within it; the meter counts answers only.
        let ping_back = to_victim - answers;
        assert!(
            (34..=160).contains(&ping_back),
            "one ping back: {ping_back} B"
        );
        assert_eq!(
            meter.bytes_to(&victim),
            answers,
            "every answer is recognised"
        );
        assert!(
            !Mark::from_seed([2; 32]).answers(&out[..1]),
            "junk is no answer"
        );
    }

    fn ping_bytes() -> Vec<u8> {
        let mut buf = [0u8; 1424];
        let msg = Message::Ping {
            kind: PingKind::Auth,
            nonce: [7; 32],
            read_only: false,
            pad_to: 0,
        };
        let len = msg.encode(&mut buf).expect("encode");
        buf[..len].to_vec()
    }
}
