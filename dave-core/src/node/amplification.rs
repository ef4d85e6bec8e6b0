//! The anti-amplification ledger of docs/protocol.md §8.
//!
//! For every address, verified or not, the node tracks the bytes received from it and the bytes
//! it answered with, and never lets the answers exceed 3× what arrived. Decision (issue 9,
//! `reflection.json`): a round trip used to lift the limit, so a reflector spoofing an honest
//! node's address got unlimited answers from every node that had verified it, and the victim
//! received 4.7–6.1× what the reflectors sent. Honest requests are padded so that their answers
//! fit (§8); unused credit is capped at [`CREDIT_CAP`] bytes and lapses after
//! [`CREDIT_LAPSE`] without traffic, so a spoofer cannot spend the allowance a victim's own
//! traffic built up. The ledger holds credit only: whether an address passed a round trip
//! (GETMYADDRPORT answers need it) is the peer table's and the candidate list's to know.
//! Entries whose credit lapsed are swept (they grant what a new entry would), so the ledger
//! holds about the addresses heard from in the last second; it is bounded, and when full the
//! entry heard from longest ago is forgotten, which only ever loses credit (the safe direction).
//!
//! Where an account lives: a table peer's [`Credit`] is kept in its peer entry, everyone else's
//! in this ledger. Every datagram is credited before it is read, and the node looks up the
//! sender's peer entry for almost every message anyway, so a peer's account costs no hash probe
//! of its own (the ledger's probe was 6–7 % of a 5,000-node run) and the ledger holds only
//! strangers. An address admitted to the table takes its ledger account with it; a peer's
//! account is dropped with its entry, which again only loses credit.

use std::net::SocketAddr;
use std::time::Duration;

use crate::keyed_map::{Fingerprints, KeyedMap};
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

/// One address's account. With `received` and `sent` the bytes from and to the address, the
/// rule is `sent <= 3 × received`, where a lapse resets `received` to `ceil(sent / 3)` and the
/// cap keeps `received <= ceil((sent + CREDIT_CAP) / 3)`. Only the difference and `sent mod 3`
/// ever matter, so the entry keeps just those, and the time of the last datagram in wrapping
/// milliseconds: 8 bytes in all, since every peer entry holds one. (The wrap, every 49.7 days,
/// could make a silence of exactly a multiple of that look shorter than a second once: at worst
/// [`CREDIT_CAP`] bytes kept that should have lapsed.)
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Credit {
    /// `3 × received − sent`: bytes that may still be answered (at most `CREDIT_CAP + 2`).
    allowance: u16,
    /// `sent mod 3`: how far a lapse or the cap rounds up.
    sent_mod3: u8,
    /// When the last datagram arrived, milliseconds since the driver's epoch, wrapping.
    last_ms: u32,
}

/// [`CREDIT_LAPSE`] in milliseconds.
const LAPSE_MS: u32 = CREDIT_LAPSE.as_millis() as u32;

impl Credit {
    /// What `3 × ceil(sent / 3) − sent` leaves: the allowance a lapse resets to.
    fn rounding(&self) -> u32 {
        (3 - u32::from(self.sent_mod3)) % 3
    }

    /// Milliseconds since the last datagram.
    fn silence_ms(&self, now: Time) -> u32 {
        now.wrapping_millis().wrapping_sub(self.last_ms)
    }

    /// Whether unspent allowance has lapsed by `now`.
    fn lapsed(&self, now: Time) -> bool {
        self.silence_ms(now) >= LAPSE_MS
    }

    /// Counts `len` bytes received at `now`; the unspent allowance stays within
    /// [`CREDIT_CAP`].
    pub(crate) fn earn(&mut self, len: usize, now: Time) {
        let mut allowance = u32::from(self.allowance);
        if self.lapsed(now) {
            // Allowance earned in an earlier exchange lapses: it belongs to whoever sent
            // those bytes, perhaps the genuine holder of an address a reflector now spoofs.
            allowance = self.rounding();
        }
        let earned = u32::try_from(AMPLIFICATION_FACTOR as usize * len).unwrap_or(u32::MAX);
        let most = CREDIT_CAP as u32 + self.rounding();
        // At most CREDIT_CAP + 2 = 1442: fits 16 bits.
        self.allowance = u16::try_from(allowance.saturating_add(earned).min(most)).unwrap_or(0);
        self.last_ms = now.wrapping_millis();
    }

    /// Spends `len` bytes of answer if the 3× allowance has room.
    pub(crate) fn spend(&mut self, len: usize) -> bool {
        let Ok(len) = u16::try_from(len) else {
            return false;
        };
        if len > self.allowance {
            return false;
        }
        self.allowance -= len;
        self.sent_mod3 = ((u16::from(self.sent_mod3) + len % 3) % 3) as u8;
        true
    }

