//! The sybil: identities ground until their NodeIds sit closest to chosen target records, then
//! run as real Dave nodes that accept those records and never serve them.
//!
//! Grinding is real key generation: a fresh Ed25519 key per try, its NodeId (§2) compared with
//! the target's RecordId, each try counted in `keys_ground`. A sybil stops at the first key
//! closer to its target than `within` (the driver passes the distance of the closest honest
//! node, which a real attacker learns by crawling the network), so about as many keys as there
//! are honest nodes are needed per sybil. Everything that is not about a target record the
//! sybil does honestly, so it is admitted, kept and referred to like any peer. A PUT of a
//! target record is swallowed (no PUT is acknowledged in Dave, so the writer cannot tell); a GET
//! of one — a lookup or a storage challenge — is answered not-found without referrals, so the
//! asker learns nothing closer.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use dave_core::id::{NodeId, RecordId};
use dave_core::node::Node;
use dave_core::wire::{AddrList, GetAck, Limits, Message};
use ed25519_dalek::SigningKey;
use rand::RngExt;
use rand_chacha::ChaCha12Rng;

use super::shell::NodeShell;
use super::{AdversaryEvent, AttackCounters, Attacker};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};

/// The outcome of grinding an identity.
pub struct Ground {
    /// The best key found.
    pub key: SigningKey,
    /// Its XOR distance to the target.
    pub distance: u64,
    /// Keys generated.
    pub keys_ground: u64,
}

/// Generates keys from `rng` until one's NodeId is closer to `target` than `within`, or
/// `max_keys` were tried; returns the closest.
pub fn grind(rng: &mut ChaCha12Rng, target: RecordId, within: u64, max_keys: u64) -> Ground {
    let mut best: Option<(SigningKey, u64)> = None;
    let mut tried = 0;
    while tried < max_keys.max(1) {
        let key = SigningKey::from_bytes(&rng.random());
        tried += 1;
        let distance = target.distance(NodeId::from_public_key(&key.verifying_key().to_bytes()));
        if best.as_ref().is_none_or(|(_, d)| distance < *d) {
            best = Some((key, distance));
        }
        if distance < within {
            break;
        }
    }
    let (key, distance) = best.expect("at least one key was generated");
    Ground {
        key,
        distance,
        keys_ground: tried,
    }
}

/// A sybil at one address.
pub struct Sybil {
    shell: NodeShell,
    targets: BTreeSet<u64>,
    limits: Limits,
    /// Target records already swallowed (counted once).
    swallowed: BTreeSet<u64>,
}

impl Sybil {
    /// A sybil around `node` (built with the ground key), suppressing `targets` (RecordIds);
    /// `keys_ground` is what grinding its key cost.
    pub fn new(node: Node, targets: BTreeSet<u64>, keys_ground: u64) -> Sybil {
        let limits = Limits {
            npeer_limit: node.config().npeer_limit,
            referrals: node.config().referrals,
        };
        let mut shell = NodeShell::new(node);
        shell.counters_mut().keys_ground = keys_ground;
        Sybil {
            shell,
            targets,
            limits,
            swallowed: BTreeSet::new(),
        }
    }

    /// The node inside.
    pub fn node(&self) -> &Node {
        self.shell.node()
    }
}

impl SimHost for Sybil {
    type Event = AdversaryEvent;

    fn handle_datagram(&mut self, now: SimTime, from: SocketAddr, bytes: &[u8]) {
        match Message::decode_with(bytes, &self.limits) {
            Ok(Message::Put(dat)) if self.targets.contains(&dat.record_id().0) => {
                let record = dat.record_id().0;
                if self.swallowed.insert(record) {
                    self.shell.counters_mut().records_dropped += 1;
                    self.shell.report(AdversaryEvent::RecordDropped(record));
                }
            }
            Ok(Message::Get { pubkey, key, .. })
                if self.targets.contains(&RecordId::of_query(&pubkey, key).0) =>
            {
                let ack = GetAck::NotFound {
                    pubkey,
                    key,
                    referrals: AddrList::EMPTY,
                };
                self.shell.inject(from, &Message::GetAck(ack));
            }
            _ => self.shell.deliver(now, from, bytes),
        }
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

impl Attacker for Sybil {
    fn counters(&self) -> &AttackCounters {
        self.shell.counters()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adversary::liar::tests::{addr, cheap_config, put_bytes, test_node};
    use rand::SeedableRng;

    #[test]
    fn ground_ids_beat_every_honest_node_and_keys_are_counted() {
        let mut honest_rng = ChaCha12Rng::seed_from_u64(1);
        let honest: Vec<NodeId> = (0..300)
            .map(|_| {
                let k = SigningKey::from_bytes(&honest_rng.random());
                NodeId::from_public_key(&k.verifying_key().to_bytes())
            })
            .collect();
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        let mut total = 0;
        for t in 0..5u64 {
            let target = RecordId(t.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let closest = honest
                .iter()
                .map(|&id| target.distance(id))
                .min()
                .expect("honest");
            let g = grind(&mut rng, target, closest, 1_000_000);
            assert!(g.distance < closest, "target {t}");
            assert!(g.keys_ground >= 1);
            let id = NodeId::from_public_key(&g.key.verifying_key().to_bytes());
            assert_eq!(target.distance(id), g.distance);
            total += g.keys_ground;
        }
        // Beating the closest of 300 takes about 300 keys a target: far more than one.
        assert!(total > 5 * 20, "{total} keys for 5 targets");
    }

    #[test]
    fn grinding_stops_at_max_keys() {
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        let g = grind(&mut rng, RecordId(0), 0, 50);
        assert_eq!(g.keys_ground, 50);
    }

    #[test]
    fn swallows_target_records_and_never_serves_them() {
        let writer = SigningKey::from_bytes(&[3; 32]);
        let (target, target_put) = put_bytes(&writer, 1, 1000, 2);
        let (other, other_put) = put_bytes(&writer, 2, 1000, 2);
        let mut s = Sybil::new(test_node(5, cheap_config()), BTreeSet::from([target]), 42);
        let now = SimTime(1_000_000);
        s.handle_datagram(now, addr(1), &target_put);
        s.handle_datagram(now, addr(1), &target_put);
        s.handle_datagram(now, addr(1), &other_put);
        assert!(!s.node().holds(RecordId(target)));
        assert!(s.node().holds(RecordId(other)));
        assert_eq!(s.counters().records_dropped, 1);
        assert_eq!(s.counters().keys_ground, 42);
        let mut buf = [0u8; 1424];
        while s.poll_transmit(&mut buf).is_some() {}
        for (i, found) in [(1u32, false), (2, true)] {
            let key = i.to_le_bytes();
            let get = Message::Get {
                pubkey: writer.verifying_key().to_bytes(),
                key: &key,
                pad_to: dave_core::wire::PADDED_GET_LEN,
            };
            let len = get.encode(&mut buf).expect("encode");
            s.handle_datagram(now, addr(1), &buf[..len]);
            let mut out = [0u8; 1424];
            let t = s.poll_transmit(&mut out).expect("an answer");
            let ack = Message::decode(&out[..t.len]);
            assert_eq!(
                matches!(ack, Ok(Message::GetAck(GetAck::Found(_)))),
                found,
                "record {i}"
            );
            if let Ok(Message::GetAck(GetAck::NotFound { referrals, .. })) = ack {
                assert!(referrals.is_empty());
            }
        }
    }
}
