//! Node configuration: every constant of PROTOCOL.md §11, with the spec's defaults.
//!
//! Scenarios vary these, so each one is a plain public field. A few fields that the spec leaves
//! open (marked "not in §11") are decisions of this implementation, documented where they are used.

use std::time::Duration;

/// Every tunable of a Dave node. `Config::default()` is the §11 table.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Largest datagram sent or accepted, in bytes (§4). Capped by the codec's
    /// [`crate::wire::MAX_DATAGRAM`]: datagrams larger than the smaller of the two are rejected.
    pub max_datagram: usize,
    /// Proof-of-work a record must carry, in leading zero bits of its work hash (§3).
    pub min_work: u32,
    /// How far in the future a record's time may lie (§3).
    pub max_clock_skew: Duration,
    /// Record lifetime (§3, §7).
    pub ttl: Duration,
    /// Bytes a store shard may hold, counting key, value and `entry_overhead` per record (§7).
    pub shard_capacity: u64,
    /// Bytes charged per stored record on top of key and value (§7).
    pub entry_overhead: u64,
    /// Nodes a record is written to and kept on (§8).
    pub replicas: usize,
    /// Queries a lookup keeps in flight (§8).
    pub alpha: usize,
    /// Addresses a not-found GET_ACK carries at most (§4, §8).
    pub referrals: usize,
    /// Queries one lookup may send in all (§8).
    pub lookup_budget: u32,
    /// Longest a lookup runs (§8).
    pub lookup_timeout: Duration,
    /// Interval between storage challenges (§9).
    pub challenge_every: Duration,
    /// Per-challenge decay of the success and failure counts (§9).
    pub reliability_decay: f64,
    /// Peers below this reliability are avoided, evicted first and trigger re-propagation (§9).
    pub reliability_min: f64,
    /// Bucket size (§5).
    pub k: usize,
    /// Non-edge peers of one network group allowed per bucket (§5); 0 means no limit.
    pub group_limit: usize,
    /// Non-edge peers of one network group allowed in the whole table (§5), and candidates of
    /// one group in the candidate list; 0 means no limit.
    pub group_limit_table: usize,
    /// Addresses an AUTH PONG may carry; a PONG with more is rejected whole (§5).
    pub npeer_limit: usize,
    /// Bound of the candidate list (§5).
    pub max_candidates: usize,
    /// Interval between LIVE pings of each peer (§5).
    pub ping_every: Duration,
    /// Interval between AUTH pings of each peer (§5).
    pub reauth_every: Duration,
    /// A verified peer becomes active this long after verification if it still answers (§5).
    pub activate_after: Duration,
    /// An active peer that has not answered for this long becomes inactive; also the time an
    /// incumbent gets to answer before a newcomer evicts it (§5).
    pub deactivate_after: Duration,
    /// Non-edge peers silent this long are dropped (§5).
    pub drop_after: Duration,
    /// Interval between own-address discoveries (§6).
    pub addr_every: Duration,
    /// Interval between re-propagation sweeps of the store (§8).
    pub republish_every: Duration,
    /// Floor of a storage challenge's deadline (§9).
    pub challenge_min: Duration,
    /// Not in §11: the challenge (and query) deadline is this multiple of the peer's smoothed RTT,
    /// never below `challenge_min` (§9 says "a multiple"; 4 is TCP's RTO rule of thumb).
    pub challenge_rtt_multiple: u32,
    /// Not in §11: how long a lookup waits for one queried address whose RTT it does not know
    /// before it asks the next one (the query still counts if it answers later).
    pub query_timeout: Duration,
    /// Not in §11: interval between table refresh lookups. A node looks up a key near its own
    /// NodeId once it has a verified peer (the Kademlia join) and then every `refresh_every`,
    /// together with a lookup of a random key; the AUTH PONGs of the peers it meets share their
    /// active peers, which is how a table fills beyond the edge.
    pub refresh_every: Duration,
    /// Not in §11: whether the node emits [`crate::event::Event::Persist`] and
    /// [`crate::event::Event::Forget`] (a simulator that keeps no backup log turns them off to save
    /// one record copy per store change).
    pub persist_events: bool,
    /// Not in §11 (§5 anchors): proven peers the backup keeps for a restart to begin from;
    /// 0 keeps none (and announces none).
    pub anchors: usize,
    /// Defence switch (§5): a newcomer to a full bucket waits while the worst incumbent is
    /// pinged, and enters only if it stays silent. `false` evicts the worst incumbent at once
    /// (the undefended table of the eclipse studies); only simulations turn it off.
    pub test_before_evict: bool,
    /// Defence switch (§9): storage challenges run every CHALLENGE_EVERY. `false` never sends
    /// one, so reliability stays at 0.5 and liars are never found out.
    pub challenges: bool,
    /// Defence switch (§8): answers to an address without a round trip stay within 3× of what
    /// it sent. `false` answers everything in full (the reflection studies' undefended node).
    pub anti_amplification: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_datagram: 1424,
            min_work: 16,
            max_clock_skew: Duration::from_secs(2),
            ttl: Duration::from_secs(365 * 24 * 3600),
            shard_capacity: 4 * 1024 * 1024,
            entry_overhead: 160,
            replicas: 5,
            alpha: 3,
            referrals: 5,
            lookup_budget: 32,
            lookup_timeout: Duration::from_secs(5),
            challenge_every: Duration::from_secs(10),
            reliability_decay: 0.95,
            reliability_min: 0.3,
            k: 8,
            group_limit: 2,
            group_limit_table: 8,
            npeer_limit: 12,
            max_candidates: 64,
            ping_every: Duration::from_secs(5),
            reauth_every: Duration::from_secs(300),
            activate_after: Duration::from_secs(5),
            deactivate_after: Duration::from_secs(15),
            drop_after: Duration::from_secs(60),
            addr_every: Duration::from_secs(600),
            republish_every: Duration::from_secs(600),
            challenge_min: Duration::from_millis(500),
            challenge_rtt_multiple: 4,
            query_timeout: Duration::from_secs(1),
            refresh_every: Duration::from_secs(600),
            persist_events: true,
            anchors: 32,
            test_before_evict: true,
            challenges: true,
            anti_amplification: true,
        }
    }
}

impl Config {
    /// The record checks of §3 as the codec expects them.
    pub fn verify_rules(&self) -> crate::dat::VerifyRules {
        crate::dat::VerifyRules {
            min_work: self.min_work,
            max_clock_skew_ms: self.max_clock_skew.as_millis() as u64,
            ttl_ms: self.ttl.as_millis() as u64,
        }
    }

    /// TTL in milliseconds, the unit of record times (§1).
    pub fn ttl_ms(&self) -> u64 {
        self.ttl.as_millis() as u64
    }
}
