//! The spammer: a small state machine of its own that floods PUTs at a fixed rate, cycling
//! through `distinct_keys` keys of its own (a repeated key is a newer version), in one of
//! three kinds that test the three record checks of §3 a receiver pays for.
//!
//! - `bad_signature`: a forged signature under the spammer's key, with proof-of-work mined over
//!   it. Work covers only salt and signature, not the key, so one mined (salt, signature) pair
//!   is reused for every key: the cheapest spam that still costs each receiver a signature check.
//! - `low_work`: correctly signed, but with a salt whose work hash has fewer leading zeros than
//!   the network's `min_work` (rejected by one hash, before the signature).
//! - `minimal_work`: valid records with exactly the work required, which a receiver stores;
//!   the spammer pays `2^min_work` hashes for each.

use std::net::SocketAddr;

use std::sync::Arc;

use dave_core::crypto::{Crypto, work_hash};
use dave_core::dat::{Dat, MAX_KEY_VAL_LEN, MAX_MINABLE_WORK, sign_digest_of};
use dave_core::hash::leading_zeros;
use dave_core::wire::Message;
use ed25519_dalek::SigningKey;
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

use super::{AdversaryEvent, AttackCounters, Attacker};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};
use crate::scenario::SpamMode;

/// Bytes of a spam key: an 8-byte sequence number and 8 random bytes, so every key is new.
const SPAM_KEY_LEN: usize = 16;

/// How a spammer floods.
#[derive(Debug, Clone)]
pub struct SpamPlan {
    /// What it sends.
    pub kind: SpamMode,
    /// PUTs per second (virtual time).
    pub puts_per_sec: f64,
    /// Value bytes per record (key is 16 bytes).
    pub value_bytes: usize,
    /// The network's `min_work`.
    pub min_work: u32,
    /// Distinct keys it cycles through (a repeated key is a newer version of the record).
    pub distinct_keys: u32,
    /// Where the PUTs go, chosen uniformly for each one.
    pub targets: Vec<SocketAddr>,
    /// Local time of the first PUT.
    pub start: SimTime,
}

/// A spammer at one address.
pub struct Spammer {
    plan: SpamPlan,
    key: SigningKey,
    /// The run's provider: valid spam must carry the signatures the honest nodes check.
    crypto: Arc<dyn Crypto>,
    rng: ChaCha12Rng,
    interval_us: u64,
    next: SimTime,
    sent: u64,
    due: u64,
    /// Random first half of every key, so two spammers' keys never collide.
    key_prefix: [u8; 8],
    /// The (salt, signature, work) reused by `bad_signature` spam.
    forged: Option<([u8; 16], [u8; 64], [u8; 32])>,
    counters: AttackCounters,
}

impl Spammer {
    /// A spammer following `plan`, with key and random stream from `seed`, signing through
    /// `crypto` (the run's provider, so that its valid spam is valid to the honest nodes).
    /// A value too large for a record is cut to the largest that fits.
    pub fn new(mut plan: SpamPlan, seed: [u8; 32], crypto: Arc<dyn Crypto>) -> Spammer {
        plan.value_bytes = plan.value_bytes.min(MAX_KEY_VAL_LEN - SPAM_KEY_LEN);
        plan.min_work = plan.min_work.min(MAX_MINABLE_WORK);
        let mut rng = ChaCha12Rng::from_seed(seed);
        let key = SigningKey::from_bytes(&rng.random());
        let key_prefix = rng.random();
        let interval_us = if plan.puts_per_sec > 0.0 {
            (1e6 / plan.puts_per_sec).max(1.0) as u64
        } else {
            u64::MAX
        };
        Spammer {
            next: plan.start,
            plan,
            key,
            crypto,
            key_prefix,
            rng,
            interval_us,
            sent: 0,
            due: 0,
            forged: None,
            counters: AttackCounters::default(),
        }
    }

    /// The record of the next PUT, built for local time `now_ms`.
    fn next_record(&mut self, now_ms: u64) -> Dat {
        let mut key = [0u8; SPAM_KEY_LEN];
        key[..8].copy_from_slice(&self.key_prefix);
        let index = self.sent % u64::from(self.plan.distinct_keys.max(1));
        key[8..].copy_from_slice(&index.to_le_bytes());
        let val: Vec<u8> = (0..self.plan.value_bytes)
            .map(|_| self.rng.random())
            .collect();
        let min_work = self.plan.min_work;
        match self.plan.kind {
            SpamMode::MinimalWork => Dat::new_with(
                self.crypto.as_ref(),
                &self.key,
                &key,
                &val,
                now_ms,
                min_work,
                1,
                self.rng.random(),
            )
            .expect("new() bounds the value and the work so the record fits and can be mined"),
            SpamMode::LowWork => {
                let sig = self
                    .crypto
                    .sign(&self.key, &sign_digest_of(&key, &val, now_ms));
                let (salt, work) = loop {
                    let salt: [u8; 16] = self.rng.random();
                    let work = work_hash(&salt, &sig);
                    // With min_work 0 no work is too little; the record is then simply valid.
                    if leading_zeros(&work) < min_work || min_work == 0 {
                        break (salt, work);
                    }
                };
                self.record(key, val, now_ms, salt, sig, work)
            }
            SpamMode::BadSignature => {
                let (salt, sig, work) = match self.forged {
                    Some(f) => f,
                    None => {
                        let mut sig = [0u8; 64];
                        sig.iter_mut().for_each(|b| *b = self.rng.random());
                        let pair = mine(&sig, min_work, self.rng.random());
                        self.forged = Some(pair);
                        pair
                    }
                };
                self.record(key, val, now_ms, salt, sig, work)
            }
        }
    }

