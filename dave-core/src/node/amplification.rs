//! The anti-amplification ledger of docs/protocol.md §8.
//!
//! For every address, verified or not, the node tracks the bytes received from it and the bytes
//! it answered with, and never lets the answers exceed 3× what arrived. Decision (issue 9,
//! `reflection.json`): a round trip used to lift the limit, so a reflector spoofing an honest
//! node's address got unlimited answers from every node that had verified it, and the victim
//! received 4.7–6.1× what the reflectors sent. Honest requests are padded so that their answers
//! fit (§8); unused credit is capped at [`CREDIT_CAP`] bytes and lapses after
//! [`CREDIT_LAPSE`] without traffic, so a spoofer cannot spend the allowance a victim's own
//! traffic built up. An address that answers one of our pings is still marked as having passed
//! a round trip (GETMYADDRPORT answers need it). The ledger is bounded:
//! when full, the entry with the smallest address is forgotten, which only ever loses credit or
//! the round-trip mark (the safe direction), never grants them. Idle entries expire.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::time::Time;

/// Most addresses tracked at once.
pub(crate) const LEDGER_CAPACITY: usize = 1024;

/// Answers may total at most this multiple of what an address sent.
pub(crate) const AMPLIFICATION_FACTOR: u64 = 3;

/// Most unspent allowance an address may hold, bytes: the answer to one padded GET (3 × 480).
pub(crate) const CREDIT_CAP: u64 = 1440;

/// Unspent allowance lapses when nothing arrived from the address for this long: an exchange
/// (a handshake's PONG and PING, a GET and its answer) takes one datagram or a burst of them.
pub(crate) const CREDIT_LAPSE: Duration = Duration::from_secs(1);

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
    /// Counts a datagram received from `from`; the unspent allowance stays within
    /// [`CREDIT_CAP`].
    pub(crate) fn credit(&mut self, from: SocketAddr, len: usize, now: Time) {
        if !self.entries.contains_key(&from) && self.entries.len() >= LEDGER_CAPACITY {
            self.entries.pop_first();
        }
        let entry = self.entries.entry(from).or_default();
        if now.saturating_duration_since(entry.last) >= CREDIT_LAPSE {
            // Allowance earned in an earlier exchange lapses: it belongs to whoever sent
            // those bytes, perhaps the genuine holder of an address a reflector now spoofs.
            entry.received = entry.sent.div_ceil(AMPLIFICATION_FACTOR);
        }
        entry.received += len as u64;
        let most = (entry.sent + CREDIT_CAP).div_ceil(AMPLIFICATION_FACTOR);
        entry.received = entry.received.min(most);
        entry.last = now;
    }

    /// Spends `len` bytes of answer to `to` if the 3× allowance has room.
    pub(crate) fn try_spend(&mut self, to: SocketAddr, len: usize) -> bool {
        let Some(entry) = self.entries.get_mut(&to) else {
            return false;
        };
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
            (AMPLIFICATION_FACTOR * e.received).saturating_sub(e.sent)
        })
    }

    /// The address answered one of our pings correctly.
    pub(crate) fn mark_round_trip(&mut self, addr: SocketAddr, now: Time) {
        if !self.entries.contains_key(&addr) && self.entries.len() >= LEDGER_CAPACITY {
            self.entries.pop_first();
        }
        let entry = self.entries.entry(addr).or_default();
        entry.round_trip = true;
        entry.last = now;
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
        // A round trip lifts nothing: the address may be spoofed by a reflector.
        l.mark_round_trip(a, Time::ZERO);
        assert!(l.has_round_trip(&a));
        assert!(!l.try_spend(a, 1));
    }

    #[test]
    fn unspent_credit_is_capped() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut l = AmpLedger::default();
        // A long exchange of small datagrams that were never answered in full.
        for _ in 0..1000 {
            l.credit(a, 34, Time::ZERO);
        }
        assert_eq!(l.allowance(&a), CREDIT_CAP);
        assert!(l.try_spend(a, CREDIT_CAP as usize));
        assert_eq!(l.allowance(&a), 0);
        l.credit(a, 480, Time::ZERO);
        assert_eq!(l.allowance(&a), CREDIT_CAP);
        // Nothing for a second: what was not spent lapses; new bytes earn anew.
        l.credit(a, 10, Time::from_millis(1_000));
        assert_eq!(l.allowance(&a), 30);
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
