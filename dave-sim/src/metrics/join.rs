//! Join time (docs/simulator.md §"Join time"): how long a node takes, from its start, until its
//! peer table holds the nodes a converged table would hold nearest its own id.
//!
//! A node has *joined* once its table holds, verified, each of the REPLICAS honest nodes
//! closest to its NodeId among those up at that moment that started no later than it did (the
//! network it joined), or else K verified peers in the bucket where that node would go, or
//! REPLICAS verified peers nearer than that node. That is what Kademlia promises
//! (docs/protocol.md §5): a bucket that is full keeps its live incumbents (test before evict)
//! rather than admit a closer newcomer, so a converged table misses a close node when that
//! node's bucket is full; and a lookup ends at the REPLICAS nearest it finds, so once later
//! arrivals fill the neighbourhood nearer than an older node, nothing refers the older one.
//! (Nodes that arrive after it are found by their own joins; a node that started early in a
//! network still forming would otherwise be charged with the arrival times of its later
//! neighbours.) Every start counts, first joins and churn rejoins (from a backup
//! or empty) alike. Tables are probed every [`JOIN_PROBE_EVERY_US`] of virtual time. A start
//! still not joined [`JOIN_WINDOW_US`] later counts as never joining (its time is infinite, so
//! a percentile that lands on it is `null`); one cut short earlier by a leave, a crash or the
//! end of the run is *censored* and left out. The table size of every start is recorded per
//! [`CURVE_BUCKET_US`] of time since the start, for the join chart.

use std::collections::BTreeMap;

use super::stats::quantile;

/// Period of the join probes.
pub const JOIN_PROBE_EVERY_US: u64 = 50_000;
/// How long after its start a node is followed.
pub const JOIN_WINDOW_US: u64 = 30_000_000;
/// Width of one step of the table-size curve.
pub const CURVE_BUCKET_US: u64 = 250_000;

/// A start being followed.
#[derive(Debug, Clone)]
struct Open {
    node: u32,
    at: u64,
    restart: bool,
    joined: Option<u64>,
    last_bucket: Option<u64>,
}

/// How one followed start ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JoinTime {
    /// The node that started.
    pub node: u32,
    /// When it started, µs of virtual time.
    pub at: u64,
    /// Whether it was a restart (churn rejoin or fault restart) rather than a first join.
    pub restart: bool,
    /// Milliseconds to join; infinite if it did not join within the window.
    pub ms: f64,
}

/// One measured start (a row of `joins.csv`): what the join percentiles are taken over, so a
/// tail can be traced to the nodes in it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct JoinRow {
    /// Start, seconds of virtual time.
    pub time_s: f64,
    /// The node that started.
    pub node: u32,
    /// A restart (churn rejoin or fault restart) rather than a first join.
    pub restart: bool,
    /// Joined within the window of [`JOIN_WINDOW_US`] after the start.
    pub joined: bool,
    /// Start to joined, ms (empty if it did not join).
    pub join_ms: Option<f64>,
}

/// Follows every start of an honest node.
#[derive(Debug, Default)]
pub struct JoinTracker {
    open: Vec<Open>,
    /// When each node last started, µs, by node index (`u64::MAX`: never). Read for every
    /// candidate neighbour of every followed start at every probe, so an array, not a tree.
    start_of: Vec<u64>,
    /// Starts that joined or ran out of the window.
    pub times: Vec<JoinTime>,
    /// Starts cut short before they joined or the window passed.
    pub censored: u64,
    /// How many starts had each table size, by curve step (time since start ÷
    /// CURVE_BUCKET_US). Counts, not one value per start: a list per step held 8 bytes for every
    /// step of every start (1 KB a node of a 100,000-node run), and the band needs only ranks.
    pub curve: BTreeMap<u64, BTreeMap<u32, u64>>,
}

impl JoinTracker {
    /// Node `node` started at `at` µs (`restart`: it had run before).
    pub fn started(&mut self, node: u32, at: u64, restart: bool) {
        let slot = node as usize;
        if self.start_of.len() <= slot {
            self.start_of.resize(slot + 1, u64::MAX);
        }
        self.start_of[slot] = at;
        if let Some(i) = self.open.iter().position(|o| o.node == node) {
            let o = self.open.swap_remove(i);
            self.close(o, at);
        }
        self.open.push(Open {
            node,
            at,
            restart,
            joined: None,
            last_bucket: None,
        });
    }

