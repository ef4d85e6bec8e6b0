//! The load generator of `dave-node bench --mode put`: sends pre-encoded PUT datagrams, each
//! once, keeping a window of them not yet settled by the node.
//!
//! A PUT has no answer on the wire (docs/protocol.md §4), so the window is closed in-process:
//! the node's thread counts the outcome of every PUT it handles ([`Progress`]) and the load
//! generator waits on that count. Closing the loop keeps the socket buffers from overflowing,
//! so what is measured is what the node accepts, not what the kernel drops.

use std::io;
use std::net::SocketAddr;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Longest the load generator waits for the node to settle one more PUT before counting every
/// outstanding one as lost (a drop anywhere between the two sockets).
const STALL: Duration = Duration::from_millis(500);

/// Outcomes of the PUTs the node handled, counted by its thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// Records stored.
    pub stored: u64,
    /// Records refused by the store (stale, full).
    pub refused: u64,
    /// Datagrams the node rejected (malformed, invalid record).
    pub rejected: u64,
}

impl Outcomes {
    /// PUTs settled either way.
    pub fn settled(&self) -> u64 {
        self.stored + self.refused + self.rejected
    }
}

/// [`Outcomes`] shared between the node's thread and the load generator.
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<ProgressState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct ProgressState {
    outcomes: Outcomes,
    /// The settled count the sleeping load generator waits for. The node's thread pays the
    /// system call of a wake-up only when it reaches it, so the harness adds as little as it
    /// can to the node's time.
    wake_at: Option<u64>,
}

impl Progress {
    /// Applies `update` and wakes the load generator if it waits.
    pub fn record(&self, update: impl FnOnce(&mut Outcomes)) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        update(&mut state.outcomes);
        let settled = state.outcomes.settled();
        let wake = state.wake_at.is_some_and(|at| settled >= at);
        if wake {
            state.wake_at = None;
        }
        drop(state);
        if wake {
            self.changed.notify_one();
        }
    }

    /// The outcomes so far.
    pub fn outcomes(&self) -> Outcomes {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .outcomes
    }

    /// Waits until at least `target` PUTs are settled or `wait` passes; the settled count.
    fn wait_for(&self, target: u64, wait: Duration) -> u64 {
        let deadline = Instant::now() + wait;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.outcomes.settled() < target {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state.wake_at = Some(target);
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.outcomes.settled()
    }
}

/// What the load generator saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct PutReport {
    /// PUTs sent.
    pub sent: u64,
    /// PUTs given up on (no outcome within 500 ms of the last one).
    pub lost: u64,
    /// From the first send until the last PUT settled or was given up on.
    pub elapsed: Duration,
}

/// Sends `datagrams` in order to `server`, at most `in_flight` unsettled at once, until all are
/// sent or `duration` has passed, then waits for the outstanding ones to settle.
pub fn run(
    server: SocketAddr,
    datagrams: &[Vec<u8>],
    in_flight: usize,
    duration: Duration,
    progress: &Progress,
) -> io::Result<PutReport> {
    let socket = super::load::loopback_client(server)?;
    let mut report = PutReport::default();
    let base = progress.outcomes().settled();
    let window = in_flight.max(1) as u64;
    let start = Instant::now();
    let end = start + duration;
    let mut settled = 0u64;
    loop {
        let outstanding = report.sent.saturating_sub(settled + report.lost);
        let more = report.sent < datagrams.len() as u64 && Instant::now() < end;
        if more && outstanding < window {
            let room = window - outstanding;
            let left = datagrams.len() as u64 - report.sent;
            for _ in 0..room.min(left) {
                let datagram = usize::try_from(report.sent)
                    .ok()
                    .and_then(|i| datagrams.get(i))
                    .ok_or_else(|| io::Error::other("PUT index out of range"))?;
                socket.send_to(datagram, server)?;
                report.sent += 1;
            }
            continue;
        }
        if outstanding == 0 && !more {
            break;
        }
        // Refill in batches of a quarter window: one wake-up per PUT would cost the node's
        // thread a system call per PUT, which the measurement would then charge to the node.
        let batch = (window / 4).clamp(1, outstanding.max(1));
        let now = progress
            .wait_for(base + settled + batch, STALL)
            .saturating_sub(base);
        if now == settled {
            report.lost += outstanding;
        }
        settled = now;
    }
    report.elapsed = start.elapsed();
    Ok(report)
}