    /// Bytes still allowed.
    pub(crate) fn allowance(&self) -> u64 {
        u64::from(self.allowance)
    }
}

/// The ledger. Entries are keyed by a 64-bit fingerprint of the address under the node's secret
/// seed rather than by the address (8 bytes instead of 32, one hash instead of a tree walk).
/// Two addresses sharing a fingerprint would share one account, which still never lets the
/// answers to both exceed three times what both sent; with at most [`LEDGER_CAPACITY`] entries
/// and an unknown seed that is a chance of about 2^-44 per node, not something a peer can aim at.
#[derive(Debug, Default)]
pub(crate) struct AmpLedger {
    fingerprints: Fingerprints,
    entries: KeyedMap<u64, Credit>,
    /// Size at which the next new address first sweeps lapsed entries (amortised: the
    /// threshold doubles past what a sweep leaves).
    sweep_at: usize,
}

/// The smallest sweep threshold.
const SWEEP_MIN: usize = 64;

impl AmpLedger {
    /// An empty ledger whose fingerprints are seeded with `seed` (the node's map seed).
    pub(crate) fn with_seed(seed: u64) -> Self {
        AmpLedger {
            fingerprints: Fingerprints::with_seed(seed),
            entries: KeyedMap::with_seed(seed),
            sweep_at: SWEEP_MIN,
        }
    }

    fn key(&self, addr: &SocketAddr) -> u64 {
        self.fingerprints.of(addr)
    }

