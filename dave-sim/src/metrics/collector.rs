//! Turns node observations and samples into the rows and named metrics of a run
//! (docs/simulator.md §"Metrics" and §"The report").
//!
//! Definitions where the spec leaves room:
//! - `get_success_rate`: found ÷ (finished GETs + GETs still unfinished `UNFINISHED_GRACE`
//!   after they started). GETs ask only for records written at least `read_after` earlier.
//! - `propagation_p50_ms`/`p90`: over every (record, replica) pair among the first
//!   `replicas` nodes to store a record, the delay from the write to that node's store event.
//! - `put_replicas_mean`: live nodes holding a record `PROPAGATION_WINDOW` after its write,
//!   averaged over records written early enough to be checked.
//! - `records_lost`: records whose write completed (the writer's PUT lookup finished) that no
//!   node holds at the end of the run, counting the backup logs of nodes that are down (they
//!   serve them again when they return). A write whose writer went down before its PUT
//!   lookup finished never reached the network; it counts in `writes_interrupted` instead.
//! - `records_unavailable`: records that no node that is up holds at the end.
//! - `records_misplaced`: records some node still holds (a backup of a down node counts) that
//!   none of their REPLICAS XOR-closest live nodes holds at the end: a lookup, which ends at the
//!   closest nodes, may not find them. Records nobody holds are `records_lost` instead.
//! - `honest_reliability_median`: over the scores honest nodes hold, at the last sample, of
//!   honest peers challenged at least once (an unchallenged peer sits at the 0.5 prior and
//!   says nothing); `honest_reliability_entries` is how many such scores there are.
//! - `challenges_sent`, `challenges_failed`: storage challenges honest nodes sent whose outcome
//!   is known (answered, failed or timed out; one still pending at the end or when its sender
//!   went down is not counted), and those that failed.
//! - `honest_records_evicted`: (node, record) pairs where a workload record was pushed out of a
//!   full store by a newcomer (expiry does not count).
//! - `targeted_get_success_rate`: `get_success_rate` over the GETs of records an attacker group
//!   aims at (the sybils' targets); NaN when there are none.
//! - `get_success_rate_after_heal`: `get_success_rate` over the GETs started at or after the
//!   last heal (NaN without one): whether the two sides of a partition converged, records
//!   written on one side during the split included.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use serde::Serialize;

use super::stats::{mean, quantile};
use crate::engine::SimTime;
use crate::network::OPS;

/// How long after a write its replicas are counted for `put_replicas_mean`.
pub const PROPAGATION_WINDOW_US: u64 = 30_000_000;
/// A GET still unfinished this long after it started counts as failed.
pub const UNFINISHED_GRACE_US: u64 = 30_000_000;

/// One GET or PUT lookup (a row of `lookups.csv`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LookupRow {
    /// Start, seconds of virtual time.
    pub time_s: f64,
    /// Node that ran it.
    pub node: u32,
    /// `get` or `put`.
    pub kind: &'static str,
    /// RecordId (hex).
    pub record: String,
    /// Finished before the end of the run.
    pub finished: bool,
    /// GET: found the record. PUT: reached at least one replica.
    pub success: bool,
    /// Latency in ms (NaN, an empty cell, if unfinished).
    #[serde(serialize_with = "nan_as_empty")]
    pub latency_ms: f64,
    /// Hops.
    pub hops: u32,
    /// Queries sent.
    pub queries: u32,
}

/// One written record (a row of `records.csv`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordRow {
    /// RecordId (hex).
    pub record: String,
    /// Writer node.
    pub writer: u32,
    /// Write time, s.
    pub written_s: f64,
    /// Delay to the first store event, ms (NaN, an empty cell, if none).
    #[serde(serialize_with = "nan_as_empty")]
    pub first_replica_ms: f64,
    /// Delay to the last of the first `replicas` store events, ms (NaN, an empty cell, if none).
    #[serde(serialize_with = "nan_as_empty")]
    pub last_replica_ms: f64,
    /// Distinct nodes that ever stored it.
    pub replicas_ever: u32,
    /// Live holders `PROPAGATION_WINDOW` after the write (empty if the run ended first).
    pub replicas_after_window: Option<u32>,
    /// Live holders at the end.
    pub replicas_end: u32,
    /// Holders at the end including nodes that are down but keep the record in their backup.
    pub replicas_end_with_down: u32,
    /// Delays (ms) of the first `replicas` store events in order: replicas over time. Written
    /// in long format to `replicas.csv`, one row per (record, replica), not as a packed cell.
    #[serde(skip)]
    pub replica_delays_ms: Vec<f64>,
}

