//! All of a node's timers in one small table that yields a single next deadline, in the manner
//! of quinn-proto's `connection/timer.rs`.
//!
//! Per-peer ping times live in the peer table's schedule and per-lookup deadlines in the lookups;
//! each subsystem publishes its earliest deadline here, so `poll_timeout` is one pass over a
//! fixed array.

use crate::time::{MaybeTime, Time};

/// One kind of timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Timer {
    /// The earliest peer due for a ping, deactivation or drop (§5).
    Peers,
    /// Candidate expiry and anti-amplification ledger cleanup (§5, §8).
    Housekeeping,
    /// The earliest test-before-evict deadline (§5).
    Evictions,
    /// The earliest lookup query or lookup deadline (§8).
    Lookups,
    /// The next storage challenge (§9).
    Challenge,
    /// The earliest pending challenge deadline (§9).
    ChallengeDeadline,
    /// The next own-address discovery round (§6).
    AddrDiscovery,
    /// The next re-propagation batch (§8).
    Republish,
    /// The earliest record expiry (§7).
    Expiry,
    /// The next table refresh lookup (join, then every REFRESH_EVERY).
    Refresh,
    /// The next retry of a self-lookup that left the table with no peer but edges.
    JoinRetry,
    /// The next paced AUTH PING to a candidate learned from a third party (§5).
    Candidates,
    /// The earliest candidate AUTH PING due for its one retry (§5).
    HandshakeRetry,
    /// The next paced step of handing records over to a newly activated peer (§8).
    Handoff,
}

impl Timer {
    pub(crate) const ALL: [Timer; 14] = [
        Timer::Peers,
        Timer::Housekeeping,
        Timer::Evictions,
        Timer::Lookups,
        Timer::Challenge,
        Timer::ChallengeDeadline,
        Timer::AddrDiscovery,
        Timer::Republish,
        Timer::Expiry,
        Timer::Refresh,
        Timer::JoinRetry,
        Timer::Candidates,
        Timer::HandshakeRetry,
        Timer::Handoff,
    ];
}

/// The deadline of every timer, [`MaybeTime::NONE`] when unarmed: 8 bytes a timer instead of
/// 16, so the table spans two cache lines instead of four, and the node reads all of it after
/// every input to find its next deadline.
#[derive(Clone, Debug)]
pub(crate) struct TimerTable {
    deadlines: [MaybeTime; Timer::ALL.len()],
}

impl Default for TimerTable {
    fn default() -> Self {
        TimerTable {
            deadlines: [MaybeTime::NONE; Timer::ALL.len()],
        }
    }
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Option<Time>) {
        self.deadlines[timer as usize] = at.map_or(MaybeTime::NONE, MaybeTime::some);
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Time> {
        self.deadlines[timer as usize].get()
    }

    /// The earliest armed deadline.
    pub(crate) fn next(&self) -> Option<Time> {
        self.deadlines.iter().filter_map(|d| d.get()).min()
    }

    /// Disarms and returns a timer if it is due at `now`.
    pub(crate) fn take_due(&mut self, timer: Timer, now: Time) -> bool {
        match self.deadlines[timer as usize].get() {
            Some(at) if at <= now => {
                self.deadlines[timer as usize] = MaybeTime::NONE;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_the_earliest_deadline_and_fires_once() {
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Challenge, Some(Time::from_millis(30)));
        t.set(Timer::Peers, Some(Time::from_millis(10)));
        assert_eq!(t.next(), Some(Time::from_millis(10)));
        assert!(!t.take_due(Timer::Challenge, Time::from_millis(20)));
        assert!(t.take_due(Timer::Peers, Time::from_millis(20)));
        assert!(!t.take_due(Timer::Peers, Time::from_millis(20)));
        assert_eq!(t.get(Timer::Challenge), Some(Time::from_millis(30)));
        assert_eq!(t.next(), Some(Time::from_millis(30)));
    }
}
