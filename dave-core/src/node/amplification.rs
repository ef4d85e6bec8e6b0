//! The anti-amplification ledger of docs/protocol.md §8.
//!
//! For every address that has not passed an AUTH or LIVE round trip, the node tracks the bytes
//! received from it and the bytes it answered with, and never lets the answers exceed 3× what
//! arrived. An address that answers one of our pings correctly is marked as having passed a round
//! trip and is no longer limited, even when it did not get a place in the peer table (a full
//! bucket must not make a proven address look like a spoofed one). The ledger is bounded: when
//! full, the entry with the smallest address is forgotten, which only ever loses credit or the
//! round-trip mark (the safe direction), never grants them. Idle entries expire.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::time::Time;

/// Most addresses tracked at once.
pub(crate) const LEDGER_CAPACITY: usize = 1024;

/// Answers may total at most this multiple of what an unverified address sent.
pub(crate) const AMPLIFICATION_FACTOR: u64 = 3;

#[derive(Clone, Copy, Debug, Default)]
struct Credit {
    received: u64,
    sent: u64,
    last: Time,
    round_trip: bool,
}

#[derive(Debug, Default)]
pub(crate) struct AmpLedger {
    entries: BTreeMap<SocketAddr, Credit>,
}

impl AmpLedger {
    /// Counts a datagram received from an unverified address.
    pub(crate) fn credit(&mut self, from: SocketAddr, len: usize, now: Time) {
        if !self.entries.contains_key(&from) && self.entries.len() >= LEDGER_CAPACITY {
            self.entries.pop_first();
        }
        let entry = self.entries.entry(from).or_default();
        entry.received += len as u64;
        entry.last = now;
    }

    /// Spends `len` bytes of answer to `to` if the 3× allowance has room (always, once the
    /// address passed a round trip).
    pub(crate) fn try_spend(&mut self, to: SocketAddr, len: usize) -> bool {
        let Some(entry) = self.entries.get_mut(&to) else {
            return false;
        };
        if entry.round_trip {
            return true;
        }
        let after = entry.sent + len as u64;
        if after > AMPLIFICATION_FACTOR * entry.received {
            return false;
        }
        entry.sent = after;
        true
    }

    /// Bytes still allowed to `to`.
    pub(crate) fn allowance(&self, to: &SocketAddr) -> u64 {
        self.entries.get(to).map_or(0, |e| {
            if e.round_trip {
                u64::MAX
            } else {
                (AMPLIFICATION_FACTOR * e.received).saturating_sub(e.sent)
            }
        })
    }

    /// The address answered one of our pings correctly: no more limit.
    pub(crate) fn mark_round_trip(&mut self, addr: SocketAddr, now: Time) {
        if !self.entries.contains_key(&addr) && self.entries.len() >= LEDGER_CAPACITY {
            self.entries.pop_first();
        }
        let entry = self.entries.entry(addr).or_default();
        entry.round_trip = true;
        entry.last = now;
    }

    /// Stops tracking an address (it is a table peer with its own round-trip mark).
    pub(crate) fn forget(&mut self, addr: &SocketAddr) {
        self.entries.remove(addr);
    }

    /// Whether the address passed a round trip.
    pub(crate) fn has_round_trip(&self, addr: &SocketAddr) -> bool {
        self.entries.get(addr).is_some_and(|e| e.round_trip)
    }

    /// Drops entries idle for `idle`.
    pub(crate) fn expire(&mut self, now: Time, idle: Duration) {
        self.entries
            .retain(|_, e| now.saturating_duration_since(e.last) < idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_three_times_received() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut l = AmpLedger::default();
        assert!(!l.try_spend(a, 1));
        l.credit(a, 160, Time::ZERO);
        assert!(l.try_spend(a, 363));
        assert!(l.try_spend(a, 34));
        assert_eq!(l.allowance(&a), 480 - 397);
        assert!(!l.try_spend(a, 84));
        assert!(l.try_spend(a, 83));
        l.mark_round_trip(a, Time::ZERO);
        assert!(l.try_spend(a, 10_000));
        assert!(l.has_round_trip(&a));
    }

    #[test]
    fn bounded_and_expiring() {
        let mut l = AmpLedger::default();
        for i in 0..(LEDGER_CAPACITY as u32 + 10) {
            let a = SocketAddr::from(([10, (i >> 16) as u8, (i >> 8) as u8, i as u8], 1));
            l.credit(a, 100, Time::ZERO);
        }
        assert_eq!(l.entries.len(), LEDGER_CAPACITY);
        l.expire(Time::from_millis(60_000), Duration::from_secs(60));
        assert!(l.entries.is_empty());
    }
}