/// One store event among a record's first `replicas` (a row of `replicas.csv`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplicaRow {
    /// RecordId (hex).
    pub record: String,
    /// 1 for the first node to store it, 2 for the second, ….
    pub replica: u32,
    /// Delay from the write to this store event, ms.
    pub delay_ms: f64,
}

impl RecordRow {
    /// The rows of `replicas.csv` for this record.
    pub fn replica_rows(&self) -> impl Iterator<Item = ReplicaRow> + '_ {
        self.replica_delays_ms
            .iter()
            .zip(1..)
            .map(|(&delay_ms, replica)| ReplicaRow {
                record: self.record.clone(),
                replica,
                delay_ms,
            })
    }
}

/// One sample (a row of `timeseries.csv`). Counters are cumulative since the start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleRow {
    /// Sample time, s.
    pub time_s: f64,
    /// Node class (only `honest` in this version).
    pub class: &'static str,
    /// Nodes up.
    pub nodes_up: u32,
    /// Datagrams delivered.
    pub datagrams_delivered: u64,
    /// Datagrams dropped (all reasons).
    pub datagrams_dropped: u64,
    /// Bytes delivered.
    pub bytes_delivered: u64,
    /// GETs finished.
    pub gets_finished: u64,
    /// GETs that found their record.
    pub gets_found: u64,
    /// PUT lookups finished.
    pub puts_finished: u64,
    /// Records held, summed over live nodes.
    pub records_held: u64,
    /// Mean active peers per live node.
    pub active_peers_mean: f64,
    /// Median reliability score held by live nodes of their peers (NaN, an empty cell, when
    /// none holds a score).
    pub reliability_median: f64,
    /// Cumulative datagrams delivered per op, in `OPS` order: the columns
    /// [`DATAGRAM_COLUMNS`].
    pub datagrams_by_op: [u64; OPS.len()],
    /// Cumulative bytes (UDP payload) delivered per op, in `OPS` order: the columns
    /// [`BYTE_COLUMNS`], so per-op byte rates are exact rather than datagram rates times a mean
    /// size.
    pub bytes_by_op: [u64; OPS.len()],
    /// Verified and active entries, summed over live nodes' tables.
    pub table_entries: u64,
    /// Those at attacker addresses.
    pub table_adversarial: u64,
    /// Those at addresses no host has.
    pub table_unknown: u64,
    /// Candidates, summed over live nodes.
    pub candidates: u64,
    /// Candidates at addresses no host has (fake advertisements).
    pub candidates_unknown: u64,
    /// Entries of any state at unroutable addresses.
    pub unroutable_entries: u64,
}

/// `timeseries.csv` columns of [`SampleRow::datagrams_by_op`], one per op of [`OPS`].
pub const DATAGRAM_COLUMNS: [&str; OPS.len()] = [
    "datagrams_delivered_ping",
    "datagrams_delivered_pong",
    "datagrams_delivered_put",
    "datagrams_delivered_get",
    "datagrams_delivered_get_ack",
    "datagrams_delivered_getmyaddrport",
    "datagrams_delivered_getmyaddrport_ack",
    "datagrams_delivered_other",
];

/// `timeseries.csv` columns of [`SampleRow::bytes_by_op`], one per op of [`OPS`].
pub const BYTE_COLUMNS: [&str; OPS.len()] = [
    "bytes_delivered_ping",
    "bytes_delivered_pong",
    "bytes_delivered_put",
    "bytes_delivered_get",
    "bytes_delivered_get_ack",
    "bytes_delivered_getmyaddrport",
    "bytes_delivered_getmyaddrport_ack",
    "bytes_delivered_other",
];

