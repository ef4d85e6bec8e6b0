//! A compact hash index from a key to the slab slot that holds it, for the peer table's lookups
//! by address and by NodeId.
//!
//! Why not a `HashMap<u64, u32>`: a peer table holds about a hundred entries in each of a hundred
//! thousand simulated nodes, and a hash map keyed by a fingerprint stores the key again beside the
//! slot (16-byte buckets at most 7/8 full, about 4.3 KB for 130 peers), then the caller reads the
//! peer to check the address anyway. This index stores 8 bytes a position — 32 bits of the key's
//! hash and the slot — and asks the caller whether a slot holds the key, so a lookup is one probe
//! run in a small array plus the read of the peer it was looking for (2 KB for 130 peers).
//!
//! Linear probing with backward-shift deletion (no tombstones, so lookups never slow down with
//! churn). The stored 32 bits are both the tag compared before asking the caller and the source
//! of the home position, so growing, shrinking and deleting never need the key again. The index
//! is never iterated: what it answers depends only on which slots hold which keys, never on the
//! order they were inserted in, so it cannot leak order into a run.

/// Fewest positions once anything is stored.
const MIN_POSITIONS: usize = 8;

/// An index from 64-bit key hashes to `u32` slots; the keys themselves live with the caller.
#[derive(Clone, Debug, Default)]
pub(crate) struct SlotIndex {
    /// Per position: (the hash's upper 32 bits, slot + 1), with slot + 1 == 0 marking an empty
    /// position. The length is zero or a power of two, and at least one position is empty.
    table: Vec<(u32, u32)>,
    len: usize,
}

fn tag_of(hash: u64) -> u32 {
    (hash >> 32) as u32
}

impl SlotIndex {
    /// Number of slots indexed.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The slot whose key has `hash` and that `holds` confirms (a tag match is not proof: two
    /// keys may share 32 bits of hash).
    pub(crate) fn find(&self, hash: u64, mut holds: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.table.is_empty() {
            return None;
        }
        let mask = self.table.len() - 1;
        let tag = tag_of(hash);
        let mut pos = tag as usize & mask;
        // Terminates: the table always keeps an empty position.
        loop {
            let (t, s) = self.table[pos];
            if s == 0 {
                return None;
            }
            if t == tag && holds(s - 1) {
                return Some(s - 1);
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Indexes `slot` under `hash`. The caller makes sure the key is not indexed already.
    pub(crate) fn insert(&mut self, hash: u64, slot: u32) {
        // At most 7/8 full: probe runs stay short, and one position is always empty.
        if (self.len + 1) * 8 > self.table.len() * 7 {
            self.resize((self.table.len() * 2).max(MIN_POSITIONS));
        }
        self.place(tag_of(hash), slot.saturating_add(1));
        self.len += 1;
    }

    /// Removes `slot` (indexed under `hash`); returns whether it was there.
    pub(crate) fn remove(&mut self, hash: u64, slot: u32) -> bool {
        if self.table.is_empty() {
            return false;
        }
        let mask = self.table.len() - 1;
        let wanted = slot.saturating_add(1);
        let mut hole = tag_of(hash) as usize & mask;
        loop {
            match self.table[hole].1 {
                0 => return false,
                s if s == wanted => break,
                _ => hole = (hole + 1) & mask,
            }
        }
        // Backward shift: pull each later entry of the run into the hole unless its home lies
        // cyclically after the hole (it would then sit before its home and never be found).
        let mut next = (hole + 1) & mask;
        loop {
            let (t, s) = self.table[next];
            if s == 0 {
                break;
            }
            let home = t as usize & mask;
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                self.table[hole] = (t, s);
                hole = next;
            }
            next = (next + 1) & mask;
        }
        self.table[hole] = (0, 0);
        self.len -= 1;
        if self.len * 4 < self.table.len() && self.table.len() > MIN_POSITIONS {
            // Under a quarter full: halve, so a table that emptied gives its memory back.
            self.resize(self.table.len() / 2);
        }
        true
    }

    fn place(&mut self, tag: u32, stored: u32) {
        let mask = self.table.len() - 1;
        let mut pos = tag as usize & mask;
        while self.table[pos].1 != 0 {
            pos = (pos + 1) & mask;
        }
        self.table[pos] = (tag, stored);
    }

    fn resize(&mut self, positions: usize) {
        let old = std::mem::replace(&mut self.table, vec![(0, 0); positions]);
        for (tag, stored) in old {
            if stored != 0 {
                self.place(tag, stored);
            }
        }
    }

    /// Bytes held, for memory accounting in tests.
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        self.table.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// A deliberately poor hash (many keys share a home and a tag) to exercise long probe runs,
    /// wrap-around and deletion inside clusters.
    fn weak_hash(key: u16) -> u64 {
        u64::from(key % 37) << 32 | u64::from(key)
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16),
        Remove(u16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u16..200).prop_map(Op::Insert),
            (0u16..200).prop_map(Op::Remove)
        ]
    }

    proptest! {
        /// Against a BTreeMap model: every key found at its slot, no other key found, sizes agree.
        #[test]
        fn agrees_with_a_map(ops in proptest::collection::vec(op(), 0..600)) {
            let mut index = SlotIndex::default();
            let mut model: BTreeMap<u16, u32> = BTreeMap::new();
            let mut slot_key: BTreeMap<u32, u16> = BTreeMap::new();
            let mut next_slot = 0u32;
            for op in ops {
                match op {
                    Op::Insert(k) if !model.contains_key(&k) => {
                        index.insert(weak_hash(k), next_slot);
                        model.insert(k, next_slot);
                        slot_key.insert(next_slot, k);
                        next_slot += 1;
                    }
                    Op::Insert(_) => {}
                    Op::Remove(k) => {
                        let slot = model.remove(&k);
                        let removed = slot.is_some_and(|s| index.remove(weak_hash(k), s));
                        prop_assert_eq!(removed, slot.is_some());
                        if let Some(s) = slot {
                            slot_key.remove(&s);
                        }
                    }
                }
                prop_assert_eq!(index.len(), model.len());
            }
            for k in 0u16..200 {
                let found = index.find(weak_hash(k), |s| slot_key.get(&s) == Some(&k));
                prop_assert_eq!(found, model.get(&k).copied());
            }
        }
    }

    #[test]
    fn grows_and_gives_memory_back() {
        let mut index = SlotIndex::default();
        for k in 0..1000u16 {
            index.insert(weak_hash(k), u32::from(k));
        }
        let full = index.heap_bytes();
        assert!(full <= 2048 * 8, "{full}");
        for k in 0..1000u16 {
            assert!(index.remove(weak_hash(k), u32::from(k)));
        }
        assert_eq!(index.len(), 0);
        assert!(index.heap_bytes() <= MIN_POSITIONS * 8);
        assert!(!index.remove(weak_hash(1), 1));
        assert_eq!(index.find(weak_hash(1), |_| true), None);
    }
}
