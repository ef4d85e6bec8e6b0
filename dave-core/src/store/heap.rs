//! The per-shard min-heap of §7, ordered by the time-invariant retention key.
//!
//! The heap holds slab indices; each entry remembers its own heap position so that an update or
//! a removal from the middle costs O(log n) instead of a linear search.

/// What the heap needs from the slab it indexes: the ordering key of a slot and a place to
/// record the slot's current heap position.
pub(crate) trait HeapSlots {
    /// `(retention key, record id)`: the record id breaks ties so the order is total.
    fn key(&self, slot: u32) -> (u64, u64);
    fn set_pos(&mut self, slot: u32, pos: u32);
}

/// A binary min-heap of slab indices.
#[derive(Debug, Default)]
pub(crate) struct SlotHeap {
    items: Vec<u32>,
}

impl SlotHeap {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The slot with the smallest retention key.
    pub(crate) fn peek(&self) -> Option<u32> {
        self.items.first().copied()
    }

    pub(crate) fn push<S: HeapSlots>(&mut self, slots: &mut S, slot: u32) {
        let pos = self.items.len();
        self.items.push(slot);
        slots.set_pos(slot, pos as u32);
        self.sift_up(slots, pos);
    }

    /// Removes the slot at heap position `pos` (as recorded through [`HeapSlots::set_pos`]).
    pub(crate) fn remove_at<S: HeapSlots>(&mut self, slots: &mut S, pos: usize) -> u32 {
        let last = self.items.len() - 1;
        self.items.swap(pos, last);
        let removed = self.items.pop().unwrap_or_default();
        if pos < self.items.len() {
            slots.set_pos(self.items[pos], pos as u32);
            self.sift_down(slots, pos);
            self.sift_up(slots, pos);
        }
        removed
    }

    fn sift_up<S: HeapSlots>(&mut self, slots: &mut S, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if slots.key(self.items[pos]) >= slots.key(self.items[parent]) {
                break;
            }
            self.swap(slots, pos, parent);
            pos = parent;
        }
    }

    fn sift_down<S: HeapSlots>(&mut self, slots: &mut S, mut pos: usize) {
        let len = self.items.len();
        loop {
            let left = 2 * pos + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let smaller =
                if right < len && slots.key(self.items[right]) < slots.key(self.items[left]) {
                    right
                } else {
                    left
                };
            if slots.key(self.items[smaller]) >= slots.key(self.items[pos]) {
                break;
            }
            self.swap(slots, pos, smaller);
            pos = smaller;
        }
    }

    fn swap<S: HeapSlots>(&mut self, slots: &mut S, a: usize, b: usize) {
        self.items.swap(a, b);
        slots.set_pos(self.items[a], a as u32);
        slots.set_pos(self.items[b], b as u32);
    }

    /// Whether every parent orders before its children (used by tests).
    #[cfg(test)]
    pub(crate) fn is_heap<S: HeapSlots>(&self, slots: &S) -> bool {
        (1..self.items.len())
            .all(|i| slots.key(self.items[(i - 1) / 2]) <= slots.key(self.items[i]))
    }

    #[cfg(test)]
    pub(crate) fn items(&self) -> &[u32] {
        &self.items
    }
}
