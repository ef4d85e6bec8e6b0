//! Hand-over of records to a newly activated peer (docs/protocol.md §8), as Kademlia §2.5 does
//! when a node learns of a new node closer to some of its keys.
//!
//! Without it a node that joins next to a record receives it only at the next re-propagation
//! sweep (REPUBLISH_EVERY, ten minutes by default), and lookups that end at the newcomer find
//! nothing meanwhile. When a peer becomes active, this node walks its store and pushes every
//! record for which that peer is now among the REPLICAS closest reliable active peers and not
//! known to hold it. The walk is paced — [`SCAN_BATCH`] records and at most [`PUSH_BATCH`] PUTs
//! every [`PACE`] — so a join, which activates the newcomer at many nodes at once, cannot turn
//! into a burst, and a large store never costs one call an unbounded scan.

use std::collections::VecDeque;
use std::time::Duration;

use crate::id::{NodeId, RecordId};
use crate::timer::Timer;
use crate::wire::Message;

use super::Node;

/// Records examined per step of a hand-over walk.
const SCAN_BATCH: usize = 256;
/// PUTs sent per step at most: 16 every 100 ms is 160 records a second to one newcomer.
const PUSH_BATCH: usize = 16;
/// Time between two steps.
const PACE: Duration = Duration::from_millis(100);
/// Newcomers waiting for their hand-over at most; beyond it the oldest waits for re-propagation.
const QUEUE_LIMIT: usize = 32;

/// Hand-overs in progress: each newcomer with the RecordId its walk has passed.
#[derive(Debug, Default)]
pub(crate) struct Handoffs {
    queue: VecDeque<(NodeId, Option<RecordId>)>,
}

impl Handoffs {
    /// Whether any walk is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl Node {
    /// A peer became active: queue its hand-over and arm the pacing timer.
    pub(super) fn start_handoff(&mut self, peer: NodeId) {
        if self.config.read_only || self.store.record_count() == 0 {
            return;
        }
        let queue = &mut self.handoffs.queue;
        if queue.iter().any(|(id, _)| *id == peer) {
            return;
        }
        if queue.len() >= QUEUE_LIMIT {
            queue.pop_front();
        }
        queue.push_back((peer, None));
        if self.timers.get(Timer::Handoff).is_none() {
            self.timers.set(Timer::Handoff, Some(self.now));
        }
    }

    /// One paced step of the oldest hand-over walk.
    pub(super) fn handoff_step(&mut self) {
        let Some(&(peer, cursor)) = self.handoffs.queue.front() else {
            return;
        };
        let target = self
            .peers
            .by_id(peer)
            .and_then(|idx| self.peers.get(idx))
            .filter(|p| p.active)
            .map(|p| p.addr());
        let mut ids = Vec::new();
        let mut done = true;
        if let Some(addr) = target {
            self.store.ids_after(cursor, SCAN_BATCH, &mut ids);
            let (mut scanned, mut pushed) = (0, 0);
            let mut chosen = Vec::new();
            for &record in &ids {
                scanned += 1;
                if self.hand_over(record, peer, addr, &mut chosen) {
                    pushed += 1;
                    if pushed == PUSH_BATCH {
                        break;
                    }
                }
            }
            let more = scanned < ids.len() || ids.len() == SCAN_BATCH;
            if more {
                if let Some(front) = self.handoffs.queue.front_mut() {
                    front.1 = ids.get(scanned - 1).copied();
                }
                done = false;
            }
        }
        if done {
            self.handoffs.queue.pop_front();
        }
        let next = (!self.handoffs.is_empty()).then(|| self.now + PACE);
        self.timers.set(Timer::Handoff, next);
    }

    /// Pushes `record` to the newcomer `peer` at `addr` if it is among the record's REPLICAS
    /// closest reliable active peers and not known to hold it; returns whether it was sent.
    /// `chosen` is room for those peers, reused across a batch.
    fn hand_over(
        &mut self,
        record: RecordId,
        peer: NodeId,
        addr: std::net::SocketAddr,
        chosen: &mut Vec<u32>,
    ) -> bool {
        self.replica_peers(record, chosen);
        let among = chosen
            .iter()
            .any(|&i| self.peers.get(i).is_some_and(|p| p.id == peer));
        let Some(entry) = self.store.get(record).filter(|_| among) else {
            return false;
        };
        if entry.pushed().contains(&peer) {
            return false;
        }
        let sent = self.outbox.push(addr, &Message::Put(entry.dat().as_ref()));
        debug_assert!(sent.is_ok());
        self.store.mark_pushed(record, peer);
        true
    }
}