    /// The nodes whose starts are being followed.
    pub fn followed(&self) -> impl Iterator<Item = u32> + '_ {
        self.open.iter().map(|o| o.node)
    }

    /// Whether any start is being followed.
    pub fn following(&self) -> bool {
        !self.open.is_empty()
    }

    /// A probe at `t` µs. `up` are the (NodeId, node) of the honest nodes up now, sorted by
    /// NodeId. `view(node, table_wanted, table)` gives a followed node's NodeId, `None` if it is
    /// down (which ends the follow), and, when `table_wanted`, replaces `table` with the NodeIds
    /// its table holds verified. Tables are read only while a start has not joined or a curve
    /// step is due, so a probe of a large network stays cheap.
    pub fn probe(
        &mut self,
        t: u64,
        want: usize,
        bucket_size: usize,
        up: &[(u64, u32)],
        mut view: impl FnMut(u32, bool, &mut Vec<u64>) -> Option<u64>,
    ) {
        let mut table = Vec::new();
        let mut i = 0;
        while i < self.open.len() {
            let o = &self.open[i];
            let since = t.saturating_sub(o.at);
            let bucket = since / CURVE_BUCKET_US;
            let curve_due = since < JOIN_WINDOW_US && o.last_bucket != Some(bucket);
            let table_wanted = o.joined.is_none() || curve_due;
            let Some(own) = view(o.node, table_wanted, &mut table) else {
                let o = self.open.swap_remove(i);
                self.close(o, t);
                continue;
            };
            let o = &mut self.open[i];
            if o.joined.is_none() {
                let (at, start_of) = (o.at, &self.start_of);
                let joined_before = |n: u32| start_of.get(n as usize).is_some_and(|&s| s <= at);
                if closest(up, own, want, joined_before).iter().all(|id| {
                    table.contains(id)
                        || bucket_full(own, *id, &table, bucket_size)
                        || holds_nearer(own, *id, &table, want)
                }) {
                    o.joined = Some(since);
                }
            }
            if curve_due {
                o.last_bucket = Some(bucket);
                let size = u32::try_from(table.len()).unwrap_or(u32::MAX);
                *self
                    .curve
                    .entry(bucket)
                    .or_default()
                    .entry(size)
                    .or_default() += 1;
            }
            if since >= JOIN_WINDOW_US {
                let o = self.open.swap_remove(i);
                self.close(o, t);
                continue;
            }
            i += 1;
        }
    }

    /// The run ended at `end` µs: closes every follow.
    pub fn finish(&mut self, end: u64) {
        for o in std::mem::take(&mut self.open) {
            self.close(o, end);
        }
    }

    fn close(&mut self, o: Open, t: u64) {
        let ms = match o.joined {
            Some(us) => us as f64 / 1e3,
            None if t.saturating_sub(o.at) >= JOIN_WINDOW_US => f64::INFINITY,
            None => {
                self.censored += 1;
                return;
            }
        };
        self.times.push(JoinTime {
            node: o.node,
            at: o.at,
            restart: o.restart,
            ms,
        });
    }

    /// `join_time_p50_ms`, `join_time_p90_ms` (every start), `rejoin_time_p50_ms` (restarts
    /// only), `joins_measured`, `joins_unfinished`, `joins_censored`.
    pub fn metrics(&self, out: &mut BTreeMap<String, f64>) {
        let finite = |q: f64| if q.is_finite() { q } else { f64::NAN };
        let mut all: Vec<f64> = self.times.iter().map(|j| j.ms).collect();
        let mut rejoins: Vec<f64> = self
            .times
            .iter()
            .filter(|j| j.restart)
            .map(|j| j.ms)
            .collect();
        out.insert("join_time_p50_ms".into(), finite(quantile(&mut all, 0.5)));
        out.insert("join_time_p90_ms".into(), finite(quantile(&mut all, 0.9)));
        out.insert(
            "rejoin_time_p50_ms".into(),
            finite(quantile(&mut rejoins, 0.5)),
        );
        out.insert("joins_measured".into(), self.times.len() as f64);
        out.insert(
            "joins_unfinished".into(),
            self.times.iter().filter(|j| j.ms.is_infinite()).count() as f64,
        );
        out.insert("joins_censored".into(), self.censored as f64);
    }

    /// Every measured start, in the order they ended (`joins.csv`).
    pub fn rows(&self) -> Vec<JoinRow> {
        self.times
            .iter()
            .map(|j| JoinRow {
                time_s: j.at as f64 / 1e6,
                node: j.node,
                restart: j.restart,
                joined: j.ms.is_finite(),
                join_ms: j.ms.is_finite().then_some(j.ms),
            })
            .collect()
    }

    /// `(seconds since start, p10, p50, p90)` of table sizes per curve step.
    pub fn curve_band(&self) -> Vec<(f64, f64, f64, f64)> {
        self.curve
            .iter()
            .map(|(&b, sizes)| {
                let t = (b * CURVE_BUCKET_US) as f64 / 1e6;
                (
                    t,
                    counted_rank(sizes, 0.1),
                    counted_rank(sizes, 0.5),
                    counted_rank(sizes, 0.9),
                )
            })
            .collect()
    }
}

