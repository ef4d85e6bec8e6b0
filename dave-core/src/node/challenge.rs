//! Storage challenges and reliability (docs/protocol.md §9).
//!
//! Every CHALLENGE_EVERY the node picks a record it holds and pushed to a peer that is still
//! among the record's closest active peers, and sends that peer a plain GET for it — the same
//! bytes any lookup would send, so a peer cannot answer challenges and neglect everything else.
//! A valid record of the same or a newer version before the deadline (a multiple of the peer's
//! smoothed RTT, at least CHALLENGE_MIN) passes; anything else fails. The outcome feeds the
//! peer's decayed Laplace score, which stays local: it is never sent to anyone.

use std::net::SocketAddr;

use crate::dat::Version;
use crate::event::{ChallengeFailure, Event};
use crate::id::{NodeId, RecordId};
use crate::time::Time;
use crate::timer::Timer;
use crate::wire::{GetAck, Message, PADDED_GET_LEN};

use super::Node;

/// Records sampled per challenge tick before giving up until the next one.
const SAMPLES: usize = 8;

#[derive(Clone, Debug)]
struct PendingChallenge {
    addr: SocketAddr,
    node_id: NodeId,
    record: RecordId,
    version: Version,
    sent: Time,
    deadline: Time,
}

/// Failed (record, peer) pairs waiting for their confirming challenge, at most.
const RECHECKS: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct Challenges {
    pending: Vec<PendingChallenge>,
    /// Pairs whose last challenge failed while the peer stayed at or above RELIABILITY_MIN,
    /// oldest first: each is challenged again at the next tick, before any random pick.
    recheck: Vec<(RecordId, NodeId)>,
}

impl Challenges {
    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.pending.iter().map(|c| c.deadline).min()
    }
}

impl Node {
    /// The challenge timer: challenge one peer, then re-arm.
    pub(super) fn start_challenge(&mut self) {
        self.timers.set(
            Timer::Challenge,
            Some(self.now + self.config.challenge_every),
        );
        if !self.config.challenges {
            return;
        }
        if self.recheck_one() {
            return;
        }
        for _ in 0..SAMPLES {
            let random = self.random_u64();
            let Some(entry) = self.store.sample(random) else {
                return;
            };
            if entry.pushed().is_empty() {
                continue;
            }
            let record = entry.id();
            // The record's closest active peers by distance alone: is the pushed peer still
            // one of those that should hold it?
            let mut closest = Vec::new();
            self.peers.closest(
                record,
                self.config.replicas,
                0.0,
                |p| p.active,
                &mut closest,
            );
            let Some(entry) = self.store.get(record) else {
                continue;
            };
            let mut eligible: [Option<u32>; crate::store::PUSHED_MEMORY] =
                [None; crate::store::PUSHED_MEMORY];
            let mut n = 0;
            for id in entry.pushed() {
                let Some(idx) = self.peers.by_id(*id) else {
                    continue;
                };
                let busy = self.challenges.pending.iter().any(|c| c.node_id == *id);
                if closest.contains(&idx) && !busy && n < eligible.len() {
                    eligible[n] = Some(idx);
                    n += 1;
                }
            }
            if n == 0 {
                continue;
            }
            let pick = eligible[(self.random_u64() % n as u64) as usize];
            if let Some(idx) = pick {
                self.send_challenge(idx, record);
                return;
            }
        }
    }

    /// Challenges the oldest failed pair again, if one is still checkable (the peer in the
    /// table and not busy, the record still held). One failure takes a fresh peer only to 1/3,
    /// above the default RELIABILITY_MIN, and a random pick rarely returns to the same pair: the
    /// confirming challenge tells an honest peer that missed a PUT (re-propagation pushed it
    /// again, so it passes) from a liar (it fails again and falls below RELIABILITY_MIN).
    fn recheck_one(&mut self) -> bool {
        while !self.challenges.recheck.is_empty() {
            let (record, node_id) = self.challenges.recheck.remove(0);
            let busy = self.challenges.pending.iter().any(|c| c.node_id == node_id);
            if let Some(idx) = self.peers.by_id(node_id)
                && !busy
                && self.store.holds(record)
            {
                self.send_challenge(idx, record);
                return true;
            }
        }
        false
    }

