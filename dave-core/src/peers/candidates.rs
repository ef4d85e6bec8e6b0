//! The bounded candidate list of docs/protocol.md §5: addresses heard of but not yet verified.
//!
//! Candidates come from PING senders, verified AUTH PONGs and GET_ACK referrals. The list holds
//! at most MAX_CANDIDATES; a newcomer to a full list replaces a random entry, so an attacker
//! cannot pin the list by arriving first. Decisions (not in the spec): at most GROUP_LIMIT_TABLE
//! candidates of one network group, so a flood from one /24 cannot flush every honest candidate;
//! and addresses that proved their identity but found no room in the table are remembered for a
//! while ([`Candidates::remember`]) and not offered again, or every AUTH PONG sharing them would
//! start another round of pings (a cascade that grows with the network once tables are full).

use std::net::SocketAddr;
use std::time::Duration;

use crate::addr::CompactAddr;
use crate::id::NodeId;
use crate::keyed_map::{Fingerprints, KeyedMap};
use crate::time::Time;

use super::PendingPing;

/// An address waiting for its AUTH PONG (32 bytes).
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    addr: CompactAddr,
    /// [`CompactAddr::group_tag`] of `addr`, in bytes the entry had free: the list's scans,
    /// a dozen per AUTH PONG, compare these 4 bytes per entry and look at the address only on
    /// a match (they were 18 % of a 1,500-node run's instructions).
    tag: u32,
    /// The AUTH PING sent to it, if any.
    pub ping: Option<PendingPing>,
}

impl Candidate {
    /// An address not yet pinged.
    pub(crate) fn new(addr: &SocketAddr) -> Candidate {
        let addr = CompactAddr::new(addr);
        Candidate {
            addr,
            tag: addr.group_tag(),
            ping: None,
        }
    }

    /// Its address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr.get()
    }

    /// Whether it is for the same address as `other`.
    fn is(&self, other: &Candidate) -> bool {
        self.tag == other.tag && self.addr == other.addr
    }
}

/// The candidate list (`repr(C)`: the list, which a stranger's datagram scans, first; see
/// [`super::PeerTable`]).
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct Candidates {
    list: Vec<Candidate>,
    /// Addresses verified recently that did not enter the table: when (wrapping milliseconds),
    /// and the NodeId they proved. Keyed by 32 bits of the address's fingerprint: 16-byte
    /// entries instead of 48, for a chance of about 224 / 2^32 per lookup that an unrelated
    /// address looks recently verified — it is then not pinged as a candidate for a while,
    /// nothing worse, and a peer cannot aim at it without the node's secret seed.
    recent: KeyedMap<u32, Remembered>,
    /// The oldest entries of `recent` at its last scan, so that a full list does not scan
    /// all of it for every eviction.
    oldest: OldestRemembered,
    fingerprints: Fingerprints,
}

/// Entries of the recently verified list found oldest by one scan, as `(time, key)`, oldest
/// last. Decision (issue 11): evicting from a full list scanned its 224 entries on every
/// remember (3 % of a 10,000-node run). Times only move forward, so an entry the scan found
/// among the oldest and that is still there unchanged remains older than anything remembered
/// since; one scan then serves up to [`OLDEST_KEPT`] evictions, and the entry evicted is the
/// same as with a scan each time.
#[derive(Debug, Default)]
struct OldestRemembered {
    entries: [(u32, u32); OLDEST_KEPT],
    len: u8,
    /// The wrapping millisecond of the scan.
    scanned_ms: u32,
}

/// Oldest entries one scan keeps for later evictions (64 bytes).
const OLDEST_KEPT: usize = 8;

/// One recently verified address: when, and the NodeId it proved, in 12 bytes aligned to 4
/// (a `(u32, NodeId)` pair would pad to 16, and its map entry to 24).
#[derive(Clone, Copy, Debug)]
struct Remembered {
    at_ms: u32,
    id: [u32; 2],
}