/// The nearest-rank quantile `q` (the rule of [`nearest_rank`](super::stats::nearest_rank)) of the values that `counts`
/// holds with multiplicities; NaN when it holds none.
fn counted_rank(counts: &BTreeMap<u32, u64>, q: f64) -> f64 {
    let total: u64 = counts.values().sum();
    if total == 0 {
        return f64::NAN;
    }
    let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
    let mut seen = 0;
    for (&value, &n) in counts {
        seen += n;
        if seen >= rank {
            return f64::from(value);
        }
    }
    f64::NAN
}

/// Whether `table` (the NodeIds a node `own` holds verified) has `bucket_size` in the k-bucket
/// where `id` would go (§5: the highest bit in which the ids differ). Edges are counted as if
/// bucketed: one shares a deep bucket with probability about 2^-13 at these sizes.
fn bucket_full(own: u64, id: u64, table: &[u64], bucket_size: usize) -> bool {
    let bucket = |other: u64| (own ^ other).leading_zeros();
    table
        .iter()
        .filter(|&&t| t != own && bucket(t) == bucket(id))
        .count()
        >= bucket_size
}

/// Whether `table` holds `want` NodeIds nearer `own` than `id` is: `id` is then not among the
/// `want` nearest the node knows, so the node no longer stores with it or is asked for it (the
/// nearer ones are nodes that started later and moved in between; lookups refer the nearest,
/// so a self-lookup made after they arrived rightly ends before reaching `id`).
fn holds_nearer(own: u64, id: u64, table: &[u64], want: usize) -> bool {
    let bound = own ^ id;
    table
        .iter()
        .filter(|&&t| t != own && t ^ own < bound)
        .count()
        >= want
}

