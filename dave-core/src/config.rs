//! Node configuration: every constant of docs/protocol.md §11, with the spec's defaults.
//!
//! Scenarios vary these, so each one is a plain public field. A few fields that the spec leaves
//! open (marked "not in §11") are decisions of this implementation, documented where they are used.
//! [`Config::validate`] checks that a configuration can work before a driver starts a node.

use std::time::Duration;

use crate::wire::{MAX_DATAGRAM, PADDED_GET_LEN};

/// Largest record work a writer can mine (`Dat::new` counts at most 2^64 salts).
const MAX_MINEABLE_WORK: u32 = 64;
/// Bytes of an AUTH PONG without addresses (§4): op, kind, nonce, salt, pubkey, sig, count.
const AUTH_PONG_BASE: usize = 1 + 1 + 32 + 16 + 32 + 64 + 1;
/// Bytes of a not-found GET_ACK without referrals for the longest key (§4).
const NOT_FOUND_BASE: usize = 1 + 1 + 32 + 1 + 255 + 1;
/// Largest record charge: key and value at their joint limit (§3).
const MAX_RECORD_BYTES: u64 = 1267;

/// A constant out of range or inconsistent with another: names the field (as in `Config` and in
/// scenarios' `nodes.config`) and says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ConfigError {
    /// The offending field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn fail(field: &'static str, problem: impl Into<String>) -> Result<(), ConfigError> {
    Err(ConfigError {
        field,
        problem: problem.into(),
    })
}

fn positive(field: &'static str, d: Duration) -> Result<(), ConfigError> {
    if d.is_zero() {
        return fail(
            field,
            "must be above zero (a zero period re-arms its timer at the same instant forever)",
        );
    }
    Ok(())
}

fn at_least(field: &'static str, value: usize, min: usize, why: &str) -> Result<(), ConfigError> {
    if value < min {
        return fail(field, format!("is {value}, must be at least {min} ({why})"));
    }
    Ok(())
}

fn at_most(field: &'static str, value: usize, max: usize, why: &str) -> Result<(), ConfigError> {
    if value > max {
        return fail(field, format!("is {value}, must be at most {max} ({why})"));
    }
    Ok(())
}

fn not_below(
    field: &'static str,
    d: Duration,
    other: &'static str,
    o: Duration,
) -> Result<(), ConfigError> {
    if d < o {
        return fail(field, format!("is {d:?}, must be at least {other} ({o:?})"));
    }
    Ok(())
}

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
    /// Not in §11: a read-only node (§5, as BEP 43's read-only DHT nodes) flags every PING it
    /// sends, so that others answer it but never make it a candidate or peer. It pads every
    /// request as if to an unverified address (nobody ever completes a round trip with it), never
    /// keeps a record it writes and hands nothing over. Short-lived clients (`dave-node put` and
    /// `get`) run read-only so that they do not skew other nodes' tables and reliability scores.
    pub read_only: bool,
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
    /// Not in §11: a node of a local cluster (`dave-node --local`). Loopback, private and
    /// link-local addresses ([`crate::addr::is_local`]) are then exempt from GROUP_LIMIT and
    /// GROUP_LIMIT_TABLE, in the table and in the candidate list: a cluster on one machine or one
    /// LAN shares a single /24, and the limits would cap every table at a few of its peers.
    /// Public addresses keep every limit, so a node that also talks to the Internet is as hard
    /// to poison from there as any other; only hosts on its own network (who could flood it
    /// anyway) get past the group limits. Off by default: a public node has no use for
    /// private addresses, and someone else's LAN is not a group to trust.
    pub local: bool,
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
            read_only: false,
            anchors: 32,
            test_before_evict: true,
            challenges: true,
            anti_amplification: true,
            local: false,
        }
    }
}

