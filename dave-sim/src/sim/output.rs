//! What a run produces, as plain data: the report writers (`results`, and the charts and
//! report of `report/`) consume a [`RunOutput`] and nothing else.
//!
//! Decision: `summary.json` holds only what is a pure function of (scenario, seed, version),
//! so two runs give byte-identical files; wall-clock measures (wall time, events/s,
//! datagrams/s, peak RSS) go to a separate `timing.json` ([`Timing`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::adversary::driver::{GroupReport, LiarCurve, VictimTrack};
use crate::engine::trace::Trace;
use crate::metrics::collector::{LookupRow, PeerRow, RecordRow, SampleRow};
use crate::scenario::Scenario;

/// Everything a run produced.
pub struct RunOutput {
    /// Deterministic summary (`summary.json`).
    pub summary: Summary,
    /// Wall-clock measures (`timing.json`).
    pub timing: Timing,
    /// Time series (`timeseries.csv`), one row per sample.
    pub samples: Vec<SampleRow>,
    /// Per record (`records.csv`).
    pub records: Vec<RecordRow>,
    /// Per lookup (`lookups.csv`).
    pub lookups: Vec<LookupRow>,
    /// Sampled peer tables (`peers.csv`).
    pub peers: Vec<PeerRow>,
    /// XOR distance of every (live node, stored record) pair at the end, for the storage chart.
    pub held_distances: Vec<u64>,
    /// Each eclipse victim's honest share of its active table over time, for the eclipse chart.
    pub victims: Vec<VictimTrack>,
    /// Liar detection as measured (storage-liar runs only), for the liar-detection chart.
    pub liar_detection: Option<LiarCurve>,
    /// `(seconds since a start, p10, p50, p90)` of table sizes after every node start.
    pub join_curve: Vec<(f64, f64, f64, f64)>,
    /// Every measured start (`joins.csv`).
    pub joins: Vec<crate::metrics::join::JoinRow>,
    /// The trace (hash and checkpoints), for determinism checks.
    pub trace: Trace,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Root seed used.
    pub seed: u64,
    /// dave-sim version.
    pub version: String,
    /// BLAKE3 trace hash (hex).
    pub trace_hash: String,
    /// Virtual time simulated, s.
    pub virtual_duration_s: f64,
    /// Whether every expectation held.
    pub passed: bool,
    /// Every named metric (NaN, i.e. "no data", is written as null).
    pub metrics: BTreeMap<String, f64>,
    /// Drops by reason.
    pub datagrams_dropped: BTreeMap<String, u64>,
    /// Delivered traffic by op.
    pub traffic: BTreeMap<String, OpTraffic>,
    /// Each `expect` bound with its measured value.
    pub expectations: Vec<ExpectationResult>,
    /// Each analytic model that applies to the run, its prediction next to the measured value
    /// (issue 5: "The summary reports the measured value next to the predicted one"). Computed
    /// by `report::from_run::theory` from this output (the run leaves it empty), the same rows report.md and
    /// theory.json show, so it is as deterministic as the rest of the summary.
    pub theory: Vec<TheoryRow>,
    /// Each configured fault and how often it fired.
    pub faults: Vec<FaultReport>,
    /// What each attacker group did (empty without `adversaries`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adversaries: Vec<GroupReport>,
    /// Faults that never fired and other things a reader should know.
    pub warnings: Vec<String>,
    /// The scenario as run (after overrides and `--seed`).
    pub scenario_config: Scenario,
}

/// A model's prediction next to the simulation's measurement of the same quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TheoryRow {
    /// What is compared, with its unit.
    pub quantity: String,
    /// The model and its parameters.
    pub model: String,
    /// The model's value.
    pub predicted: f64,
    /// The run's value, `None` if the run has no data for it.
    pub measured: Option<f64>,
    /// `measured / predicted`, `None` without a measurement or when the model predicts zero.
    pub ratio: Option<f64>,
}

/// Delivered datagrams and bytes of one op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OpTraffic {
    /// Datagrams.
    pub datagrams: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One `expect` bound.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectationResult {
    /// Metric name.
    pub metric: String,
    /// The bound as written.
    pub bound: String,
    /// The measured value (null if no data).
    pub measured: f64,
    /// Whether it held.
    pub pass: bool,
}

/// One configured fault.
#[derive(Debug, Clone, Serialize)]
pub struct FaultReport {
    /// partition, heal, crash, restart.
    pub kind: String,
    /// When.
    pub at: String,
    /// How often it took effect: datagrams a partition blocked, nodes crashed or restarted.
    /// Heals have nothing to count and never warn.
    pub fired: u64,
}

/// `timing.json`: wall-clock measures, excluded from determinism.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Wall time of the run, s.
    pub wall_s: f64,
    /// Engine events per wall second.
    pub events_per_wall_s: f64,
    /// Delivered datagrams per wall second.
    pub datagrams_per_wall_s: f64,
    /// Peak resident memory of the process (VmHWM), bytes; 0 if unknown.
    pub peak_rss_bytes: u64,
    /// Datagram buffers the pool allocated (peak datagrams in flight).
    pub datagram_buffers: u64,
}

/// Peak resident set size from `/proc/self/status` (Linux), or 0.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
