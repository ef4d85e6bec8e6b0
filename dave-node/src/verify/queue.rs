//! A bounded FIFO queue between threads that refuses, rather than grows, when full.
//!
//! `std::sync::mpsc::sync_channel` would do for one consumer, but the worker pool has several,
//! and the intake must know whether the node's queue has room *before* it spends a worker on a
//! datagram it would then drop. A mutex-guarded `VecDeque` with one condition variable is all
//! either needs at tens of thousands of items per second. A push wakes a consumer only when
//! one is waiting (the queue counts them): `Condvar::notify_one` is a system call even with no
//! waiter, and a busy pipeline pushes twice per datagram while its consumers rarely sleep.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A FIFO queue of at most `capacity` items, shared by reference between threads.
#[derive(Debug)]
pub struct Bounded<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
    capacity: usize,
}

#[derive(Debug)]
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
    /// Consumers blocked in `pop` or `pop_within`.
    waiting: usize,
}

impl<T> Bounded<T> {
    /// An empty queue holding at most `capacity` items (at least one).
    pub fn new(capacity: usize) -> Self {
        Bounded {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
                waiting: 0,
            }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// The lock; a thread that panicked while holding it left the queue consistent (every
    /// critical section is one `VecDeque` call), so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `item`, or hands it back when the queue is full or closed.
    pub fn try_push(&self, item: T) -> Result<(), T> {
        let mut state = self.lock();
        if state.closed || state.items.len() >= self.capacity {
            return Err(item);
        }
        state.items.push_back(item);
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Whether a [`Bounded::try_push`] now would succeed. Exact for a single producer: other
    /// threads only ever make room.
    pub fn has_room(&self) -> bool {
        let state = self.lock();
        !state.closed && state.items.len() < self.capacity
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether none is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The oldest item, waiting up to `wait` for one; `None` on timeout, or once the queue is
    /// closed and empty.
    pub fn pop_within(&self, wait: Duration) -> Option<T> {
        let deadline = Instant::now().checked_add(wait);
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                return Some(item);
            }
            if state.closed {
                return None;
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => wait,
            };
            if left.is_zero() {
                return None;
            }
            state.waiting += 1;
            state = self
                .ready
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.waiting -= 1;
        }
    }

    /// The oldest item, waiting as long as it takes; `None` once the queue is closed and empty.
    pub fn pop(&self) -> Option<T> {
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                return Some(item);
            }
            if state.closed {
                return None;
            }
            state.waiting += 1;
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
    }

    /// Refuses further pushes and wakes every waiting consumer; items already queued can still
    /// be popped.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn refuses_when_full_and_keeps_order() {
        let q = Bounded::new(3);
        for i in 0..3 {
            assert!(q.has_room());
            assert_eq!(q.try_push(i), Ok(()));
        }
        assert!(!q.has_room());
        assert_eq!(q.try_push(99), Err(99));
        assert_eq!(q.len(), 3);
        assert_eq!(q.pop_within(Duration::ZERO), Some(0));
        assert_eq!(q.try_push(3), Ok(()));
        let rest: Vec<_> = std::iter::from_fn(|| q.pop_within(Duration::ZERO)).collect();
        assert_eq!(rest, [1, 2, 3]);
        assert!(q.is_empty());
        assert_eq!(q.pop_within(Duration::from_millis(5)), None);
    }

    #[test]
    fn close_wakes_a_waiting_consumer_and_refuses_pushes() {
        let q = Arc::new(Bounded::<u32>::new(4));
        q.try_push(7).unwrap();
        let consumer = {
            let q = Arc::clone(&q);
            thread::spawn(move || (q.pop(), q.pop()))
        };
        thread::sleep(Duration::from_millis(20));
        q.close();
        assert_eq!(consumer.join().unwrap(), (Some(7), None));
        assert_eq!(q.try_push(8), Err(8));
        assert!(!q.has_room());
    }

    #[test]
    fn a_waiting_pop_sees_a_later_push() {
        let q = Arc::new(Bounded::new(1));
        let producer = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                q.try_push(5u8)
            })
        };
        assert_eq!(q.pop_within(Duration::from_secs(10)), Some(5));
        assert_eq!(producer.join().unwrap(), Ok(()));
    }
}