/// One column per op rather than packed cells (issue 13), so `pandas.read_csv` reads every
/// counter as a number; serde's derive cannot spread an array over named columns.
impl Serialize for SampleRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = serializer.serialize_struct("SampleRow", 18 + 2 * OPS.len())?;
        row.serialize_field("time_s", &self.time_s)?;
        row.serialize_field("class", self.class)?;
        row.serialize_field("nodes_up", &self.nodes_up)?;
        row.serialize_field("datagrams_delivered", &self.datagrams_delivered)?;
        row.serialize_field("datagrams_dropped", &self.datagrams_dropped)?;
        row.serialize_field("bytes_delivered", &self.bytes_delivered)?;
        row.serialize_field("gets_finished", &self.gets_finished)?;
        row.serialize_field("gets_found", &self.gets_found)?;
        row.serialize_field("puts_finished", &self.puts_finished)?;
        row.serialize_field("records_held", &self.records_held)?;
        row.serialize_field("active_peers_mean", &finite(self.active_peers_mean))?;
        row.serialize_field("reliability_median", &finite(self.reliability_median))?;
        row.serialize_field("table_entries", &self.table_entries)?;
        row.serialize_field("table_adversarial", &self.table_adversarial)?;
        row.serialize_field("table_unknown", &self.table_unknown)?;
        row.serialize_field("candidates", &self.candidates)?;
        row.serialize_field("candidates_unknown", &self.candidates_unknown)?;
        row.serialize_field("unroutable_entries", &self.unroutable_entries)?;
        for (name, count) in DATAGRAM_COLUMNS.iter().zip(&self.datagrams_by_op) {
            row.serialize_field(name, count)?;
        }
        for (name, bytes) in BYTE_COLUMNS.iter().zip(&self.bytes_by_op) {
            row.serialize_field(name, bytes)?;
        }
        row.end()
    }
}

/// `Some(v)` for a finite `v`, else `None` (an empty CSV cell).
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Writes a NaN or infinite value as an empty CSV cell, which every CSV reader takes for a
/// missing number (pandas: NaN), instead of a spelling of NaN that some do not know.
fn nan_as_empty<S: serde::Serializer>(v: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    match finite(*v) {
        Some(v) => serializer.serialize_some(&v),
        None => serializer.serialize_none(),
    }
}

/// A sampled node's table (a row of `peers.csv`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeerRow {
    /// Sample time, s.
    pub time_s: f64,
    /// Node.
    pub node: u32,
    /// Up at the sample.
    pub up: bool,
    /// Candidates.
    pub candidates: u32,
    /// Verified (not active).
    pub verified: u32,
    /// Active.
    pub active: u32,
    /// Edge peers.
    pub edges: u32,
    /// Records stored.
    pub records: u32,
    /// Mean reliability of its peers (NaN, an empty cell, without peers).
    #[serde(serialize_with = "nan_as_empty")]
    pub reliability_mean: f64,
    /// Lowest reliability of its peers (NaN, an empty cell, without peers).
    #[serde(serialize_with = "nan_as_empty")]
    pub reliability_min: f64,
    /// Active peers at attacker addresses.
    pub active_adversarial: u32,
    /// Verified and active peers at attacker addresses.
    pub table_adversarial: u32,
    /// Candidates at addresses no host has.
    pub candidates_unknown: u32,
    /// Mean reliability it holds of peers at attacker addresses (NaN, an empty cell, if none).
    #[serde(serialize_with = "nan_as_empty")]
    pub reliability_mean_adversarial: f64,
}

#[derive(Debug, Clone)]
struct PendingLookup {
    row: usize,
    started: u64,
}

#[derive(Debug, Clone, Default)]
struct RecordState {
    row: usize,
    written: u64,
    /// Nodes holding it now (including down nodes' backups).
    holders: BTreeSet<u32>,
    ever: BTreeSet<u32>,
    delays_us: Vec<u64>,
}

