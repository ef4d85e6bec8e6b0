//! Datagrams in flight, stored compactly and reused: the engine never allocates per datagram
//! once the pool has grown to the largest number of datagrams in flight at once.
//!
//! A host writes its datagram into one scratch buffer larger than any legal datagram (so an
//! oversize one can be produced, seen and dropped instead of truncated); a datagram that is
//! delivered is then copied into the smallest slot that holds it. Slots come in six sizes,
//! 64 B to 2 KiB: most datagrams are pings and pongs of 40 to 300 bytes, and with one 2 KiB
//! buffer each the pool was the largest single consumer of memory at scale (33 MB of a 2,000-node
//! run's 250 MB, growing with the datagrams in flight). Slots live in fixed chunks, so growing
//! never moves the datagrams already stored.
//!
//! A slot also carries its datagram's source and length, so a queued delivery is only the
//! destination and the slot's id: queue entries stay small.

use std::net::SocketAddr;

/// Size of the scratch buffer a host writes into: larger than any legal datagram.
pub const BUFFER_SIZE: usize = 2048;

/// Slot sizes, smallest first; the last is [`BUFFER_SIZE`].
const CLASS_SIZES: [usize; 6] = [64, 128, 256, 512, 1024, BUFFER_SIZE];

/// Bytes of slot storage per chunk of a class.
const CHUNK_BYTES: usize = 64 * 1024;

/// Slot ids carry their class in the top bits.
const CLASS_SHIFT: u32 = 29;
const INDEX_MASK: u32 = (1 << CLASS_SHIFT) - 1;

/// Source and length of the datagram a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Source address (possibly spoofed).
    pub from: SocketAddr,
    /// Bytes used.
    pub len: u16,
}

/// The slots of one size.
struct SizeClass {
    size: usize,
    chunks: Vec<Box<[u8]>>,
    heads: Vec<Head>,
    free: Vec<u32>,
}

impl SizeClass {
    fn new(size: usize) -> Self {
        SizeClass {
            size,
            chunks: Vec::new(),
            heads: Vec::new(),
            free: Vec::new(),
        }
    }

    fn per_chunk(&self) -> usize {
        CHUNK_BYTES / self.size
    }

    fn slot(&self, index: u32) -> &[u8] {
        let (chunk, at) = self.locate(index);
        &self.chunks[chunk][at..at + self.size]
    }

    /// `slot`, or `None` for an index beyond the pool (a cache hint must not panic).
    fn try_slot(&self, index: u32) -> Option<&[u8]> {
        let (chunk, at) = self.locate(index);
        self.chunks.get(chunk)?.get(at..at + self.size)
    }

    fn slot_mut(&mut self, index: u32) -> &mut [u8] {
        let (chunk, at) = self.locate(index);
        let size = self.size;
        &mut self.chunks[chunk][at..at + size]
    }

    fn locate(&self, index: u32) -> (usize, usize) {
        let index = index as usize;
        (
            index / self.per_chunk(),
            (index % self.per_chunk()) * self.size,
        )
    }

    fn take(&mut self, head: Head) -> u32 {
        if let Some(index) = self.free.pop() {
            self.heads[index as usize] = head;
            return index;
        }
        let index = self.heads.len();
        if index == self.chunks.len() * self.per_chunk() {
            self.chunks
                .push(vec![0; self.per_chunk() * self.size].into_boxed_slice());
        }
        self.heads.push(head);
        index as u32
    }
}

/// The datagrams in flight, by slot id.
pub struct BufferPool {
    classes: Vec<SizeClass>,
}

impl Default for BufferPool {
    fn default() -> Self {
        BufferPool {
            classes: CLASS_SIZES.iter().map(|&s| SizeClass::new(s)).collect(),
        }
    }
}

fn split(id: u32) -> (usize, u32) {
    ((id >> CLASS_SHIFT) as usize, id & INDEX_MASK)
}

impl BufferPool {
    /// Stores a copy of `bytes` (at most [`BUFFER_SIZE`]) with its source; returns the slot id.
    pub fn store(&mut self, from: SocketAddr, bytes: &[u8]) -> u32 {
        let len = bytes.len().min(BUFFER_SIZE);
        let class = CLASS_SIZES
            .iter()
            .position(|&size| size >= len)
            .unwrap_or(CLASS_SIZES.len() - 1);
        let head = Head {
            from,
            len: len as u16,
        };
        let sizes = &mut self.classes[class];
        let index = sizes.take(head);
        sizes.slot_mut(index)[..len].copy_from_slice(&bytes[..len]);
        ((class as u32) << CLASS_SHIFT) | index
    }