impl Config {
    /// Checks every constant: periods and deadlines above zero, fractions in range, the decay
    /// factor in (0, 1], counts that the wire format can carry, and limits consistent with each
    /// other. The first problem found is returned, naming its field. A node runs with any
    /// `Config`, but one that fails here can stall (a zero period) or never work (no referrals);
    /// drivers check it before they start one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, d) in [
            ("ttl", self.ttl),
            ("lookup_timeout", self.lookup_timeout),
            ("challenge_every", self.challenge_every),
            ("ping_every", self.ping_every),
            ("reauth_every", self.reauth_every),
            ("activate_after", self.activate_after),
            ("deactivate_after", self.deactivate_after),
            ("drop_after", self.drop_after),
            ("addr_every", self.addr_every),
            ("republish_every", self.republish_every),
            ("challenge_min", self.challenge_min),
            ("query_timeout", self.query_timeout),
            ("refresh_every", self.refresh_every),
        ] {
            positive(field, d)?;
        }
        not_below(
            "reauth_every",
            self.reauth_every,
            "ping_every",
            self.ping_every,
        )?;
        not_below(
            "deactivate_after",
            self.deactivate_after,
            "ping_every",
            self.ping_every,
        )?;
        not_below(
            "drop_after",
            self.drop_after,
            "deactivate_after",
            self.deactivate_after,
        )?;
        not_below(
            "lookup_timeout",
            self.lookup_timeout,
            "query_timeout",
            self.query_timeout,
        )?;
        if !(self.reliability_decay > 0.0 && self.reliability_decay <= 1.0) {
            return fail(
                "reliability_decay",
                format!("is {}, must be in (0, 1]", self.reliability_decay),
            );
        }
        if !(0.0..=1.0).contains(&self.reliability_min) {
            return fail(
                "reliability_min",
                format!("is {}, must be in [0, 1]", self.reliability_min),
            );
        }
        at_least(
            "max_datagram",
            self.max_datagram,
            PADDED_GET_LEN,
            "a padded GET must be accepted",
        )?;
        at_most(
            "max_datagram",
            self.max_datagram,
            MAX_DATAGRAM,
            "the codec's limit",
        )?;
        if self.min_work > MAX_MINEABLE_WORK {
            return fail(
                "min_work",
                format!(
                    "is {}, must be at most {MAX_MINEABLE_WORK} (no writer could mine a record)",
                    self.min_work
                ),
            );
        }
        if self.shard_capacity < MAX_RECORD_BYTES + self.entry_overhead {
            return fail(
                "shard_capacity",
                format!(
                    "is {}, must hold at least one largest record ({MAX_RECORD_BYTES} bytes + \
                     entry_overhead {})",
                    self.shard_capacity, self.entry_overhead
                ),
            );
        }
        at_least("replicas", self.replicas, 1, "a record needs a holder")?;
        at_least("alpha", self.alpha, 1, "a lookup needs a query in flight")?;
        at_least("referrals", self.referrals, 1, "lookups follow referrals")?;
        let max_referrals = (MAX_DATAGRAM - NOT_FOUND_BASE) / crate::addr::ADDR_LEN;
        at_most(
            "referrals",
            self.referrals,
            max_referrals,
            "a not-found GET_ACK must fit a datagram",
        )?;
        at_least(
            "lookup_budget",
            self.lookup_budget as usize,
            self.alpha,
            "at least alpha queries",
        )?;
        at_least("k", self.k, 1, "a bucket must hold a peer")?;
        // 0 switches a group limit off (the undefended tables of the eclipse studies).
        if self.group_limit > 0 {
            at_most(
                "group_limit",
                self.group_limit,
                self.k,
                "at most k peers in a bucket",
            )?;
        }
        if self.group_limit > 0 && self.group_limit_table > 0 {
            at_least(
                "group_limit_table",
                self.group_limit_table,
                self.group_limit,
                "the table allows a group at least what a bucket does",
            )?;
        }
        let max_npeer = (MAX_DATAGRAM - AUTH_PONG_BASE) / crate::addr::ADDR_LEN;
        at_most(
            "npeer_limit",
            self.npeer_limit,
            max_npeer,
            "an AUTH PONG must fit a datagram",
        )?;
        at_least(
            "max_candidates",
            self.max_candidates,
            1,
            "candidates feed the table",
        )?;
        at_least(
            "challenge_rtt_multiple",
            self.challenge_rtt_multiple as usize,
            1,
            "a deadline below one round trip fails every answer",
        )?;
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(config: Config) -> &'static str {
        config.validate().expect_err("should be refused").field
    }

    #[test]
    fn the_spec_defaults_are_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn every_period_and_deadline_must_be_above_zero() {
        let zero = Duration::ZERO;
        type Field = fn(&mut Config) -> &mut Duration;
        let cases: [(&str, Field); 13] = [
            ("ttl", |c| &mut c.ttl),
            ("lookup_timeout", |c| &mut c.lookup_timeout),
            ("challenge_every", |c| &mut c.challenge_every),
            ("ping_every", |c| &mut c.ping_every),
            ("reauth_every", |c| &mut c.reauth_every),
            ("activate_after", |c| &mut c.activate_after),
            ("deactivate_after", |c| &mut c.deactivate_after),
            ("drop_after", |c| &mut c.drop_after),
            ("addr_every", |c| &mut c.addr_every),
            ("republish_every", |c| &mut c.republish_every),
            ("challenge_min", |c| &mut c.challenge_min),
            ("query_timeout", |c| &mut c.query_timeout),
            ("refresh_every", |c| &mut c.refresh_every),
        ];
        for (name, field) in cases {
            let mut config = Config::default();
            *field(&mut config) = zero;
            let err = config.validate().expect_err(name);
            assert_eq!(err.field, name);
            assert!(err.to_string().contains("above zero"), "{err}");
        }
    }

    #[test]
    fn fractions_decay_and_limits_are_checked() {
        for decay in [0.0, -0.5, 1.01, f64::NAN] {
            let c = Config {
                reliability_decay: decay,
                ..Config::default()
            };
            assert_eq!(field_of(c), "reliability_decay", "{decay}");
        }
        let ok = Config {
            reliability_decay: 1.0,
            ..Config::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        for min in [-0.1, 1.1, f64::NAN] {
            let c = Config {
                reliability_min: min,
                ..Config::default()
            };
            assert_eq!(field_of(c), "reliability_min", "{min}");
        }
        let d = Config::default();
        let cases = [
            (
                Config {
                    replicas: 0,
                    ..d.clone()
                },
                "replicas",
            ),
            (
                Config {
                    alpha: 0,
                    ..d.clone()
                },
                "alpha",
            ),
            (
                Config {
                    referrals: 0,
                    ..d.clone()
                },
                "referrals",
            ),
            (
                Config {
                    referrals: 63,
                    ..d.clone()
                },
                "referrals",
            ),
            (
                Config {
                    lookup_budget: 2,
                    ..d.clone()
                },
                "lookup_budget",
            ),
            (Config { k: 0, ..d.clone() }, "k"),
            (
                Config {
                    group_limit: 9,
                    ..d.clone()
                },
                "group_limit",
            ),
            (
                Config {
                    group_limit_table: 1,
                    ..d.clone()
                },
                "group_limit_table",
            ),
            (
                Config {
                    npeer_limit: 71,
                    ..d.clone()
                },
                "npeer_limit",
            ),
            (
                Config {
                    max_candidates: 0,
                    ..d.clone()
                },
                "max_candidates",
            ),
            (
                Config {
                    max_datagram: 479,
                    ..d.clone()
                },
                "max_datagram",
            ),
            (
                Config {
                    max_datagram: 1425,
                    ..d.clone()
                },
                "max_datagram",
            ),
            (
                Config {
                    min_work: 65,
                    ..d.clone()
                },
                "min_work",
            ),
            (
                Config {
                    shard_capacity: 1000,
                    ..d.clone()
                },
                "shard_capacity",
            ),
            (
                Config {
                    challenge_rtt_multiple: 0,
                    ..d.clone()
                },
                "challenge_rtt_multiple",
            ),
            (
                Config {
                    drop_after: Duration::from_secs(10),
                    ..d.clone()
                },
                "drop_after",
            ),
            (
                Config {
                    ping_every: Duration::from_secs(20),
                    ..d.clone()
                },
                "deactivate_after",
            ),
            (
                Config {
                    query_timeout: Duration::from_secs(6),
                    ..d.clone()
                },
                "lookup_timeout",
            ),
        ];
        for (config, field) in cases {
            assert_eq!(field_of(config), field);
        }
        // The largest values the wire can carry pass.
        let edge = Config {
            referrals: 62,
            npeer_limit: 70,
            ..d
        };
        assert_eq!(edge.validate(), Ok(()));
    }
}
