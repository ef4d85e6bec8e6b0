//! The record store of docs/protocol.md §7: 256 shards by the top byte of the RecordId, each with its
//! own byte capacity and a min-heap ordered by the time-invariant retention key.
//!
//! Records live in one slab shared by all shards (an empty store costs a few KB, not 256 maps);
//! a `BTreeMap` indexes them by RecordId so iteration order is deterministic. Every insert is
//! O(log n) plus the evictions it causes, and the store never holds more than a shard's capacity,
//! not even for a moment: an insert that cannot fit is refused and the store is left unchanged.

mod heap;

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::config::Config;
use crate::dat::{Dat, Version};
use crate::id::{NodeId, RecordId};
use heap::{HeapSlots, SlotHeap};

/// Peer IDs remembered per record as already holding it (§8 "remembers a few peer IDs").
pub const PUSHED_MEMORY: usize = 8;

/// Number of shards (§7: one per value of the RecordId's top byte).
pub const SHARDS: usize = 256;

/// The retention key of §7: `time + TTL − ((TTL × distance) >> 64)` in milliseconds, computed in
/// integers so that every node orders its heap identically and the order never decays.
pub fn retention_key(time_ms: u64, distance: u64, ttl_ms: u64) -> u64 {
    let shrink = ((ttl_ms as u128 * distance as u128) >> 64) as u64;
    time_ms.saturating_add(ttl_ms) - shrink
}

/// Why the store refused a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// The store already holds this version or a newer one (§3 version rule).
    Stale,
    /// The shard is full of records that rank above the newcomer in retention order.
    NoRoom,
    /// The record alone is larger than a shard.
    TooLarge,
    /// The record's retention key is already in the past: it would expire at once.
    Expired,
    /// Another (pubkey, key) already holds this RecordId (a 64-bit collision: first come wins).
    Collision,
}

/// Why a record left the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvictReason {
    /// Pushed out by a newcomer with a larger retention key.
    Capacity,
    /// Its retention key passed.
    Expired,
}

/// What a successful insert did.
#[derive(Debug)]
pub struct Inserted {
    /// The older version this record replaced, if any.
    pub replaced: Option<Dat>,
}

/// One stored record with its bookkeeping.
#[derive(Debug)]
pub struct Entry {
    dat: Dat,
    id: RecordId,
    retention: u64,
    heap_pos: u32,
    /// Peers known to hold this record (pushed to, or that pushed it to us), oldest first.
    pushed: Vec<NodeId>,
}

impl Entry {
    /// The stored record.
    pub fn dat(&self) -> &Dat {
        &self.dat
    }

    /// Its RecordId.
    pub fn id(&self) -> RecordId {
        self.id
    }

    /// Its retention key (ms).
    pub fn retention(&self) -> u64 {
        self.retention
    }

    /// Peers this node knows to hold the record.
    pub fn pushed(&self) -> &[NodeId] {
        &self.pushed
    }

    fn size(&self, overhead: u64) -> u64 {
        entry_size(&self.dat, overhead)
    }
}

fn entry_size(dat: &Dat, overhead: u64) -> u64 {
    dat.key.len() as u64 + dat.val.len() as u64 + overhead
}

#[derive(Debug, Default)]
struct Shard {
    heap: SlotHeap,
    used: u64,
}

/// The slab of entries, the part of the store the heaps index into.
#[derive(Debug, Default)]
struct Slab {
    slots: Vec<Option<Entry>>,
    free: Vec<u32>,
}

impl Slab {
    fn insert(&mut self, entry: Entry) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(entry);
                slot
            }
            None => {
                self.slots.push(Some(entry));
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn take(&mut self, slot: u32) -> Option<Entry> {
        let entry = self.slots.get_mut(slot as usize)?.take();
        if entry.is_some() {
            self.free.push(slot);
        }
        entry
    }

    fn get(&self, slot: u32) -> Option<&Entry> {
        self.slots.get(slot as usize)?.as_ref()
    }

    fn get_mut(&mut self, slot: u32) -> Option<&mut Entry> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }
}