impl Remembered {
    fn new(at_ms: u32, id: NodeId) -> Self {
        Remembered {
            at_ms,
            id: [id.0 as u32, (id.0 >> 32) as u32],
        }
    }

    fn id(&self) -> NodeId {
        NodeId(u64::from(self.id[0]) | u64::from(self.id[1]) << 32)
    }

    /// Milliseconds since it was remembered.
    fn age_ms(&self, now_ms: u32) -> u32 {
        now_ms.wrapping_sub(self.at_ms)
    }
}

/// Most addresses remembered as recently verified: 7/8 of 256, the most a 256-bucket hash table
/// holds (256 entries would double it to 512 buckets, 12 KB in every node of a full network).
const RECENT_CAPACITY: usize = 224;

/// Whether the answer to `ping` may still come `retry` after it was sent (later it is presumed
/// lost).
pub(crate) fn awaited(ping: PendingPing, now: Time, retry: Duration) -> bool {
    now.saturating_duration_since(ping.sent()) < retry
}

/// What happened to an offered candidate.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offer {
    /// Added to the list (possibly replacing a random entry).
    Added,
    /// Already listed.
    Known,
    /// Its network group already has its share of the list.
    GroupFull,
}

impl Candidates {
    /// An empty list whose index of recent addresses is seeded with `map_seed`.
    pub(crate) fn with_seed(map_seed: u64) -> Self {
        Candidates {
            list: Vec::new(),
            recent: KeyedMap::with_seed(map_seed),
            oldest: OldestRemembered::default(),
            fingerprints: Fingerprints::with_seed(map_seed),
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Candidate> {
        self.list.iter()
    }

    pub(crate) fn position(&self, addr: &SocketAddr) -> Option<usize> {
        let key = Candidate::new(addr);
        self.list.iter().position(|c| c.is(&key))
    }

    pub(crate) fn get_mut(&mut self, addr: &SocketAddr) -> Option<&mut Candidate> {
        let key = Candidate::new(addr);
        self.list.iter_mut().find(|c| c.is(&key))
    }

    /// Offers an address; `random` (drawn only when the list is full) picks the entry replaced.
    pub(crate) fn offer(
        &mut self,
        candidate: Candidate,
        capacity: usize,
        group_limit: usize,
        random: impl FnOnce() -> u64,
    ) -> Offer {
        // One pass for both questions: offers come a dozen per AUTH PONG.
        let mut same_group = 0;
        for c in &self.list {
            if c.tag != candidate.tag {
                continue;
            }
            if c.addr == candidate.addr {
                return Offer::Known;
            }
            same_group += usize::from(c.addr.same_group(&candidate.addr));
        }
        if !super::within_limit(same_group, group_limit) {
            return Offer::GroupFull;
        }
        if capacity == 0 {
            return Offer::GroupFull;
        }
        if self.list.len() >= capacity {
            // Replace a random candidate not yet pinged if there is one (losing it costs
            // nothing), else any: a pinged one's answer would then be refused.
            let random = random();
            let unpinged = self.list.iter().filter(|c| c.ping.is_none()).count();
            let victim = if unpinged > 0 {
                let pick = (random % unpinged as u64) as usize;
                self.list
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.ping.is_none())
                    .nth(pick)
                    .map_or(0, |(i, _)| i)
            } else {
                (random % self.list.len() as u64) as usize
            };
            self.list[victim] = candidate;
        } else {
            self.list.push(candidate);
        }
        Offer::Added
    }

    fn recent_key(&self, addr: &SocketAddr) -> u32 {
        (self.fingerprints.of(addr) >> 32) as u32
    }

    /// Remembers an address that proved its identity but got no place in the table.
    pub(crate) fn remember(&mut self, addr: SocketAddr, id: NodeId, now: Time) {
        let key = self.recent_key(&addr);
        let now_ms = now.wrapping_millis();
        if !self.recent.contains_key(&key) && self.recent.len() >= RECENT_CAPACITY {
            let oldest = self.oldest_key(now_ms);
            if let Some(oldest) = oldest {
                self.recent.remove(&oldest);
            }
        }
        self.recent.insert(key, Remembered::new(now_ms, id));
    }

    /// The key of the oldest remembered entry, ties to the smallest key (see
    /// [`OldestRemembered`]).
    fn oldest_key(&mut self, now_ms: u32) -> Option<u32> {
        let since_scan = now_ms.wrapping_sub(self.oldest.scanned_ms);
        while self.oldest.len > 0 {
            self.oldest.len -= 1;
            let (at_ms, key) = self.oldest.entries[usize::from(self.oldest.len)];
            if self.recent.get(&key).is_none_or(|r| r.at_ms != at_ms) {
                // Forgotten or remembered again since the scan.
                continue;
            }
            // Strictly older than the scan: anything remembered since is younger. (One from
            // the scan's own millisecond could tie with a later one of smaller key: rescan.)
            if now_ms.wrapping_sub(at_ms) > since_scan {
                return Some(key);
            }
            break;
        }
        // A linear scan: the longest age ranks smallest by its complement.
        let mut found = [(0u32, 0u32); OLDEST_KEPT];
        let n = self
            .recent
            .smallest_by(|_, r| u32::MAX - r.age_ms(now_ms), &mut found);
        let (_, first) = *found[..n].first()?;
        // Kept oldest last, without the one returned now.
        for (slot, &(rank, key)) in self.oldest.entries.iter_mut().zip(found[1..n].iter().rev()) {
            *slot = (now_ms.wrapping_sub(u32::MAX - rank), key);
        }
        self.oldest.len = (n - 1) as u8;
        self.oldest.scanned_ms = now_ms;
        Some(first)
    }

    /// The NodeId an address proved within `ttl`, if it was remembered.
    pub(crate) fn recent(&self, addr: &SocketAddr, now: Time, ttl: Duration) -> Option<NodeId> {
        let now_ms = now.wrapping_millis();
        self.recent
            .get(&self.recent_key(addr))
            .filter(|r| u128::from(r.age_ms(now_ms)) < ttl.as_millis())
            .map(Remembered::id)
    }

    /// The AUTH PING a candidate at `addr` was sent and has not answered, if any.
    pub(crate) fn pending_ping(&self, addr: &SocketAddr) -> Option<PendingPing> {
        self.position(addr).and_then(|i| self.list[i].ping)
    }

    /// Whether a candidate's AUTH PING was sent less than `retry` ago (its answer may still
    /// come): an older one is presumed lost.
    pub(crate) fn awaits_answer(&self, addr: &SocketAddr, now: Time, retry: Duration) -> bool {
        self.pending_ping(addr)
            .is_some_and(|p| awaited(p, now, retry))
    }

    /// A candidate whose AUTH PING went unanswered for `retry` and that has had fewer than
    /// `max_retries` retries, with the number its retry will be; its pending ping is counted
    /// so that it is returned once per retry (the caller sends the retry, or gives up on it).
    pub(crate) fn take_unanswered(
        &mut self,
        now: Time,
        retry: Duration,
        max_retries: u8,
    ) -> Option<(SocketAddr, u8)> {
        let (c, ping) = self.list.iter_mut().find_map(|c| {
            let p = c.ping?;
            (p.retries() < max_retries && !awaited(p, now, retry)).then_some((c, p))
        })?;
        let n = ping.retries() + 1;
        c.ping = Some(ping.with_retries(n));
        Some((c.addr(), n))
    }

    /// When the earliest AUTH PING that may still be retried will have gone unanswered for
    /// `retry`.
    pub(crate) fn next_unanswered(&self, retry: Duration, max_retries: u8) -> Option<Time> {
        self.list
            .iter()
            .filter_map(|c| c.ping.filter(|p| p.retries() < max_retries))
            .map(|p| p.sent() + retry)
            .min()
    }

    /// Forgets the candidates not yet pinged (they were waiting for the pacer, which has
    /// stopped) and gives back the room of an emptied list.
    pub(crate) fn drop_unpinged(&mut self) {
        self.list.retain(|c| c.ping.is_some());
        if self.list.is_empty() {
            self.list = Vec::new();
        }
    }

    /// A random candidate not yet pinged (`random` picks among them).
    pub(crate) fn unpinged(&self, random: u64) -> Option<SocketAddr> {
        let n = self.list.iter().filter(|c| c.ping.is_none()).count();
        if n == 0 {
            return None;
        }
        let pick = (random % n as u64) as usize;
        self.list
            .iter()
            .filter(|c| c.ping.is_none())
            .nth(pick)
            .map(Candidate::addr)
    }

    /// Removes a candidate, returning it.
    pub(crate) fn remove(&mut self, addr: &SocketAddr) -> Option<Candidate> {
        let pos = self.position(addr)?;
        Some(self.list.swap_remove(pos))
    }

    /// Drops candidates whose AUTH PING went unanswered for `validity`, or that were never
    /// pinged for that long, and forgets recently verified addresses after `remember_for` (the
    /// longest any caller asks about them).
    pub(crate) fn expire(
        &mut self,
        now: Time,
        validity: Duration,
        remember_for: Duration,
    ) -> usize {
        let before = self.list.len();
        self.list.retain(|c| {
            // A candidate never pinged stays until replaced; a pinged one gets one interval.
            c.ping
                .as_ref()
                .is_none_or(|p| now.saturating_duration_since(p.sent()) < validity)
        });
        let now_ms = now.wrapping_millis();
        self.recent
            .retain(|_, r| u128::from(r.age_ms(now_ms)) < remember_for.as_millis());
        self.recent.shrink_if_sparse();
        before - self.list.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(last: u8, net: u8) -> Candidate {
        let addr: SocketAddr = format!("10.0.{net}.{last}:1000").parse().unwrap();
        Candidate::new(&addr)
    }

    #[test]
    fn bounded_random_replacement_and_group_cap() {
        let mut c = Candidates::default();
        for net in 0..10 {
            assert_eq!(c.offer(cand(1, net), 4, 2, || net as u64), Offer::Added);
        }
        assert_eq!(c.len(), 4);
        assert_eq!(c.offer(cand(1, 9), 4, 2, || 0), Offer::Known);
        let mut c = Candidates::default();
        assert_eq!(c.offer(cand(1, 0), 10, 2, || 0), Offer::Added);
        assert_eq!(c.offer(cand(2, 0), 10, 2, || 0), Offer::Added);
        assert_eq!(c.offer(cand(3, 0), 10, 2, || 0), Offer::GroupFull);
    }

    #[test]
    fn dropping_the_unpinged_keeps_the_handshakes_in_flight() {
        let mut c = Candidates::default();
        for net in 0..3 {
            c.offer(cand(1, net), 10, 2, || 0);
        }
        let ping = PendingPing::new(crate::wire::PingKind::Auth, Time::ZERO);
        c.get_mut(&cand(1, 1).addr()).unwrap().ping = Some(ping);
        c.drop_unpinged();
        assert_eq!(c.len(), 1);
        assert_eq!(c.pending_ping(&cand(1, 1).addr()), Some(ping));
        c.remove(&cand(1, 1).addr());
        c.drop_unpinged();
        assert_eq!(c.list.capacity(), 0, "an emptied list gives its room back");
    }

    #[test]
    fn expiry_removes_unanswered_pings_only() {
        let mut c = Candidates::default();
        c.offer(cand(1, 0), 10, 2, || 0);
        c.offer(cand(2, 1), 10, 2, || 0);
        let ping = PendingPing::new(crate::wire::PingKind::Auth, Time::ZERO);
        c.get_mut(&cand(1, 0).addr()).unwrap().ping = Some(ping);
        assert_eq!(c.unpinged(7), Some(cand(2, 1).addr()));
        assert_eq!(
            c.expire(
                Time::from_millis(4000),
                Duration::from_secs(5),
                Duration::from_secs(60)
            ),
            0
        );
        assert_eq!(
            c.expire(
                Time::from_millis(5000),
                Duration::from_secs(5),
                Duration::from_secs(60)
            ),
            1
        );
        assert!(c.remove(&cand(1, 0).addr()).is_none());
        assert!(c.remove(&cand(2, 1).addr()).is_some());
    }

    #[test]
    fn a_candidate_is_thirty_two_bytes() {
        assert_eq!(std::mem::size_of::<Candidate>(), 32);
    }

    #[test]
    fn a_remembered_entry_is_twelve_bytes_and_keeps_its_node_id() {
        assert_eq!(std::mem::size_of::<(u32, Remembered)>(), 16);
        let id = NodeId(0x0123_4567_89ab_cdef);
        assert_eq!(Remembered::new(5, id).id(), id);
    }

    proptest::proptest! {
        /// Evicting through the kept oldest entries forgets exactly what a scan for the oldest
        /// at every eviction would, across re-remembered addresses, expiry and ties of time.
        #[test]
        fn eviction_matches_a_scan_every_time(
            ops in proptest::collection::vec(
                (
                    0u16..400,
                    // Mostly the same millisecond (ties), sometimes a step or a jump.
                    proptest::prop_oneof![300 => proptest::strategy::Just(0u32), 3 => 1u32..3, 1 => 100u32..400],
                    proptest::bool::ANY,
                ),
                1..1500,
            ),
        ) {
            let mut c = Candidates::with_seed(7);
            let mut reference: std::collections::BTreeMap<u32, u32> = Default::default();
            let mut now = 0u64;
            for (host, step, expire) in ops {
                now += u64::from(step);
                let addr = SocketAddr::from(([10, 2, (host >> 8) as u8, host as u8], 1));
                let key = c.recent_key(&addr);
                let now_ms = Time::from_millis(now).wrapping_millis();
                if expire && host % 50 == 0 {
                    let keep = Duration::from_millis(300);
                    c.expire(Time::from_millis(now), Duration::from_secs(5), keep);
                    reference.retain(|_, at| u128::from(now_ms.wrapping_sub(*at)) < keep.as_millis());
                    continue;
                }
                if !reference.contains_key(&key) && reference.len() >= RECENT_CAPACITY {
                    let oldest = reference
                        .iter()
                        .map(|(k, at)| (u32::MAX - now_ms.wrapping_sub(*at), *k))
                        .min()
                        .map(|(_, k)| k);
                    if let Some(k) = oldest {
                        reference.remove(&k);
                    }
                }
                reference.insert(key, now_ms);
                c.remember(addr, NodeId(u64::from(host)), Time::from_millis(now));
                proptest::prop_assert_eq!(c.recent.len(), reference.len());
            }
            for (k, at) in &reference {
                proptest::prop_assert_eq!(c.recent.get(k).map(|r| r.at_ms), Some(*at));
            }
        }
    }

    #[test]
    fn remembers_recent_addresses_boundedly() {
        let mut c = Candidates::default();
        for i in 0..(RECENT_CAPACITY + 5) {
            let a = SocketAddr::from(([10, 1, (i / 250) as u8, (i % 250) as u8], 1));
            c.remember(a, NodeId(i as u64), Time::from_millis(i as u64));
        }
        assert_eq!(c.recent.len(), RECENT_CAPACITY);
        let first = SocketAddr::from(([10, 1, 0, 0], 1));
        let i = RECENT_CAPACITY + 4;
        let last = SocketAddr::from(([10, 1, (i / 250) as u8, (i % 250) as u8], 1));
        let ttl = Duration::from_secs(1);
        assert_eq!(c.recent(&first, Time::from_millis(300), ttl), None);
        assert_eq!(
            c.recent(&last, Time::from_millis(300), ttl),
            Some(NodeId(RECENT_CAPACITY as u64 + 4))
        );
        assert_eq!(c.recent(&last, Time::from_millis(5000), ttl), None);
    }
}
