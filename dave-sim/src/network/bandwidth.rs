//! Per-node uplink bandwidth with a bounded FIFO queue.
//!
//! The queue is computed, not simulated: a node's link is busy until some time; a datagram
//! starts when the link frees and occupies it for `len × 8 / rate`. The bytes waiting at
//! `now` are `(busy_until − now) × rate`; a datagram that would find more than the queue
//! limit waiting is tail-dropped. No event per datagram is needed for the link itself.

/// Uplink parameters.
#[derive(Debug, Clone, Copy)]
pub struct Uplink {
    bits_per_s: u64,
    queue_bytes: u64,
}

impl Uplink {
    /// `kbps` kilobits per second (1000 bits), queue limit in bytes.
    pub fn new(kbps: u64, queue_bytes: u64) -> Uplink {
        Uplink {
            bits_per_s: kbps.max(1) * 1000,
            queue_bytes,
        }
    }

    /// Time (µs) to serialise `len` bytes, rounded up.
    pub fn transmit_us(&self, len: usize) -> u64 {
        (len as u64 * 8 * 1_000_000).div_ceil(self.bits_per_s)
    }

    /// Enqueues a datagram at `now` on a link busy until `busy_until`. Returns the time the
    /// datagram has fully left and the new busy-until time, or `None` if the queue is full.
    pub fn enqueue(&self, now: u64, busy_until: u64, len: usize) -> Option<(u64, u64)> {
        let backlog_us = busy_until.saturating_sub(now);
        let backlog_bytes =
            (u128::from(backlog_us) * u128::from(self.bits_per_s) / 8_000_000) as u64;
        if backlog_bytes + len as u64 > self.queue_bytes + self.one_datagram_allowance(len) {
            return None;
        }
        let done = busy_until.max(now) + self.transmit_us(len);
        Some((done, done))
    }

    /// The datagram being serialised is not "waiting": allow it on top of the queue limit so a
    /// queue smaller than one datagram still passes datagrams on an idle link.
    fn one_datagram_allowance(&self, len: usize) -> u64 {
        len as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_to_back_datagrams_queue_then_drop() {
        // 8 kbit/s: 1000 bytes take one second. Queue holds 2000 bytes.
        let up = Uplink::new(8, 2000);
        let mut busy = 0;
        let mut accepted = 0;
        for _ in 0..10 {
            if let Some((_, b)) = up.enqueue(0, busy, 1000) {
                busy = b;
                accepted += 1;
            }
        }
        // One on the wire plus two waiting.
        assert_eq!(accepted, 3);
        assert_eq!(busy, 3_000_000);
        // Once drained, the link accepts again.
        assert!(up.enqueue(3_000_000, busy, 1000).is_some());
    }
}