impl HeapSlots for Slab {
    fn key(&self, slot: u32) -> (u64, u64) {
        self.get(slot)
            .map_or((u64::MAX, u64::MAX), |e| (e.retention, e.id.0))
    }

    fn set_pos(&mut self, slot: u32, pos: u32) {
        if let Some(entry) = self.get_mut(slot) {
            entry.heap_pos = pos;
        }
    }
}

/// The sharded record store of one node.
#[derive(Debug)]
pub struct Store {
    own_id: NodeId,
    ttl_ms: u64,
    shard_capacity: u64,
    entry_overhead: u64,
    slab: Slab,
    index: BTreeMap<RecordId, u32>,
    /// Empty until the first record arrives: in a large network most nodes hold few records or
    /// none, and 256 empty shards cost 8 KB a node (a twentieth of a node at 10,000 nodes).
    shards: Vec<Shard>,
    total_bytes: u64,
    /// Entries popped during an insert that may still be put back if the insert is refused.
    scratch: Vec<Entry>,
}

impl Store {
    /// An empty store for the node `own_id`.
    pub fn new(own_id: NodeId, config: &Config) -> Self {
        Store {
            own_id,
            ttl_ms: config.ttl_ms(),
            shard_capacity: config.shard_capacity,
            entry_overhead: config.entry_overhead,
            slab: Slab::default(),
            index: BTreeMap::new(),
            shards: Vec::new(),
            total_bytes: 0,
            scratch: Vec::new(),
        }
    }

    /// The shard a record lives in: the top byte of its RecordId.
    pub fn shard_of(id: RecordId) -> usize {
        (id.0 >> 56) as usize
    }

    /// The retention key this node gives a record.
    pub fn retention_of(&self, time_ms: u64, id: RecordId) -> u64 {
        retention_key(time_ms, id.distance(self.own_id), self.ttl_ms)
    }

    /// Number of stored records.
    pub fn record_count(&self) -> usize {
        self.index.len()
    }

    /// Bytes charged against the shards (key + value + overhead per record).
    pub fn stored_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Bytes charged against one shard.
    pub fn shard_bytes(&self, shard: usize) -> u64 {
        self.shards.get(shard).map_or(0, |s| s.used)
    }

    /// The entry for a RecordId.
    pub fn get(&self, id: RecordId) -> Option<&Entry> {
        self.slab.get(*self.index.get(&id)?)
    }

    /// The record stored for `(pubkey, key)`, if any.
    pub fn find(&self, pubkey: &[u8; 32], key: &[u8], id: RecordId) -> Option<&Dat> {
        self.get(id)
            .map(Entry::dat)
            .filter(|d| &d.pubkey == pubkey && d.key == key)
    }

    /// Whether a record with this id is stored.
    pub fn holds(&self, id: RecordId) -> bool {
        self.index.contains_key(&id)
    }

    /// The stored version of a record, if any.
    pub fn version_of(&self, id: RecordId) -> Option<Version> {
        self.get(id).map(|e| e.dat.version())
    }

