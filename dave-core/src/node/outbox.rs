//! The queue of datagrams waiting for `poll_transmit`.
//!
//! Each datagram is encoded once, when the node decides to send it, and kept at its length in a
//! byte arena; `poll_transmit` copies it into the caller's buffer. Encoding at decision time
//! gives the anti-amplification ledger (§8) the exact length and never leaves a queued datagram
//! pointing at a record that has since been evicted.
//!
//! The arena and the queue are released whenever the queue drains: drivers drain after every
//! input, so an idle node holds no room for datagrams it is not sending (2 KB a node, kept, was
//! 5 % of a 100,000-node simulation). Encoding needs a datagram's worth of room before the length
//! is known; that room is one buffer per thread, not per node, and only the encoded bytes move
//! into the arena — a few hundred bytes for a ping or pong, which the allocator's per-thread
//! cache serves (a 1,424-byte arena per input is beyond glibc's, which caches up to 1,032).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::wire::{MAX_DATAGRAM, Message, WireError};

/// A datagram to send: its destination and its length in the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub to: SocketAddr,
    /// How many bytes of the buffer passed to `poll_transmit` it occupies.
    pub len: usize,
}

thread_local! {
    /// Where every node on this thread encodes a datagram before queuing it (see the module
    /// documentation). Scratch only: nothing in it outlives one `push`.
    static ENCODE_ROOM: RefCell<[u8; MAX_DATAGRAM]> = const { RefCell::new([0; MAX_DATAGRAM]) };
}

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Destination, start in `arena` and length of each queued datagram.
    queue: VecDeque<(SocketAddr, usize, usize)>,
    /// The queued datagrams' bytes, end to end.
    arena: Vec<u8>,
}

impl Outbox {
    /// Encodes and queues a message; returns its length.
    pub(crate) fn push(&mut self, to: SocketAddr, msg: &Message<'_>) -> Result<usize, WireError> {
        ENCODE_ROOM.with_borrow_mut(|room| {
            let len = msg.encode(room)?;
            let start = self.arena.len();
            self.arena.extend_from_slice(&room[..len]);
            self.queue.push_back((to, start, len));
            Ok(len)
        })
    }

    /// Copies the next datagram into `buf` (which should hold [`MAX_DATAGRAM`] bytes). A buffer
    /// too small for a datagram skips it rather than truncating it.
    pub(crate) fn pop(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        loop {
            let (to, start, len) = self.queue.pop_front()?;
            let fits = buf.len() >= len;
            if fits {
                buf[..len].copy_from_slice(&self.arena[start..start + len]);
            }
            if self.queue.is_empty() {
                *self = Outbox::default();
            }
            if fits {
                return Some(Transmit { to, len });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::PingKind;

    #[test]
    fn queues_in_order_copies_out_and_releases_bursts() {
        let mut out = Outbox::default();
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let ping = Message::Ping {
            kind: PingKind::Live,
            nonce: [1; 32],
            read_only: false,
            pad_to: 160,
        };
        for _ in 0..100 {
            assert_eq!(out.push(a, &ping), Ok(160));
        }
        let mut small = [0u8; 10];
        assert_eq!(
            out.pop(&mut small),
            None,
            "a too-small buffer skips, never truncates"
        );
        assert_eq!(out.queue.capacity(), 0, "a drained outbox holds no room");
        assert_eq!(out.arena.capacity(), 0);
        out.push(a, &Message::GetMyAddrPort).unwrap();
        out.push(a, &ping).unwrap();
        let mut buf = [0u8; MAX_DATAGRAM];
        assert_eq!(out.pop(&mut buf), Some(Transmit { to: a, len: 1 }));
        assert_eq!(buf[0], 5);
        assert_eq!(out.pop(&mut buf), Some(Transmit { to: a, len: 160 }));
        assert_eq!(out.pop(&mut buf), None);
    }
}