/// Accumulates observations into rows.
#[derive(Debug, Default)]
pub struct Collector {
    /// Replicas targeted per record (from the config).
    pub replicas_target: usize,
    /// Lookup rows.
    pub lookups: Vec<LookupRow>,
    /// Record rows.
    pub records: Vec<RecordRow>,
    /// Sample rows.
    pub samples: Vec<SampleRow>,
    /// Peer rows.
    pub peers: Vec<PeerRow>,
    pending: BTreeMap<(u32, u64), PendingLookup>,
    record_state: BTreeMap<u64, RecordState>,
    /// Per node: records it holds (for clearing on an empty restart).
    held_by: BTreeMap<u32, BTreeSet<u64>>,
    /// Reliability scores honest nodes hold of honest peers challenged at least once, at the
    /// last sample.
    pub last_reliability: Vec<f64>,
    /// The same of peers at attacker addresses.
    pub last_adversary_reliability: Vec<f64>,
    /// Scores of every verified or active peer at an attacker address, challenged or not.
    pub last_adversary_reliability_all: Vec<f64>,
    /// Mean active peers at the last sample.
    pub last_active_mean: f64,
    /// `records_misplaced`, once [`Collector::placement`] has run.
    misplaced: Option<u64>,
    /// When the last partition was healed, µs.
    last_heal: Option<u64>,
    /// Outcomes of the storage challenges each honest node sent each peer address, in order
    /// (true: passed). Keyed by (challenger, peer) so iteration is deterministic.
    pub challenges: BTreeMap<(u32, SocketAddr), Vec<bool>>,
    /// Workload records pushed out of a full store (node, record pairs).
    pub honest_records_evicted: u64,
    /// Stores by honest nodes of records the workload did not write (only spammers write
    /// others), for `spam_puts_accepted`.
    pub foreign_stored: u64,
    /// Records the sybils aim at (hex RecordIds), for `targeted_get_success_rate`.
    targets: BTreeSet<String>,
    /// Join times and table growth after every start.
    pub joins: super::join::JoinTracker,
}

/// Whether a lookup counts toward a success rate at a run's end `end`: finished, or unfinished
/// for at least `UNFINISHED_GRACE_US` (one still running when the run stopped is no failure).
/// The metric and the report's GET charts share this rule.
pub fn settled(l: &LookupRow, end: SimTime) -> bool {
    l.finished || (end.0 as f64 / 1e6 - l.time_s) * 1e6 >= UNFINISHED_GRACE_US as f64
}

/// Found ÷ (finished + unfinished past the grace), NaN when nothing counts.
fn success_rate(gets: &[&LookupRow], end: SimTime) -> f64 {
    let counted = gets.iter().filter(|l| settled(l, end)).count();
    let found = gets.iter().filter(|l| l.finished && l.success).count();
    if counted == 0 {
        f64::NAN
    } else {
        found as f64 / counted as f64
    }
}

fn hex(record: u64) -> String {
    format!("{record:016x}")
}

impl Collector {
    /// A collector for a network that targets `replicas` replicas per record.
    pub fn new(replicas: usize) -> Collector {
        Collector {
            replicas_target: replicas.max(1),
            ..Collector::default()
        }
    }

    /// A GET or PUT lookup started.
    pub fn lookup_started(
        &mut self,
        now: SimTime,
        node: u32,
        lookup: u64,
        kind: &'static str,
        record: u64,
    ) {
        self.pending.insert(
            (node, lookup),
            PendingLookup {
                row: self.lookups.len(),
                started: now.0,
            },
        );
        self.lookups.push(LookupRow {
            time_s: now.0 as f64 / 1e6,
            node,
            kind,
            record: hex(record),
            finished: false,
            success: false,
            latency_ms: f64::NAN,
            hops: 0,
            queries: 0,
        });
    }

    /// A record was written by `writer` at `now`.
    pub fn record_written(&mut self, now: SimTime, writer: u32, record: u64) {
        if self.record_state.contains_key(&record) {
            return;
        }
        let row = self.records.len();
        self.records.push(RecordRow {
            record: hex(record),
            writer,
            written_s: now.0 as f64 / 1e6,
            first_replica_ms: f64::NAN,
            last_replica_ms: f64::NAN,
            replicas_ever: 0,
            replicas_after_window: None,
            replicas_end: 0,
            replicas_end_with_down: 0,
            replica_delays_ms: Vec::new(),
        });
        self.record_state.insert(
            record,
            RecordState {
                row,
                written: now.0,
                ..RecordState::default()
            },
        );
    }

    /// Records an attacker group aims at: GETs of them are also counted apart.
    pub fn add_targets(&mut self, records: impl IntoIterator<Item = u64>) {
        self.targets.extend(records.into_iter().map(hex));
    }

    /// Liar detection as measured: for each n, among the (honest challenger, peer) pairs whose
    /// peer `is_liar` and that ran at least n challenges, the fraction that saw a failure among
    /// the first n (compare `1 − s^n`, PROTOCOL.md §9). Stops where fewer than `min_pairs`
    /// pairs remain, so the tail is not one pair's luck.
    pub fn detection_curve(
        &self,
        is_liar: impl Fn(&SocketAddr) -> bool,
        min_pairs: usize,
    ) -> Vec<(u32, f64)> {
        let runs: Vec<&Vec<bool>> = self
            .challenges
            .iter()
            .filter(|((_, peer), _)| is_liar(peer))
            .map(|(_, outcomes)| outcomes)
            .collect();
        let mut curve = Vec::new();
        for n in 1u32.. {
            let long: Vec<&&Vec<bool>> = runs.iter().filter(|o| o.len() >= n as usize).collect();
            if long.len() < min_pairs.max(1) {
                break;
            }
            let caught = long
                .iter()
                .filter(|o| o[..n as usize].iter().any(|passed| !passed))
                .count();
            curve.push((n, caught as f64 / long.len() as f64));
        }
        curve
    }