/// The `want` NodeIds of `sorted` (sorted by NodeId) closest to `own` by XOR among the nodes
/// `eligible` accepts, other than `own` (fewer if fewer are eligible). The ids sharing a prefix
/// with `own` form one contiguous range of the sorted list: the longest prefix whose range holds
/// `want` eligible others bounds the search. Ranges double as the prefix shortens, so a search
/// costs O(64 log n) plus about twice the final range.
fn closest(
    sorted: &[(u64, u32)],
    own: u64,
    want: usize,
    eligible: impl Fn(u32) -> bool,
) -> Vec<u64> {
    let counts = |&&(x, n): &&(u64, u32)| x != own && eligible(n);
    // The ids sharing the top `len` bits with `own`.
    let prefix_range = |len: u32| {
        let low_bits = u64::MAX.checked_shr(len).unwrap_or(0);
        let (lo, hi) = (own & !low_bits, own | low_bits);
        let start = sorted.partition_point(|&(x, _)| x < lo);
        let end = sorted.partition_point(|&(x, _)| x <= hi);
        &sorted[start..end]
    };
    let enough = |len: u32| prefix_range(len).iter().filter(counts).count() >= want;
    // The longest shared prefix whose range still holds `want` eligible ids: ranges nest as
    // the prefix shortens, so a binary search over its length finds it (7 steps, not 64).
    let (mut short, mut long) = (0u32, 64u32);
    if enough(long) {
        short = long;
    }
    while short < long {
        let mid = (short + long).div_ceil(2);
        if enough(mid) {
            short = mid;
        } else {
            long = mid - 1;
        }
    }
    let range = prefix_range(short);
    let mut picked: Vec<u64> = range.iter().filter(counts).map(|&(x, _)| x).collect();
    picked.sort_by_key(|&x| x ^ own);
    picked.truncate(want);
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn counted_ranks_match_ranks_of_the_values(
            values in proptest::collection::vec(0u32..40, 0..60),
            q in 0.0f64..=1.0,
        ) {
            let mut counts = BTreeMap::new();
            for &v in &values {
                *counts.entry(v).or_insert(0u64) += 1;
            }
            let mut listed: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
            let expected = quantile(&mut listed, q);
            let got = counted_rank(&counts, q);
            proptest::prop_assert!(got == expected || (got.is_nan() && expected.is_nan()));
        }
    }

    #[test]
    fn closest_matches_a_full_sort() {
        let mut ids: Vec<(u64, u32)> = (0..500u32)
            .map(|i| (u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15), i))
            .collect();
        ids.sort_unstable();
        let odd = |n: u32| n % 2 == 1;
        for &(own, _) in ids
            .iter()
            .step_by(37)
            .chain([(0, 0), (u64::MAX, 0), (12345, 0)].iter())
        {
            let mut all: Vec<u64> = ids.iter().map(|&(x, _)| x).filter(|&x| x != own).collect();
            all.sort_by_key(|&x| x ^ own);
            all.truncate(5);
            assert_eq!(closest(&ids, own, 5, |_| true), all, "own {own:x}");
            let mut odd_only: Vec<u64> = ids
                .iter()
                .filter(|&&(x, n)| x != own && odd(n))
                .map(|&(x, _)| x)
                .collect();
            odd_only.sort_by_key(|&x| x ^ own);
            odd_only.truncate(5);
            assert_eq!(
                closest(&ids, own, 5, odd),
                odd_only,
                "own {own:x}, odd nodes"
            );
        }
        assert_eq!(closest(&[(7, 0)], 7, 5, |_| true), Vec::<u64>::new());
    }

    /// Node 0's join time after one probe at 50 ms in which its table holds `held` and it has
    /// id `own`; `starts` are (node, µs) in start order. The other nodes read as down, which
    /// ends their follows, so node 0's is the one start left to close.
    fn node_0_join_ms(
        ids: &[(u64, u32)],
        starts: &[(u32, u64)],
        (want, bucket_size): (usize, usize),
        own: u64,
        held: &[u64],
    ) -> f64 {
        let mut t = JoinTracker::default();
        for &(n, at) in starts {
            t.started(n, at, false);
        }
        t.probe(
            50_000,
            want,
            bucket_size,
            ids,
            |n, _, table: &mut Vec<u64>| {
                (n == 0).then(|| {
                    table.clear();
                    table.extend_from_slice(held);
                    own
                })
            },
        );
        t.finish(40_000_000);
        t.times[0].ms
    }

    #[test]
    fn a_full_bucket_stands_in_for_the_closest_it_keeps_out() {
        // Node 0 has id 0x10; its closest other is 0x11 (bucket of bit 0), then 0x12 and 0x13
        // (bit 1). Its table holds 0x11 and, in bit 1's bucket, only 0x12.
        let ids: Vec<(u64, u32)> = [(0x10u64, 0), (0x11, 1), (0x12, 2), (0x13, 3)].into();
        let starts = [(1, 0), (2, 0), (3, 0), (0, 0)];
        let probe = |k| node_0_join_ms(&ids, &starts, (3, k), 0x10, &[0x11, 0x12]);
        assert!(probe(2).is_infinite(), "0x13's bucket has room: not joined");
        assert_eq!(probe(1), 50.0, "0x13's bucket is full: joined");
    }

    #[test]
    fn peers_nearer_than_an_older_closest_stand_in_for_it() {
        // Node 0 (id 0x10) started at 100 µs, after nodes 1 and 2 (0x30, 0x31: its two closest
        // of those older) and before nodes 3 and 4 (0x11, 0x12), which moved in between.
        let ids: Vec<(u64, u32)> =
            [(0x10u64, 0), (0x11, 3), (0x12, 4), (0x30, 1), (0x31, 2)].into();
        let starts = [(1, 0), (2, 0), (0, 100), (3, 200), (4, 200)];
        let probe = |held: &[u64]| node_0_join_ms(&ids, &starts, (2, 8), 0x10, held);
        assert_eq!(
            probe(&[0x11, 0x12]),
            49.9,
            "two nearer than 0x30 and 0x31: joined"
        );
        assert!(
            probe(&[0x11]).is_infinite(),
            "one nearer than 0x30: not joined"
        );
        assert_eq!(
            probe(&[0x30, 0x31]),
            49.9,
            "both older closest held: joined"
        );
    }

    #[test]
    fn a_start_joins_when_its_table_holds_its_closest() {
        let ids: Vec<(u64, u32)> = [1u64, 2, 3, 4, 100, 200]
            .iter()
            .enumerate()
            .map(|(n, &id)| (id, n as u32))
            .collect();
        let mut t = JoinTracker::default();
        for n in 1..6 {
            t.started(n, 0, false);
        }
        t.started(0, 1_000_000, false);
        // Node 3 (NodeId 4) restarted after node 0: node 0 is not held to knowing it.
        t.started(3, 1_020_000, true);
        let partial = [2u64, 3];
        // Only node 0 is watched here: the others read as down, which ends their follows.
        t.probe(1_050_000, 3, 8, &ids, |n, _, table: &mut Vec<u64>| {
            (n == 0).then(|| {
                table.clear();
                table.extend_from_slice(&partial);
                1
            })
        });
        assert_eq!(
            t.censored, 6,
            "nodes 1-5, and node 3 once more for its restart"
        );
        assert!(t.times.is_empty());
        let full = [2u64, 3, 100];
        t.probe(1_100_000, 3, 8, &ids, |n, _, table: &mut Vec<u64>| {
            (n == 0).then(|| {
                table.clear();
                table.extend_from_slice(&full);
                1
            })
        });
        t.finish(40_000_000);
        assert_eq!(
            t.times,
            vec![JoinTime {
                node: 0,
                at: 1_000_000,
                restart: false,
                ms: 100.0
            }]
        );
        assert_eq!(
            t.rows(),
            vec![JoinRow {
                time_s: 1.0,
                node: 0,
                restart: false,
                joined: true,
                join_ms: Some(100.0),
            }],
            "joins.csv's row of the start"
        );
        assert_eq!(
            t.curve.get(&0),
            Some(&BTreeMap::from([(2, 1)])),
            "one size per curve step"
        );
    }

    #[test]
    fn unjoined_starts_are_infinite_after_the_window_and_censored_before() {
        let ids = vec![(1u64, 0u32), (2, 1), (3, 2)];
        let mut t = JoinTracker::default();
        t.started(0, 0, false);
        t.started(1, 0, true);
        let empty: [u64; 0] = [];
        // Node 1 goes down at 1 s: censored. Node 0 is followed to the end of the window.
        t.probe(1_000_000, 2, 8, &ids, |n, _, table: &mut Vec<u64>| {
            (n == 0).then(|| {
                table.clear();
                table.extend_from_slice(&empty);
                1
            })
        });
        t.probe(JOIN_WINDOW_US, 2, 8, &ids, |_, _, table: &mut Vec<u64>| {
            table.clear();
            table.extend_from_slice(&empty);
            Some(1)
        });
        assert_eq!(t.censored, 1);
        assert_eq!(t.times.len(), 1);
        assert!(t.times[0].ms.is_infinite());
        let mut m = BTreeMap::new();
        t.metrics(&mut m);
        assert!(m["join_time_p50_ms"].is_nan(), "an infinite median is null");
        assert_eq!(m["joins_unfinished"], 1.0);
        let rows = t.rows();
        assert_eq!(
            (rows[0].node, rows[0].joined, rows[0].join_ms),
            (0, false, None)
        );
    }
}