    /// Returns a slot to the pool.
    pub fn release(&mut self, id: u32) {
        let (class, index) = split(id);
        self.classes[class].free.push(index);
    }

    /// The datagram a slot holds.
    pub fn bytes(&self, id: u32) -> &[u8] {
        let (class, index) = split(id);
        let sizes = &self.classes[class];
        let len = usize::from(sizes.heads[index as usize].len);
        &sizes.slot(index)[..len]
    }

    /// Hints the cache to fetch the datagram's head and bytes (see `engine::prefetch`).
    pub fn prefetch(&self, id: u32) {
        let (class, index) = split(id);
        if let Some(sizes) = self.classes.get(class) {
            super::prefetch::line(sizes.heads.as_ptr().wrapping_add(index as usize));
            if let Some(slot) = sizes.try_slot(index) {
                super::prefetch::range(slot.as_ptr(), slot.len().min(256));
            }
        }
    }

    /// The datagram's source and length.
    pub fn head(&self, id: u32) -> Head {
        let (class, index) = split(id);
        self.classes[class].heads[index as usize]
    }

    /// A second slot holding a copy of `id`'s datagram (bytes and head).
    pub fn duplicate(&mut self, id: u32) -> u32 {
        let (class, index) = split(id);
        let sizes = &mut self.classes[class];
        let head = sizes.heads[index as usize];
        let copy = sizes.take(head);
        let len = usize::from(head.len);
        let (from, to) = (sizes.locate(index), sizes.locate(copy));
        if from.0 == to.0 {
            sizes.chunks[from.0].copy_within(from.1..from.1 + len, to.1);
        } else {
            let (lo, hi) = sizes.chunks.split_at_mut(from.0.max(to.0));
            let (src, dst) = if from.0 < to.0 {
                (&lo[from.0], &mut hi[0])
            } else {
                (&hi[0], &mut lo[to.0])
            };
            dst[to.1..to.1 + len].copy_from_slice(&src[from.1..from.1 + len]);
        }
        ((class as u32) << CLASS_SHIFT) | copy
    }

    /// Slots ever allocated (the high-water mark of datagrams in flight).
    pub fn allocated(&self) -> usize {
        self.classes.iter().map(|c| c.heads.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> SocketAddr {
        "11.0.0.1:4242".parse().expect("an address")
    }

    #[test]
    fn a_cache_hint_for_any_id_is_harmless() {
        let mut pool = BufferPool::default();
        let a = pool.store(from(), b"abc");
        for id in [a, a + 1, u32::MAX, 0] {
            pool.prefetch(id);
        }
        assert_eq!(pool.bytes(a), b"abc");
    }

    #[test]
    fn duplicates_copy_bytes_and_head_and_slots_are_reused() {
        let mut pool = BufferPool::default();
        let a = pool.store(from(), b"abc");
        let b = pool.duplicate(a);
        assert_ne!(a, b);
        assert_eq!(
            (pool.bytes(b), pool.head(b)),
            (
                &b"abc"[..],
                Head {
                    from: from(),
                    len: 3
                }
            )
        );
        pool.release(a);
        let c = pool.store(from(), b"xy");
        assert_eq!(c, a);
        let d = pool.duplicate(c);
        assert_eq!(pool.bytes(d), b"xy");
        assert_eq!(pool.allocated(), 3);
    }

    #[test]
    fn every_size_lands_whole_in_the_smallest_slot_that_holds_it() {
        let mut pool = BufferPool::default();
        let mut ids = Vec::new();
        // Enough datagrams of each size to span several chunks of every class.
        for round in 0..1100usize {
            let len = [0, 1, 64, 65, 300, 1024, 1025, BUFFER_SIZE][round % 8];
            let bytes: Vec<u8> = (0..len).map(|i| (i + round) as u8).collect();
            let id = pool.store(from(), &bytes);
            ids.push((id, bytes));
        }
        for (id, bytes) in &ids {
            assert_eq!(pool.bytes(*id), &bytes[..]);
            let copy = pool.duplicate(*id);
            assert_eq!(pool.bytes(copy), &bytes[..]);
        }
        let (class, _) = split(ids[3].0);
        assert_eq!(CLASS_SIZES[class], 128, "65 bytes take a 128-byte slot");
    }
}