    fn record(
        &self,
        key: [u8; SPAM_KEY_LEN],
        val: Vec<u8>,
        time: u64,
        salt: [u8; 16],
        sig: [u8; 64],
        work: [u8; 32],
    ) -> Dat {
        Dat {
            time,
            salt,
            work,
            sig,
            pubkey: self.key.verifying_key().to_bytes(),
            key: key.to_vec(),
            val,
        }
    }
}

/// Counts salts up from `start` until the work over `sig` has `min_work` leading zeros.
fn mine(sig: &[u8; 64], min_work: u32, start: u128) -> ([u8; 16], [u8; 64], [u8; 32]) {
    let mut salt = start;
    loop {
        let bytes = salt.to_le_bytes();
        let work = work_hash(&bytes, sig);
        if leading_zeros(&work) >= min_work {
            return (bytes, *sig, work);
        }
        salt = salt.wrapping_add(1);
    }
}

impl SimHost for Spammer {
    type Event = AdversaryEvent;

    /// A spammer ignores what it is sent.
    fn handle_datagram(&mut self, _: SimTime, _: SocketAddr, _: &[u8]) {}

    fn handle_timeout(&mut self, now: SimTime) {
        while self.next <= now && !self.plan.targets.is_empty() {
            self.due += 1;
            self.next = SimTime(self.next.0.saturating_add(self.interval_us));
        }
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        if self.due == 0 || self.plan.targets.is_empty() {
            return None;
        }
        self.due -= 1;
        let now_ms = self.next.0.saturating_sub(self.interval_us) / 1000;
        let dat = self.next_record(now_ms);
        self.sent += 1;
        let to = self.plan.targets[self.rng.random_range(0..self.plan.targets.len())];
        let len = Message::Put(dat.as_ref()).encode(buf).ok()?;
        self.counters.puts_sent += 1;
        self.counters.count_sent(len, false);
        Some(HostTransmit {
            to,
            len,
            spoofed_source: None,
        })
    }

    fn poll_timeout(&mut self) -> Option<SimTime> {
        (!self.plan.targets.is_empty() && self.interval_us != u64::MAX).then_some(self.next)
    }

    fn poll_event(&mut self) -> Option<AdversaryEvent> {
        None
    }
}

impl Attacker for Spammer {
    fn counters(&self) -> &AttackCounters {
        &self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adversary::liar::tests::{addr, test_node};
    use dave_core::config::Config;
    use dave_core::crypto::DirectCrypto;
    use dave_core::dat::DatError;
    use dave_core::event::{Event, RejectReason};
    use dave_core::time::Time;
    use std::collections::BTreeSet;

    /// Runs a spammer for one virtual second into a real node and returns what the node said.
    fn flood(kind: SpamMode) -> (Vec<Event>, BTreeSet<Vec<u8>>, AttackCounters) {
        let config = Config {
            min_work: 8,
            persist_events: false,
            ..Config::default()
        };
        let mut node = test_node(4, config);
        let plan = SpamPlan {
            kind,
            puts_per_sec: 50.0,
            value_bytes: 32,
            min_work: 8,
            distinct_keys: 1000,
            targets: vec![addr(9)],
            start: SimTime(1_000_000),
        };
        let mut spammer = Spammer::new(plan, [6; 32], Arc::new(DirectCrypto));
        let mut keys = BTreeSet::new();
        let mut buf = [0u8; 1424];
        let mut t = 1_000_000;
        while t <= 2_000_000 {
            spammer.handle_timeout(SimTime(t));
            while let Some(tx) = spammer.poll_transmit(&mut buf) {
                assert_eq!(tx.to, addr(9));
                if let Ok(Message::Put(dat)) = Message::decode(&buf[..tx.len]) {
                    keys.insert(dat.key.to_vec());
                }
                node.handle_datagram(Time::from_micros(t), addr(1), &buf[..tx.len]);
            }
            t = spammer.poll_timeout().expect("keeps flooding").0;
        }
        let events = std::iter::from_fn(|| node.poll_event()).collect();
        (events, keys, *spammer.counters())
    }

    fn rejected_for(events: &[Event], why: DatError) -> usize {
        events
            .iter()
            .filter(|e| matches!(e, Event::DatagramRejected { reason: RejectReason::InvalidRecord(r), .. } if *r == why))
            .count()
    }

    fn stored(events: &[Event]) -> usize {
        events
            .iter()
            .filter(|e| matches!(e, Event::RecordStored { .. }))
            .count()
    }

    #[test]
    fn each_kind_is_refused_for_exactly_its_reason() {
        for (kind, reason) in [
            (SpamMode::BadSignature, Some(DatError::SignatureInvalid)),
            (SpamMode::LowWork, Some(DatError::WorkInvalid)),
            (SpamMode::MinimalWork, None),
        ] {
            let (events, keys, c) = flood(kind);
            assert_eq!(c.puts_sent, 51, "{kind:?}: 50 a second, both ends included");
            assert_eq!(
                keys.len() as u64,
                c.puts_sent,
                "{kind:?}: every key distinct"
            );
            assert_eq!(c.datagrams_sent, c.puts_sent);
            match reason {
                Some(why) => {
                    assert_eq!(rejected_for(&events, why), 51, "{kind:?}");
                    assert_eq!(stored(&events), 0, "{kind:?}");
                }
                None => assert_eq!(stored(&events), 51),
            }
        }
    }
}