    /// All entries in RecordId order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.index.values().filter_map(|&slot| self.slab.get(slot))
    }

    /// Up to `n` RecordIds after `cursor` (or from the start), in order: how a sweep walks the
    /// store in batches.
    pub fn ids_after(&self, cursor: Option<RecordId>, n: usize, out: &mut Vec<RecordId>) {
        let lower = cursor.map_or(Bound::Unbounded, Bound::Excluded);
        out.extend(
            self.index
                .range((lower, Bound::Unbounded))
                .take(n)
                .map(|(id, _)| *id),
        );
    }

    /// A uniformly random stored entry (given a random `u64`), or None if the store is empty.
    pub fn sample(&self, random: u64) -> Option<&Entry> {
        let live = self.index.len();
        if live == 0 {
            return None;
        }
        // Probe slab slots: the slab is dense except for recently freed slots, so a few tries
        // suffice; fall back to an ordered walk so the call always succeeds.
        let len = self.slab.slots.len() as u64;
        let mut r = random;
        for _ in 0..8 {
            if let Some(entry) = self.slab.get((r % len) as u32) {
                return Some(entry);
            }
            r = r.rotate_left(17).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        self.iter().nth((random % live as u64) as usize)
    }

    /// Records that `node` holds `id`; keeps the [`PUSHED_MEMORY`] most recent.
    pub fn mark_pushed(&mut self, id: RecordId, node: NodeId) {
        let Some(&slot) = self.index.get(&id) else {
            return;
        };
        let Some(entry) = self.slab.get_mut(slot) else {
            return;
        };
        if entry.pushed.contains(&node) {
            return;
        }
        if entry.pushed.len() >= PUSHED_MEMORY {
            entry.pushed.remove(0);
        }
        entry.pushed.push(node);
    }

    /// Forgets that `node` holds this version of `id`: it failed a challenge for it, so it does
    /// not (a PUT may have been lost), and the next re-propagation may push it again (§9).
    pub fn forget_pushed(&mut self, id: RecordId, node: NodeId) {
        let Some(&slot) = self.index.get(&id) else {
            return;
        };
        if let Some(entry) = self.slab.get_mut(slot) {
            entry.pushed.retain(|&n| n != node);
        }
    }

    /// Inserts a verified record (§7). Expired records of its shard are dropped first, then the
    /// shard's worst records are evicted while their retention key is smaller than the
    /// newcomer's, until it fits. If it still cannot fit, nothing changes and the record is
    /// refused. Evicted records are appended to `evicted`.
    pub fn insert(
        &mut self,
        dat: Dat,
        now_ms: u64,
        evicted: &mut Vec<(Dat, EvictReason)>,
    ) -> Result<Inserted, Refusal> {
        let id = dat.record_id();
        let retention = self.retention_of(dat.time, id);
        if retention <= now_ms {
            return Err(Refusal::Expired);
        }
        let size = entry_size(&dat, self.entry_overhead);
        if size > self.shard_capacity {
            return Err(Refusal::TooLarge);
        }
        let shard = Self::shard_of(id);
        if self.shards.is_empty() {
            self.shards = (0..SHARDS).map(|_| Shard::default()).collect();
        }
        self.expire_shard(shard, now_ms, evicted);

        let old = match self.index.get(&id) {
            Some(&slot) => {
                let old = self.slab.get(slot).ok_or(Refusal::Collision)?;
                if old.dat.pubkey != dat.pubkey || old.dat.key != dat.key {
                    return Err(Refusal::Collision);
                }
                if dat.version() <= old.dat.version() {
                    return Err(Refusal::Stale);
                }
                self.remove(id)
            }
            None => None,
        };

        let capacity = self.shard_capacity;
        self.scratch.clear();
        while self.shards[shard].used + size > capacity {
            let Some(root) = self.shards[shard].heap.peek() else {
                break;
            };
            match self.slab.get(root) {
                Some(e) if (e.retention, e.id.0) < (retention, id.0) => {}
                _ => break,
            }
            let root_id = self.slab.get(root).map(|e| e.id);
            if let Some(entry) = root_id.and_then(|rid| self.remove(rid)) {
                self.scratch.push(entry);
            }
        }

        if self.shards[shard].used + size > capacity {
            // Refuse and put everything back exactly as it was.
            let mut popped = std::mem::take(&mut self.scratch);
            for entry in popped.drain(..) {
                self.put_entry(entry);
            }
            self.scratch = popped;
            if let Some(old) = old {
                self.put_entry(old);
            }
            return Err(Refusal::NoRoom);
        }

        evicted.extend(
            self.scratch
                .drain(..)
                .map(|e| (e.dat, EvictReason::Capacity)),
        );
        // A new version starts with nobody known to hold it: the peers that held the old one
        // do not hold this one, and re-propagation and challenges must treat them so (§8, §9).
        self.put_entry(Entry {
            dat,
            id,
            retention,
            heap_pos: 0,
            pushed: Vec::new(),
        });
        Ok(Inserted {
            replaced: old.map(|o| o.dat),
        })
    }

    /// Removes a record, returning its entry.
    pub fn remove(&mut self, id: RecordId) -> Option<Entry> {
        let slot = self.index.remove(&id)?;
        let pos = self.slab.get(slot)?.heap_pos as usize;
        let shard = Self::shard_of(id);
        self.shards[shard].heap.remove_at(&mut self.slab, pos);
        let entry = self.slab.take(slot)?;
        let size = entry.size(self.entry_overhead);
        self.shards[shard].used -= size;
        self.total_bytes -= size;
        Some(entry)
    }

    /// Drops every record whose retention key is at or before `now_ms`, in all shards.
    pub fn expire(&mut self, now_ms: u64, evicted: &mut Vec<(Dat, EvictReason)>) {
        for shard in 0..self.shards.len() {
            self.expire_shard(shard, now_ms, evicted);
        }
    }

    /// The earliest retention key in the store: when the next record expires.
    pub fn next_expiry(&self) -> Option<u64> {
        self.shards
            .iter()
            .filter_map(|s| s.heap.peek())
            .filter_map(|slot| self.slab.get(slot))
            .map(|e| e.retention)
            .min()
    }

    fn expire_shard(&mut self, shard: usize, now_ms: u64, evicted: &mut Vec<(Dat, EvictReason)>) {
        while let Some(root) = self.shards[shard].heap.peek() {
            let Some(entry) = self.slab.get(root) else {
                break;
            };
            if entry.retention > now_ms {
                break;
            }
            let id = entry.id;
            match self.remove(id) {
                Some(entry) => evicted.push((entry.dat, EvictReason::Expired)),
                None => break,
            }
        }
    }

    fn put_entry(&mut self, entry: Entry) {
        let id = entry.id;
        let shard = Self::shard_of(id);
        let size = entry.size(self.entry_overhead);
        let slot = self.slab.insert(entry);
        self.index.insert(id, slot);
        self.shards[shard].heap.push(&mut self.slab, slot);
        self.shards[shard].used += size;
        self.total_bytes += size;
    }

    /// Checks every structural invariant (tests only): capacities, byte totals, heap order,
    /// index and heap positions agree.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) -> Result<(), String> {
        let mut total = 0;
        for (i, shard) in self.shards.iter().enumerate() {
            if shard.used > self.shard_capacity {
                return Err(format!(
                    "shard {i} holds {} > {}",
                    shard.used, self.shard_capacity
                ));
            }
            if !shard.heap.is_heap(&self.slab) {
                return Err(format!("shard {i} heap order broken"));
            }
            let mut used = 0;
            for (pos, &slot) in shard.heap.items().iter().enumerate() {
                let e = self.slab.get(slot).ok_or("heap points at empty slot")?;
                if e.heap_pos as usize != pos || Self::shard_of(e.id) != i {
                    return Err("heap position or shard mismatch".into());
                }
                if self.index.get(&e.id) != Some(&slot) {
                    return Err("index mismatch".into());
                }
                used += e.size(self.entry_overhead);
            }
            if used != shard.used {
                return Err(format!("shard {i} byte count {} != {used}", shard.used));
            }
            total += used;
        }
        if total != self.total_bytes {
            return Err("total bytes mismatch".into());
        }
        let heaped: usize = self.shards.iter().map(|s| s.heap.len()).sum();
        if heaped != self.index.len() {
            return Err("index and heaps disagree on count".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