    /// A partition was healed at `now`.
    pub fn healed(&mut self, now: SimTime) {
        self.last_heal = Some(now.0);
    }

    /// A lookup finished.
    pub fn lookup_done(
        &mut self,
        now: SimTime,
        node: u32,
        lookup: u64,
        found: bool,
        hops: u32,
        queries: u32,
    ) {
        if let Some(p) = self.pending.remove(&(node, lookup)) {
            let row = &mut self.lookups[p.row];
            row.finished = true;
            row.success = found;
            row.latency_ms = now.0.saturating_sub(p.started) as f64 / 1e3;
            row.hops = hops;
            row.queries = queries;
        }
    }

    /// A node stored a record.
    pub fn stored(&mut self, now: SimTime, node: u32, record: u64) {
        self.held_by.entry(node).or_default().insert(record);
        let target = self.replicas_target;
        if !self.record_state.contains_key(&record) {
            self.foreign_stored += 1;
        }
        if let Some(s) = self.record_state.get_mut(&record) {
            s.holders.insert(node);
            if s.ever.insert(node) && s.delays_us.len() < target {
                s.delays_us.push(now.0.saturating_sub(s.written));
            }
        }
    }

    /// A storage challenge `node` sent `peer` ended.
    pub fn challenged(&mut self, node: u32, peer: SocketAddr, passed: bool) {
        self.challenges
            .entry((node, peer))
            .or_default()
            .push(passed);
    }

    /// A node dropped a record; `pushed_out` when a newcomer took its place in a full store.
    pub fn forgotten(&mut self, node: u32, record: u64, pushed_out: bool) {
        if pushed_out && self.record_state.contains_key(&record) {
            self.honest_records_evicted += 1;
        }
        if let Some(set) = self.held_by.get_mut(&node) {
            set.remove(&record);
        }
        if let Some(s) = self.record_state.get_mut(&record) {
            s.holders.remove(&node);
        }
    }

    /// A node restarted with an empty store: it holds nothing any more.
    pub fn node_wiped(&mut self, node: u32) {
        for record in self.held_by.remove(&node).unwrap_or_default() {
            if let Some(s) = self.record_state.get_mut(&record) {
                s.holders.remove(&node);
            }
        }
    }

    /// Counts live holders of a record now (for `put_replicas_mean`).
    pub fn check_replicas(&mut self, record: u64, is_up: impl Fn(u32) -> bool) {
        if let Some(s) = self.record_state.get(&record) {
            let live = s.holders.iter().filter(|&&n| is_up(n)).count() as u32;
            self.records[s.row].replicas_after_window = Some(live);
        }
    }

    /// Finishes the record rows at the end of the run.
    pub fn finish(&mut self, is_up: impl Fn(u32) -> bool) {
        for s in self.record_state.values() {
            let row = &mut self.records[s.row];
            row.replicas_ever = s.ever.len() as u32;
            row.replicas_end = s.holders.iter().filter(|&&n| is_up(n)).count() as u32;
            row.replicas_end_with_down = s.holders.len() as u32;
            row.first_replica_ms = s.delays_us.first().map_or(f64::NAN, |&d| d as f64 / 1e3);
            row.last_replica_ms = s.delays_us.last().map_or(f64::NAN, |&d| d as f64 / 1e3);
            row.replica_delays_ms = s.delays_us.iter().map(|&d| d as f64 / 1e3).collect();
        }
    }

