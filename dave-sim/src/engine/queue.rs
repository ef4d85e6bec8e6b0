//! The event queue: items pop in (time, sequence number) order. The sequence number makes ties
//! deterministic: events at the same microsecond run in the order scheduled.
//!
//! A single binary heap over every pending event spends most of a pop on cache misses and
//! mispredicted compares once hundreds of thousands are pending. Virtual time only moves
//! forward, so this is a calendar queue instead: a small heap holds the events of the current
//! window of [`WINDOW_US`]; a ring of unsorted buckets holds the next [`BUCKETS`] windows; a
//! heap holds anything further out. A bucket is heapified only when its window becomes
//! current. The pop order is exactly the single heap's: every pending event earlier than the
//! end of the current window is in the small heap, and it orders by (time, sequence).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// log2 of the window width in µs (4.1 ms).
const WINDOW_SHIFT: u32 = 12;
/// Width of one window, µs.
pub const WINDOW_US: u64 = 1 << WINDOW_SHIFT;
/// Windows in the ring (about 67 s of virtual time ahead).
pub const BUCKETS: usize = 1 << 14;

struct Entry<T> {
    time: u64,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    /// Reversed: the heap is a max-heap and we want the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A min-queue of items by (time, insertion order).
pub struct EventQueue<T> {
    /// Events before `window_end` (the current window, and any scheduled behind it).
    current: BinaryHeap<Entry<T>>,
    /// Window number of `current`: it covers `[window << WINDOW_SHIFT, window_end)`.
    window: u64,
    /// Bucket `w % BUCKETS` holds the events of window `w`, for `window < w < window + BUCKETS`.
    ring: Vec<Vec<Entry<T>>>,
    /// Events in `ring`.
    in_ring: usize,
    /// Events of window `window + BUCKETS` and later.
    far: BinaryHeap<Entry<T>>,
    next_seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            current: BinaryHeap::new(),
            window: 0,
            ring: (0..BUCKETS).map(|_| Vec::new()).collect(),
            in_ring: 0,
            far: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<T> EventQueue<T> {
    /// Schedules `item` at `time`.
    pub fn push(&mut self, time: u64, item: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry { time, seq, item };
        let w = time >> WINDOW_SHIFT;
        if w <= self.window {
            self.current.push(entry);
        } else if w - self.window < BUCKETS as u64 {
            self.ring[(w % BUCKETS as u64) as usize].push(entry);
            self.in_ring += 1;
        } else {
            self.far.push(entry);
        }
    }

    /// Makes `current` hold the earliest events, if any are pending.
    fn refill(&mut self) {
        while self.current.is_empty() {
            if self.in_ring == 0 {
                // Nothing within the ring's reach: jump straight to the next far window.
                let Some(first) = self.far.peek() else {
                    return;
                };
                self.window = first.time >> WINDOW_SHIFT;
            } else {
                self.window += 1;
                let bucket = &mut self.ring[(self.window % BUCKETS as u64) as usize];
                self.in_ring -= bucket.len();
                // The bucket keeps no allocation: a ring of large idle buckets would hold
                // memory for every window at once.
                self.current.extend(std::mem::take(bucket));
            }
            // Far events that the ring's advance brought into reach.
            let reach = self.window + BUCKETS as u64;
            while let Some(e) = self.far.peek() {
                let w = e.time >> WINDOW_SHIFT;
                if w >= reach {
                    break;
                }
                let Some(e) = self.far.pop() else {
                    break;
                };
                if w <= self.window {
                    self.current.push(e);
                } else {
                    self.ring[(w % BUCKETS as u64) as usize].push(e);
                    self.in_ring += 1;
                }
            }
        }
    }

    /// Time of the earliest item.
    pub fn peek_time(&mut self) -> Option<u64> {
        self.refill();
        self.current.peek().map(|e| e.time)
    }

    /// The earliest item, left in place.
    pub fn peek(&mut self) -> Option<&T> {
        self.refill();
        self.current.peek().map(|e| &e.item)
    }

    /// Removes the earliest item.
    pub fn pop(&mut self) -> Option<(u64, T)> {
        self.refill();
        self.current.pop().map(|e| (e.time, e.item))
    }

    /// Number of pending items.
    pub fn len(&self) -> usize {
        self.current.len() + self.in_ring + self.far.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut q = EventQueue::default();
        q.push(5, "c");
        q.push(1, "a");
        q.push(5, "d");
        q.push(1, "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, x)| x)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
    }

    /// What the queue must behave like: one heap over (time, seq).
    #[derive(Default)]
    struct Reference {
        heap: BinaryHeap<std::cmp::Reverse<(u64, u64)>>,
        seq: u64,
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Interleaved pushes (near, across windows, beyond the ring, and behind the current
        /// window, as a driver scheduling at an earlier `until` does) and pops give exactly the
        /// order of a single heap.
        #[test]
        fn matches_a_single_heap(ops in prop::collection::vec((0u8..6, 0u64..200_000_000), 1..600)) {
            let mut q = EventQueue::default();
            let mut r = Reference::default();
            let mut now = 0u64;
            for (kind, x) in ops {
                if kind == 0 {
                    let got = q.pop();
                    let want = r.heap.pop().map(|std::cmp::Reverse((t, s))| (t, s));
                    prop_assert_eq!(got, want);
                    if let Some((t, _)) = got {
                        prop_assert!(t >= now);
                        now = t;
                    }
                    prop_assert_eq!(q.len(), r.heap.len());
                } else {
                    let delay = match kind {
                        1 => x % 1000,
                        2 => x % 5_000_000,
                        3 => x,
                        _ => 0,
                    };
                    let at = now + delay;
                    q.push(at, r.seq);
                    r.heap.push(std::cmp::Reverse((at, r.seq)));
                    r.seq += 1;
                    if kind == 5 {
                        prop_assert_eq!(q.peek_time(), r.heap.peek().map(|e| e.0.0));
                        prop_assert_eq!(q.peek().copied(), r.heap.peek().map(|e| e.0.1));
                    }
                }
            }
            while let Some(want) = r.heap.pop() {
                prop_assert_eq!(q.pop(), Some((want.0.0, want.0.1)));
            }
            prop_assert!(q.pop().is_none() && q.is_empty());
        }
    }
}
