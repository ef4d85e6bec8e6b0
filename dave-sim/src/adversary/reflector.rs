//! The reflector: a small state machine that sends PINGs and GETs with a victim's address as
//! the (forged) source, so that the nodes it writes to answer the victim.
//!
//! It sends the cheapest datagrams that provoke the largest answers: unpadded AUTH PINGs (34
//! bytes; an AUTH PONG carries a signature and up to NPEER_LIMIT addresses) and unpadded GETs
//! of records it knows exist (a found GET_ACK carries the whole record). What the victim
//! receives, divided by what the reflector sent, is the amplification the network grants; the
//! §8 budget caps it at 3× for a victim that never proved its address to the reflecting node.

use std::net::SocketAddr;

use dave_core::wire::{Message, PingKind};
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
    /// Share of PINGs; the rest are GETs (all PINGs when `records` is empty).
    pub ping_share: f64,
    /// (owner public key, key) of records known to exist, for GETs.
    pub records: Vec<([u8; 32], Vec<u8>)>,
    /// Local time of the first datagram.
    pub start: SimTime,
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
        let ping = self.plan.records.is_empty()
            || self.rng.random_bool(self.plan.ping_share.clamp(0.0, 1.0));
        let len = if ping {
            let msg = Message::Ping {
                kind: PingKind::Auth,
                nonce: self.rng.random(),
                pad_to: 0,
            };
            msg.encode(buf).ok()?
        } else {
            let (pubkey, key) =
                &self.plan.records[self.rng.random_range(0..self.plan.records.len())];
            let msg = Message::Get {
                pubkey: *pubkey,
                key,
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
    use crate::adversary::liar::tests::{addr, cheap_config, put_bytes, test_node};
    use dave_core::time::Time;
    use ed25519_dalek::SigningKey;

    #[test]
    fn every_datagram_claims_the_victim_and_the_reflector_answers_it_within_3x() {
        let writer = SigningKey::from_bytes(&[3; 32]);
        let mut node = test_node(4, cheap_config());
        let (_, put) = put_bytes(&writer, 1, 1000, 2);
        node.handle_datagram(Time::from_micros(1_000_000), addr(1), &put);
        let victim = addr(200);
        let plan = ReflectPlan {
            victim,
            reflectors: vec![addr(9)],
            per_sec: 100.0,
            ping_share: 0.5,
            records: vec![(
                writer.verifying_key().to_bytes(),
                1u32.to_le_bytes().to_vec(),
            )],
            start: SimTime(1_000_000),
        };
        let mut r = Reflector::new(plan, [8; 32]);
        let (mut to_victim, mut kinds) = (0u64, [0u32; 2]);
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
    }
}