    /// Checks where the records sit at the end: `live` holds `(NodeId, node index)` of every
    /// node that is up. A record some node holds counts as misplaced when none of its
    /// `replicas_target` closest live nodes (by `RecordId XOR NodeId`) is among its holders.
    pub fn placement(&mut self, live: &[(u64, u32)]) {
        let n = self.replicas_target.min(live.len());
        let mut closest: Vec<(u64, u32)> = Vec::with_capacity(live.len());
        let mut misplaced = 0;
        for (&record, s) in &self.record_state {
            if s.holders.is_empty() {
                continue;
            }
            closest.clear();
            closest.extend(live.iter().map(|&(id, node)| (id ^ record, node)));
            if n < closest.len() {
                closest.select_nth_unstable(n);
            }
            if !closest[..n]
                .iter()
                .any(|(_, node)| s.holders.contains(node))
            {
                misplaced += 1;
            }
        }
        self.misplaced = Some(misplaced);
    }

    /// The named metrics derived from the rows (workload part).
    pub fn metrics(&self, end: SimTime, out: &mut BTreeMap<String, f64>) {
        self.joins.metrics(out);
        let gets: Vec<&LookupRow> = self.lookups.iter().filter(|l| l.kind == "get").collect();
        out.insert("gets".into(), gets.len() as f64);
        out.insert(
            "puts".into(),
            self.lookups.iter().filter(|l| l.kind == "put").count() as f64,
        );
        out.insert("get_success_rate".into(), success_rate(&gets, end));
        let after_heal = self.last_heal.map_or(f64::NAN, |heal| {
            let heal_s = heal as f64 / 1e6;
            let later: Vec<&LookupRow> = gets
                .iter()
                .copied()
                .filter(|l| l.time_s >= heal_s)
                .collect();
            success_rate(&later, end)
        });
        out.insert("get_success_rate_after_heal".into(), after_heal);
        let targeted: Vec<&LookupRow> = gets
            .iter()
            .copied()
            .filter(|l| self.targets.contains(&l.record))
            .collect();
        out.insert(
            "targeted_get_success_rate".into(),
            success_rate(&targeted, end),
        );
        let mut lat: Vec<f64> = gets
            .iter()
            .filter(|l| l.success)
            .map(|l| l.latency_ms)
            .collect();
        out.insert("get_latency_p50_ms".into(), quantile(&mut lat, 0.5));
        out.insert("get_latency_p99_ms".into(), quantile(&mut lat, 0.99));
        out.insert(
            "lookup_hops_mean".into(),
            mean(
                gets.iter()
                    .filter(|l| l.finished)
                    .map(|l| f64::from(l.hops)),
            ),
        );
        out.insert(
            "put_replicas_mean".into(),
            mean(
                self.records
                    .iter()
                    .filter_map(|r| r.replicas_after_window.map(f64::from)),
            ),
        );
        let mut delays: Vec<f64> = self
            .record_state
            .values()
            .flat_map(|s| s.delays_us.iter().map(|&d| d as f64 / 1e3))
            .collect();
        out.insert("propagation_p50_ms".into(), quantile(&mut delays, 0.5));
        out.insert("propagation_p90_ms".into(), quantile(&mut delays, 0.9));
        out.insert("records_written".into(), self.records.len() as f64);
        let completed: BTreeSet<&str> = self
            .lookups
            .iter()
            .filter(|l| l.kind == "put" && l.finished)
            .map(|l| l.record.as_str())
            .collect();
        let (done, interrupted): (Vec<&RecordRow>, Vec<&RecordRow>) = self
            .records
            .iter()
            .partition(|r| completed.contains(r.record.as_str()));
        out.insert(
            "records_lost".into(),
            done.iter()
                .filter(|r| r.replicas_end_with_down == 0)
                .count() as f64,
        );
        out.insert("writes_interrupted".into(), interrupted.len() as f64);
        out.insert(
            "records_unavailable".into(),
            self.records.iter().filter(|r| r.replicas_end == 0).count() as f64,
        );
        out.insert(
            "records_misplaced".into(),
            self.misplaced.map_or(f64::NAN, |m| m as f64),
        );
        let mut rel = self.last_reliability.clone();
        out.insert("honest_reliability_median".into(), quantile(&mut rel, 0.5));
        out.insert("honest_reliability_entries".into(), rel.len() as f64);
        out.insert("active_peers_mean".into(), self.last_active_mean);
        let outcomes = self.challenges.values().flatten();
        let (sent, failed) = outcomes.fold((0u64, 0u64), |(n, f), &passed| {
            (n + 1, f + u64::from(!passed))
        });
        out.insert("challenges_sent".into(), sent as f64);
        out.insert("challenges_failed".into(), failed as f64);
        out.insert(
            "honest_records_evicted".into(),
            self.honest_records_evicted as f64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(c: &mut Collector, t_s: u64, id: u64, found: bool) {
        c.lookup_started(SimTime(t_s * 1_000_000), 0, id, "get", 7);
        c.lookup_done(SimTime(t_s * 1_000_000 + 1), 0, id, found, 1, 1);
    }

    #[test]
    fn success_after_heal_counts_only_gets_started_after_it() {
        let mut c = Collector::new(5);
        get(&mut c, 10, 1, false);
        get(&mut c, 20, 2, false);
        let mut m = BTreeMap::new();
        c.metrics(SimTime(100_000_000), &mut m);
        assert!(
            m["get_success_rate_after_heal"].is_nan(),
            "no heal, no value"
        );
        c.healed(SimTime(30_000_000));
        get(&mut c, 30, 3, true);
        get(&mut c, 40, 4, true);
        get(&mut c, 50, 5, false);
        c.metrics(SimTime(100_000_000), &mut m);
        assert_eq!(m["get_success_rate"], 0.4);
        assert!(m["targeted_get_success_rate"].is_nan());
        c.add_targets([7]);
        c.metrics(SimTime(100_000_000), &mut m);
        assert_eq!(m["targeted_get_success_rate"], 0.4);
        assert!((m["get_success_rate_after_heal"] - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn challenges_and_capacity_evictions_of_workload_records_are_counted() {
        let mut c = Collector::new(5);
        let peer: SocketAddr = "10.0.0.1:4000".parse().expect("address");
        c.challenged(0, peer, true);
        c.challenged(0, peer, false);
        c.challenged(1, peer, false);
        c.record_written(SimTime(0), 0, 7);
        c.stored(SimTime(1), 2, 7);
        c.stored(SimTime(1), 2, 8);
        c.forgotten(2, 7, true);
        c.forgotten(2, 8, true); // not a workload record
        c.stored(SimTime(2), 3, 7);
        c.forgotten(3, 7, false); // expired
        let mut m = BTreeMap::new();
        c.metrics(SimTime(10), &mut m);
        assert_eq!(m["challenges_sent"], 3.0);
        assert_eq!(m["challenges_failed"], 2.0);
        assert_eq!(m["honest_records_evicted"], 1.0);
        assert_eq!(c.challenges[&(0, peer)], vec![true, false]);
        // Pairs (0, peer): pass, fail; (1, peer): fail. n=1: 1 of 2 caught; n=2: 1 of 1.
        assert_eq!(c.detection_curve(|_| true, 1), vec![(1, 0.5), (2, 1.0)]);
        assert_eq!(c.detection_curve(|_| true, 2), vec![(1, 0.5)]);
        assert!(c.detection_curve(|_| false, 1).is_empty());
    }

    fn misplaced(c: &Collector) -> f64 {
        let mut out = BTreeMap::new();
        c.metrics(SimTime(0), &mut out);
        out["records_misplaced"]
    }

    #[test]
    fn a_record_is_misplaced_when_none_of_its_closest_live_nodes_holds_it() {
        let mut c = Collector::new(2);
        // Record 0b0000: live nodes by distance are node 0 (id 1), node 1 (id 2), node 2 (id 8).
        let live = [(1u64, 0u32), (2, 1), (8, 2)];
        c.record_written(SimTime(0), 0, 0);
        c.stored(SimTime(1), 2, 0);
        c.placement(&live);
        assert_eq!(misplaced(&c), 1.0, "held only by the third closest");
        c.stored(SimTime(2), 1, 0);
        c.placement(&live);
        assert_eq!(misplaced(&c), 0.0, "the second closest holds it");
        // A record nobody holds is lost, not misplaced.
        c.record_written(SimTime(3), 0, 16);
        c.placement(&live);
        assert_eq!(misplaced(&c), 0.0);
        // Fewer live nodes than REPLICAS: all of them are the closest, and none holds it.
        c.placement(&[(4, 3)]);
        assert_eq!(misplaced(&c), 1.0, "its holders are down");
    }

    #[test]
    fn per_op_columns_name_every_op_in_order() {
        for (i, op) in OPS.iter().enumerate() {
            assert_eq!(DATAGRAM_COLUMNS[i], format!("datagrams_delivered_{op}"));
            assert_eq!(BYTE_COLUMNS[i], format!("bytes_delivered_{op}"));
        }
    }
}
