//! When each peer of the table is next due for maintenance (ping, deactivation, drop).
//!
//! A binary min-heap of slab indexes ordered by `(next_ping, index)`, each peer keeping its own
//! position in the heap (`Peer::schedule_pos`), so moving or removing a peer is O(log n) without
//! a search. It replaced a `BTreeSet<(Time, PeerIdx)>`: 4 bytes a peer here and 4 in the entry
//! (which had the room), against about 12 a peer in the tree's nodes, 1 KB a node of a
//! 100,000-node simulation. The order is the set's order — keys are unique because indexes
//! are — so the node's behaviour, and the simulator's traces, did not change.

use super::{Peer, PeerIdx};
use crate::time::Time;

/// `Peer::schedule_pos` of a peer that is not on the schedule.
pub(super) const OFF_SCHEDULE: u32 = u32::MAX;

/// Entries the heap grows by.
const GROW_BY: usize = 16;

/// The heap; every index in it names an occupied slab entry.
#[derive(Debug, Default)]
pub(super) struct Schedule {
    heap: Vec<PeerIdx>,
    /// The root's key, kept as the root changes: the node republishes its next deadline after
    /// every datagram, and reading it through the heap and the root's slab entry cost two cold
    /// cache lines each time (4 % of a 10,000-node run).
    first: Option<(Time, PeerIdx)>,
}

/// The slab the heap's indexes point into.
type Slab = [Option<Peer>];

fn key(slab: &Slab, idx: PeerIdx) -> (Time, PeerIdx) {
    let due = slab
        .get(idx as usize)
        .and_then(Option::as_ref)
        .map_or(Time::MAX, |p| p.next_ping);
    (due, idx)
}

fn set_pos(slab: &mut Slab, idx: PeerIdx, pos: usize) {
    if let Some(peer) = slab.get_mut(idx as usize).and_then(Option::as_mut) {
        peer.schedule_pos = u32::try_from(pos).unwrap_or(OFF_SCHEDULE);
    }
}

fn pos_of(slab: &Slab, idx: PeerIdx) -> Option<usize> {
    let pos = slab.get(idx as usize)?.as_ref()?.schedule_pos;
    (pos != OFF_SCHEDULE).then_some(pos as usize)
}

impl Schedule {
    /// The earliest due peer: its time and index.
    pub(super) fn first(&self) -> Option<(Time, PeerIdx)> {
        self.first
    }

    /// Puts the peer at `idx` (occupied, not scheduled) on the schedule at its `next_ping`.
    pub(super) fn insert(&mut self, slab: &mut Slab, idx: PeerIdx) {
        if slab.get(idx as usize).and_then(Option::as_ref).is_none() || pos_of(slab, idx).is_some()
        {
            return;
        }
        // Grown a few entries at a time, like the slab, not doubled: a hundred peers would
        // leave room for another hundred and more.
        if self.heap.len() == self.heap.capacity() {
            self.heap.reserve_exact(GROW_BY);
        }
        self.heap.push(idx);
        self.sift_up(slab, self.heap.len() - 1);
    }

    /// Takes the peer at `idx` off the schedule, if it is on it.
    pub(super) fn remove(&mut self, slab: &mut Slab, idx: PeerIdx) {
        let Some(pos) = pos_of(slab, idx) else {
            return;
        };
        set_pos(slab, idx, OFF_SCHEDULE as usize);
        let Some(last) = self.heap.pop() else {
            return;
        };
        if self.heap.is_empty() {
            self.first = None;
        }
        if pos < self.heap.len() {
            self.put(slab, pos, last);
            self.sift_down(slab, pos);
            self.sift_up(slab, pos);
        }
    }

    /// Takes the earliest due peer off the schedule.
    pub(super) fn pop(&mut self, slab: &mut Slab) -> Option<PeerIdx> {
        let &idx = self.heap.first()?;
        self.remove(slab, idx);
        Some(idx)
    }

    fn sift_up(&mut self, slab: &mut Slab, mut pos: usize) {
        let idx = self.heap[pos];
        let moving = key(slab, idx);
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if key(slab, self.heap[parent]) <= moving {
                break;
            }
            self.put(slab, pos, self.heap[parent]);
            pos = parent;
        }
        self.put(slab, pos, idx);
    }

    fn sift_down(&mut self, slab: &mut Slab, mut pos: usize) {
        let idx = self.heap[pos];
        let moving = key(slab, idx);
        loop {
            let left = 2 * pos + 1;
            if left >= self.heap.len() {
                break;
            }
            let right = left + 1;
            let child = if right < self.heap.len()
                && key(slab, self.heap[right]) < key(slab, self.heap[left])
            {
                right
            } else {
                left
            };
            if moving <= key(slab, self.heap[child]) {
                break;
            }
            self.put(slab, pos, self.heap[child]);
            pos = child;
        }
        self.put(slab, pos, idx);
    }

    /// Stores `idx` at heap position `pos` and tells its peer where it is.
    fn put(&mut self, slab: &mut Slab, pos: usize, idx: PeerIdx) {
        self.heap[pos] = idx;
        set_pos(slab, idx, pos);
        if pos == 0 {
            self.first = Some(key(slab, idx));
        }
    }
}
