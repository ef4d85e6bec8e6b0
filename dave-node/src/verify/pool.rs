//! The verification workers: threads that take datagrams carrying a record, run the core's own
//! acceptance rules on it (`DatRef::verify`, cheapest first, so a record with bad work costs a
//! worker one hash, exactly as it would cost the node) and leave the signature's result in the
//! [`VerifyCache`]. Each job carries a [`Ticket`] that the node's thread waits on before it hands
//! the datagram to the state machine.

use std::io;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use dave_core::dat::VerifyRules;

use super::cache::{VerifyCache, Warming};
use super::queue::Bounded;
use super::record::record_of;
use crate::clock::Clock;

/// Completion of one job, waited on by the node's thread.
#[derive(Debug, Default)]
pub struct Ticket {
    state: Mutex<TicketState>,
    finished: Condvar,
}

#[derive(Debug, Default)]
struct TicketState {
    done: bool,
    /// Whether the node's thread sleeps on it: most tickets are done before anyone looks, and
    /// waking nobody should cost no system call.
    waited_on: bool,
}

impl Ticket {
    /// A ticket not yet done.
    pub fn new() -> Arc<Ticket> {
        Arc::new(Ticket::default())
    }

    fn finish(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.done = true;
        let wake = state.waited_on;
        drop(state);
        if wake {
            self.finished.notify_all();
        }
    }

    /// Waits until the job is done or `wait` has passed; whether it is done.
    pub fn wait_within(&self, wait: Duration) -> bool {
        let deadline = Instant::now().checked_add(wait);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !state.done {
            let left = deadline.map_or(wait, |d| d.saturating_duration_since(Instant::now()));
            if left.is_zero() {
                return false;
            }
            state.waited_on = true;
            state = self
                .finished
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// Marks its ticket done when dropped: after the worker ran the job, and equally when a job is
/// discarded unrun (queue refused it, shutdown, a panicking worker unwinding), so the node's
/// thread is never left waiting on work that will not happen.
#[derive(Debug)]
struct Completion(Arc<Ticket>);

impl Drop for Completion {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// One datagram to verify ahead of the node.
#[derive(Debug)]
pub struct Job {
    datagram: Arc<[u8]>,
    _completion: Completion,
}

impl Job {
    /// A job for `datagram` that completes `ticket`.
    pub fn new(datagram: Arc<[u8]>, ticket: Arc<Ticket>) -> Job {
        Job {
            datagram,
            _completion: Completion(ticket),
        }
    }
}

/// Running worker threads; dropping this closes their queue and joins them.
#[derive(Debug)]
pub struct Workers {
    jobs: Arc<Bounded<Job>>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` threads taking jobs from `jobs`. `rules` and `clock` are the node's, so
    /// the workers skip exactly the records the node would refuse before their signature.
    pub fn spawn(
        count: usize,
        jobs: Arc<Bounded<Job>>,
        cache: Arc<VerifyCache>,
        rules: VerifyRules,
        clock: Clock,
    ) -> io::Result<Workers> {
        let mut workers = Workers {
            jobs: Arc::clone(&jobs),
            handles: Vec::with_capacity(count),
        };
        for i in 0..count {
            let jobs = Arc::clone(&jobs);
            let cache = Arc::clone(&cache);
            let handle = thread::Builder::new()
                .name(format!("dave-verify-{i}"))
                .spawn(move || {
                    while let Some(job) = jobs.pop() {
                        run(&job, &cache, &rules, &clock);
                    }
                })?;
            workers.handles.push(handle);
        }
        Ok(workers)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.jobs.close();
        for handle in self.handles.drain(..) {
            // A worker that panicked has already completed its ticket by unwinding; there is
            // nothing more to recover at shutdown.
            let _ = handle.join();
        }
    }
}

/// One job: the core's acceptance rules with a provider that warms the cache. The outcome is
/// not needed here; the node re-applies every rule and finds the signature's result cached.
fn run(job: &Job, cache: &VerifyCache, rules: &VerifyRules, clock: &Clock) {
    if let Some(dat) = record_of(&job.datagram) {
        let _ = dat.verify(clock.now().as_millis(), rules, &Warming(cache));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discarded_job_completes_its_ticket() {
        let ticket = Ticket::new();
        assert!(!ticket.wait_within(Duration::from_millis(1)));
        drop(Job::new(Arc::from(&b"x"[..]), Arc::clone(&ticket)));
        assert!(ticket.wait_within(Duration::ZERO));
    }

    #[test]
    fn jobs_left_at_shutdown_complete_their_tickets() {
        let jobs = Arc::new(Bounded::new(4));
        let ticket = Ticket::new();
        jobs.try_push(Job::new(Arc::from(&b"junk"[..]), Arc::clone(&ticket)))
            .unwrap();
        let rules = dave_core::config::Config::default().verify_rules();
        let workers = Workers::spawn(
            1,
            Arc::clone(&jobs),
            Arc::new(VerifyCache::default()),
            rules,
            Clock::new(),
        )
        .unwrap();
        assert!(ticket.wait_within(Duration::from_secs(10)));
        drop(workers);
        let late = Job::new(Arc::from(&b"late"[..]), Ticket::new());
        assert!(jobs.try_push(late).is_err(), "a closed queue takes no job");
    }
}