    fn send_challenge(&mut self, idx: u32, record: RecordId) {
        let Some(peer) = self.peers.get(idx) else {
            return;
        };
        let Some(entry) = self.store.get(record) else {
            return;
        };
        let (addr, node_id) = (peer.addr(), peer.id);
        // Padded like every GET, so that the answer fits the 3× allowance (§8).
        let pad_to = PADDED_GET_LEN;
        let dat = entry.dat();
        let msg = Message::Get {
            pubkey: dat.pubkey,
            key: &dat.key,
            pad_to,
        };
        let sent = self.outbox.push(addr, &msg);
        debug_assert!(sent.is_ok());
        let version = dat.version();
        let deadline = self.now + self.answer_timeout(&addr);
        self.challenges.pending.push(PendingChallenge {
            addr,
            node_id,
            record,
            version,
            sent: self.now,
            deadline,
        });
    }

    /// A GET_ACK that may answer a pending challenge; returns whether it did.
    pub(super) fn challenge_answer(
        &mut self,
        from: SocketAddr,
        record: RecordId,
        ack: &GetAck<'_>,
    ) -> bool {
        let Some(pos) = self
            .challenges
            .pending
            .iter()
            .position(|c| c.addr == from && c.record == record)
        else {
            return false;
        };
        let challenge = self.challenges.pending.swap_remove(pos);
        let outcome = match ack {
            GetAck::NotFound { .. } => Err(ChallengeFailure::NotFound),
            GetAck::Found(dat) => match self.check_record(dat) {
                Err(_) => Err(ChallengeFailure::Invalid),
                Ok(()) if dat.version() < challenge.version => Err(ChallengeFailure::Stale),
                Ok(()) => Ok(()),
            },
        };
        self.conclude_challenge(challenge, outcome);
        true
    }

    /// Fails every challenge whose deadline passed.
    pub(super) fn expire_challenges(&mut self) {
        let now = self.now;
        let mut i = 0;
        while i < self.challenges.pending.len() {
            if self.challenges.pending[i].deadline <= now {
                let challenge = self.challenges.pending.swap_remove(i);
                self.conclude_challenge(challenge, Err(ChallengeFailure::Timeout));
            } else {
                i += 1;
            }
        }
    }

    /// Scores the peer and reports. A failure re-propagates the record at once; a peer that
    /// falls under RELIABILITY_MIN triggers a re-propagation sweep of the whole store, so that
    /// everything it was meant to hold moves to honest nodes (§9).
    fn conclude_challenge(&mut self, c: PendingChallenge, outcome: Result<(), ChallengeFailure>) {
        let (decay, min) = (self.config.reliability_decay, self.config.reliability_min);
        let (before, after) = match self
            .peers
            .by_id(c.node_id)
            .and_then(|i| self.peers.get_mut(i))
        {
            Some(peer) if peer.addr() == c.addr => {
                let before = peer.reliability.score();
                peer.reliability.record(outcome.is_ok(), decay);
                (before, peer.reliability.score())
            }
            // The peer left the table meanwhile: nothing to score.
            _ => return,
        };
        match outcome {
            Ok(()) => self.emit(Event::ChallengePassed {
                addr: c.addr,
                node_id: c.node_id,
                record: c.record,
                rtt: self.now.saturating_duration_since(c.sent),
                reliability: after,
            }),
            Err(reason) => {
                self.emit(Event::ChallengeFailed {
                    addr: c.addr,
                    node_id: c.node_id,
                    record: c.record,
                    reason,
                    reliability: after,
                });
                // A peer that failed is not known to hold the record any more (its PUT may
                // have been lost): re-propagation pushes it again while its score stays at or
                // above RELIABILITY_MIN, and stops once repeated failures take it below (§9).
                self.store.forget_pushed(c.record, c.node_id);
                self.repropagate(c.record, &mut Vec::new());
                if after >= min && self.challenges.recheck.len() < RECHECKS {
                    self.challenges.recheck.push((c.record, c.node_id));
                }
                if before >= min && after < min && self.republish_cursor.is_none() {
                    self.timers.set(Timer::Republish, Some(self.now));
                }
            }
        }
    }
}
