//! Datagram buffers, reused: the engine never allocates per datagram once the pool has grown
//! to the largest number of datagrams in flight at once.
//!
//! A buffer also carries its datagram's source and length, so a queued delivery is only the
//! destination and the buffer's index: queue entries stay small, and the heap moves less
//! memory on every push and pop.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// Size of one buffer: larger than any legal datagram, so an oversize one can be produced,
/// seen and dropped (and counted) instead of truncated.
pub const BUFFER_SIZE: usize = 2048;

/// Source and length of the datagram a buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Source address (possibly spoofed).
    pub from: SocketAddr,
    /// Bytes used.
    pub len: u16,
}

const UNSET: Head = Head {
    from: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
    len: 0,
};

/// A free list of fixed-size buffers addressed by index.
#[derive(Default)]
pub struct BufferPool {
    buffers: Vec<[u8; BUFFER_SIZE]>,
    heads: Vec<Head>,
    free: Vec<u32>,
}

impl BufferPool {
    /// Takes a buffer (contents and head unspecified).
    pub fn take(&mut self) -> u32 {
        match self.free.pop() {
            Some(id) => id,
            None => {
                self.buffers.push([0; BUFFER_SIZE]);
                self.heads.push(UNSET);
                self.buffers.len() as u32 - 1
            }
        }
    }

    /// Returns a buffer to the pool.
    pub fn release(&mut self, id: u32) {
        self.free.push(id);
    }

    /// The buffer's bytes.
    pub fn get(&self, id: u32) -> &[u8; BUFFER_SIZE] {
        &self.buffers[id as usize]
    }

    /// The buffer's bytes, writable.
    pub fn get_mut(&mut self, id: u32) -> &mut [u8; BUFFER_SIZE] {
        &mut self.buffers[id as usize]
    }

    /// The datagram's source and length.
    pub fn head(&self, id: u32) -> Head {
        self.heads[id as usize]
    }

    /// Records the datagram's source and length.
    pub fn set_head(&mut self, id: u32, head: Head) {
        self.heads[id as usize] = head;
    }

    /// A second buffer holding a copy of `id`'s datagram (bytes and head).
    pub fn duplicate(&mut self, id: u32) -> u32 {
        let copy = self.take();
        let head = self.head(id);
        let len = usize::from(head.len);
        let (src, dst) = if id < copy {
            let (lo, hi) = self.buffers.split_at_mut(copy as usize);
            (&lo[id as usize], &mut hi[0])
        } else {
            let (lo, hi) = self.buffers.split_at_mut(id as usize);
            (&hi[0], &mut lo[copy as usize])
        };
        dst[..len].copy_from_slice(&src[..len]);
        self.heads[copy as usize] = head;
        copy
    }

    /// Buffers ever allocated (the high-water mark of datagrams in flight).
    pub fn allocated(&self) -> usize {
        self.buffers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_copy_bytes_and_head_and_buffers_are_reused() {
        let mut pool = BufferPool::default();
        let a = pool.take();
        pool.get_mut(a)[..3].copy_from_slice(b"abc");
        let head = Head {
            from: "11.0.0.1:4242".parse().expect("an address"),
            len: 3,
        };
        pool.set_head(a, head);
        let b = pool.duplicate(a);
        assert_ne!(a, b);
        assert_eq!((&pool.get(b)[..3], pool.head(b)), (&b"abc"[..], head));
        pool.release(a);
        let c = pool.take();
        assert_eq!(c, a);
        pool.get_mut(c)[..3].copy_from_slice(b"xyz");
        pool.set_head(c, Head { len: 2, ..head });
        let d = pool.duplicate(c);
        assert_eq!(&pool.get(d)[..2], b"xy");
        assert_eq!(pool.allocated(), 3);
    }
}