    /// The entry for `key`, made room for. A new address past the sweep threshold first
    /// sweeps lapsed entries; if the ledger is still full, the entry heard from longest ago is
    /// forgotten, which only ever loses credit (the safe direction), never grants it.
    fn entry(&mut self, key: u64, now: Time) -> &mut Credit {
        if self.entries.len() >= self.sweep_at.min(LEDGER_CAPACITY)
            && !self.entries.contains_key(&key)
        {
            self.sweep(now);
            if self.entries.len() >= LEDGER_CAPACITY {
                // Longest silence first (ranked smallest by its complement).
                if let Some(oldest) = self.entries.min_key_by(|_, c| u32::MAX - c.silence_ms(now)) {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.entry(key).or_default()
    }

    /// Drops entries whose credit lapsed: such an entry grants what a new one would (up to two
    /// bytes of rounding), so keeping it would only cost memory.
    fn sweep(&mut self, now: Time) {
        self.entries.retain(|_, e| !e.lapsed(now));
        self.sweep_at = (2 * self.entries.len()).max(SWEEP_MIN);
    }

    /// Counts a datagram received from `from`; the unspent allowance stays within
    /// [`CREDIT_CAP`].
    pub(crate) fn credit(&mut self, from: SocketAddr, len: usize, now: Time) {
        let key = self.key(&from);
        self.entry(key, now).earn(len, now);
    }

    /// Spends `len` bytes of answer to `to` if the 3× allowance has room.
    pub(crate) fn try_spend(&mut self, to: SocketAddr, len: usize) -> bool {
        let key = self.key(&to);
        self.entries.get_mut(&key).is_some_and(|e| e.spend(len))
    }

    /// Bytes still allowed to `to`.
    pub(crate) fn allowance(&self, to: &SocketAddr) -> u64 {
        self.entries.get(&self.key(to)).map_or(0, Credit::allowance)
    }

    /// Bytes still allowed to `to` at `now`, none once its credit has lapsed: for a datagram
    /// sent later than the exchange that earned it (a handshake's retry).
    pub(crate) fn live_allowance(&self, to: &SocketAddr, now: Time) -> u64 {
        self.entries
            .get(&self.key(to))
            .filter(|c| !c.lapsed(now))
            .map_or(0, Credit::allowance)
    }

    /// Takes `addr`'s account out of the ledger (it moves into a new peer entry).
    pub(crate) fn take(&mut self, addr: &SocketAddr) -> Option<Credit> {
        let key = self.key(addr);
        self.entries.remove(&key)
    }

    /// Sweeps lapsed entries (housekeeping: a quiet ledger is emptied too).
    pub(crate) fn expire(&mut self, now: Time) {
        self.sweep(now);
        self.entries.shrink_if_sparse();
    }

    /// Number of addresses tracked.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
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
        assert!(!l.try_spend(a, 1));
    }

    #[test]
    fn a_later_datagram_may_spend_only_credit_that_has_not_lapsed() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let mut l = AmpLedger::default();
        assert_eq!(l.live_allowance(&a, Time::ZERO), 0, "never heard from");
        l.credit(a, 134, Time::ZERO);
        assert_eq!(l.live_allowance(&a, Time::from_millis(999)), 402);
        assert_eq!(l.live_allowance(&a, Time::from_millis(1_000)), 0, "lapsed");
        assert_eq!(
            l.allowance(&a),
            402,
            "until the sweep, the raw account keeps it"
        );
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

    /// The two counters of the rule as §8 states it, to check the compact entry against.
    #[derive(Default)]
    struct Reference {
        received: u64,
        sent: u64,
        last: Time,
    }

    impl Reference {
        fn credit(&mut self, len: u64, now: Time) {
            if now.saturating_duration_since(self.last) >= CREDIT_LAPSE {
                self.received = self.sent.div_ceil(AMPLIFICATION_FACTOR);
            }
            self.received += len;
            let most = (self.sent + CREDIT_CAP).div_ceil(AMPLIFICATION_FACTOR);
            self.received = self.received.min(most);
            self.last = now;
        }

        fn try_spend(&mut self, len: u64) -> bool {
            if self.sent + len > AMPLIFICATION_FACTOR * self.received {
                return false;
            }
            self.sent += len;
            true
        }
    }

    proptest::proptest! {
        #[test]
        fn the_compact_entry_keeps_the_two_counter_rule(
            ops in proptest::collection::vec((proptest::bool::ANY, 1u64..1500, 0u64..1500), 1..200)
        ) {
            let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
            let mut ledger = AmpLedger::with_seed(7);
            let mut reference = Reference::default();
            let mut now = 0;
            for (is_credit, len, wait_ms) in ops {
                now += wait_ms;
                let t = Time::from_millis(now);
                if is_credit {
                    ledger.credit(a, len as usize, t);
                    reference.credit(len, t);
                } else {
                    proptest::prop_assert_eq!(ledger.try_spend(a, len as usize), reference.try_spend(len));
                }
                let expected = AMPLIFICATION_FACTOR * reference.received - reference.sent;
                let tracked = reference.last != Time::ZERO || reference.received > 0;
                if tracked {
                    proptest::prop_assert_eq!(ledger.allowance(&a), expected);
                }
            }
        }
    }

    #[test]
    fn lapsed_entries_are_swept() {
        let (a, b): (SocketAddr, SocketAddr) =
            ("10.0.0.1:1".parse().unwrap(), "10.0.0.2:1".parse().unwrap());
        let mut l = AmpLedger::with_seed(1);
        l.credit(a, 100, Time::from_millis(10));
        l.credit(b, 100, Time::from_millis(500));
        l.expire(Time::from_millis(900));
        assert_eq!(l.len(), 2);
        l.expire(Time::from_millis(1_010));
        assert_eq!(l.len(), 1);
        assert_eq!(l.allowance(&a), 0);
        assert_eq!(l.allowance(&b), 300);
    }

    #[test]
    fn new_addresses_sweep_lapsed_entries_before_the_ledger_grows() {
        let mut l = AmpLedger::with_seed(2);
        let addr = |i: u32| SocketAddr::from(([10, (i >> 16) as u8, (i >> 8) as u8, i as u8], 1));
        // A thousand addresses heard from one a millisecond: never more than about a
        // second's worth (plus the amortising slack) stays.
        for i in 0..10_000u32 {
            l.credit(addr(i), 100, Time::from_millis(u64::from(i)));
            assert!(
                l.len() <= 2 * 1_000 + SWEEP_MIN,
                "{} entries at {i}",
                l.len()
            );
        }
    }

    #[test]
    fn a_full_ledger_forgets_the_address_heard_from_longest_ago() {
        let mut l = AmpLedger::with_seed(3);
        let addr = |i: u32| SocketAddr::from(([10, (i >> 16) as u8, (i >> 8) as u8, i as u8], 1));
        // addr(0) first, the others over the next half second (the ledger keeps milliseconds).
        for i in 0..LEDGER_CAPACITY as u32 {
            let at = if i == 0 { 0 } else { 1 + u64::from(i) / 2 };
            l.credit(addr(i), 100, Time::from_millis(10_000 + at));
        }
        l.credit(addr(5_000), 100, Time::from_millis(10_600));
        assert_eq!(l.len(), LEDGER_CAPACITY);
        assert_eq!(l.allowance(&addr(0)), 0);
        assert_eq!(l.allowance(&addr(1)), 300);
    }

    #[test]
    fn bounded_and_expiring() {
        let mut l = AmpLedger::default();
        for i in 0..(LEDGER_CAPACITY as u32 + 10) {
            let a = SocketAddr::from(([10, (i >> 16) as u8, (i >> 8) as u8, i as u8], 1));
            l.credit(a, 100, Time::ZERO);
        }
        assert_eq!(l.len(), LEDGER_CAPACITY);
        l.expire(Time::from_millis(1_000));
        assert_eq!(l.len(), 0);
    }
}
