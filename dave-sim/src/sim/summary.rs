//! Summary: turns the finished stage and what the drivers counted into a [`RunOutput`]:
//! named metrics, expectations checked against them, warnings about configured effects that
//! never happened, traffic by op and the CSV tables.
//!
//! The theory section is left empty: the report's models fill it from the finished output
//! (`report::from_run::theory`), so the simulator does not depend on the report.

use std::collections::BTreeMap;
use std::time::Instant;

use super::Stage;
use super::host::ScenarioHost;
use super::output::{self, ExpectationResult, FaultReport, OpTraffic, RunOutput, Summary, Timing};
use crate::adversary::driver::{GroupReport, LiarCurve, VictimTrack};
use crate::engine::{NetStats, SimTime};
use crate::network::{DropReason, OPS};
use crate::scenario::Scenario;

/// What the drivers counted, beyond the collector and the engine.
pub struct Tally {
    /// Churn leaves.
    pub churn_leaves: u64,
    /// Churn rejoins.
    pub churn_joins: u64,
    /// Writes the writer's node could not start.
    pub writes_skipped: u64,
    /// One report per scenario fault.
    pub faults: Vec<FaultReport>,
    /// Metrics of the attacks (counters, victims' tables).
    pub attack_metrics: BTreeMap<String, f64>,
    /// What each attacker group did.
    pub groups: Vec<GroupReport>,
    /// Each eclipse victim's table over time.
    pub victims: Vec<VictimTrack>,
    /// Liar detection as measured, when the run has storage liars.
    pub liar_detection: Option<LiarCurve>,
}

/// Builds the output of a run that reached its end.
pub fn finish<H: ScenarioHost>(stage: Stage<'_, H>, tally: Tally, started: Instant) -> RunOutput {
    let Stage {
        scenario: s,
        seed,
        engine,
        crypto,
        mut collector,
        end,
        join_up: _,
        bucket_size: _,
    } = stage;
    collector.finish(|n| engine.is_up(n));
    // Where the records sit among the honest nodes that are up (`records_misplaced`).
    let live: Vec<(u64, u32)> = (0..s.nodes.count)
        .filter(|&i| engine.is_up(i))
        .filter_map(|i| engine.host(i).and_then(|h| h.node_id()).map(|id| (id, i)))
        .collect();
    collector.placement(&live);
    collector.joins.finish(end);
    let stats = engine.stats().clone();
    let mut metrics = BTreeMap::new();
    collector.metrics(SimTime(end), &mut metrics);
    metrics.insert("events".into(), engine.events_processed() as f64);
    net_metrics(&stats, &mut metrics);
    metrics.insert("signatures_made".into(), crypto.signed() as f64);
    metrics.insert("verifications_computed".into(), crypto.computed() as f64);
    metrics.insert("verifications_cached".into(), crypto.cached() as f64);
    metrics.insert("churn_leaves".into(), tally.churn_leaves as f64);
    metrics.insert("churn_joins".into(), tally.churn_joins as f64);
    let up = (0..s.nodes.count).filter(|&i| engine.is_up(i)).count();
    metrics.insert("nodes_up_end".into(), up as f64);
    metrics.extend(tally.attack_metrics.iter().map(|(k, v)| (k.clone(), *v)));

    let warnings = warnings::<H>(s, &tally, &stats, engine.network().has_loss());
    let expectations = expectations(s, &metrics);
    let mut effective = s.clone();
    effective.seed = seed;
    let summary = Summary {
        scenario: s.name.clone(),
        seed,
        version: env!("CARGO_PKG_VERSION").to_string(),
        trace_hash: engine.trace().hash_hex(),
        virtual_duration_s: end as f64 / 1e6,
        passed: expectations.iter().all(|e| e.pass),
        metrics,
        datagrams_dropped: DropReason::ALL
            .iter()
            .map(|r| (r.name().to_string(), stats.dropped[r.index()]))
            .collect(),
        traffic: traffic(&stats),
        expectations,
        theory: Vec::new(),
        faults: tally.faults,
        adversaries: tally.groups,
        warnings,
        scenario_config: effective,
    };
    let wall = started.elapsed().as_secs_f64();
    let timing = Timing {
        wall_s: wall,
        events_per_wall_s: engine.events_processed() as f64 / wall.max(1e-9),
        datagrams_per_wall_s: stats.delivered as f64 / wall.max(1e-9),
        peak_rss_bytes: output::peak_rss_bytes(),
        datagram_buffers: engine.buffers_allocated() as u64,
    };
    let held_distances = (0..s.nodes.count)
        .filter_map(|i| engine.host(i))
        .flat_map(|h| h.held_distances())
        .collect();
    RunOutput {
        summary,
        timing,
        samples: collector.samples,
        records: collector.records,
        lookups: collector.lookups,
        peers: collector.peers,
        join_curve: collector.joins.curve_band(),
        joins: collector.joins.rows(),
        held_distances,
        victims: tally.victims,
        liar_detection: tally.liar_detection,
        trace: engine.trace().clone(),
    }
}

/// The network's counters as metrics.
fn net_metrics(stats: &NetStats, metrics: &mut BTreeMap<String, f64>) {
    metrics.insert("datagrams_delivered".into(), stats.delivered as f64);
    metrics.insert("datagrams_dropped".into(), stats.dropped_total() as f64);
    metrics.insert("datagrams_duplicated".into(), stats.duplicated as f64);
    metrics.insert("bytes_delivered".into(), stats.bytes_delivered as f64);
    for r in DropReason::ALL {
        metrics.insert(
            format!("datagrams_dropped_{}", r.name()),
            stats.dropped[r.index()] as f64,
        );
    }
}

/// Configured effects that never happened, so a scenario that tests nothing says so.
fn warnings<H: ScenarioHost>(
    s: &Scenario,
    tally: &Tally,
    stats: &NetStats,
    has_loss: bool,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for (i, f) in tally.faults.iter().enumerate() {
        if f.fired == 0 {
            warnings.push(format!("fault {i} ({} at {}) never fired", f.kind, f.at));
        }
    }
    if has_loss && stats.dropped[DropReason::Loss.index()] == 0 {
        warnings.push("network loss is configured but no datagram was lost".to_string());
    }
    if s.network.duplication.0 > 0.0 && stats.duplicated == 0 {
        warnings.push("duplication is configured but no datagram was duplicated".to_string());
    }
    if s.churn.as_ref().is_some_and(|c| c.fraction.0 > 0.0) && tally.churn_leaves == 0 {
        warnings.push("churn is configured but no node left".to_string());
    }
    if s.workload.is_some() && !H::SUPPORTS_WORKLOAD {
        warnings.push("the workload was ignored: this host type cannot read or write".to_string());
    }
    if tally.writes_skipped > 0 {
        warnings.push(format!(
            "{} writes were skipped (writer down or record refused)",
            tally.writes_skipped
        ));
    }
    warnings
}

/// Each `expect` bound against its measured metric (a missing metric is NaN and fails).
fn expectations(s: &Scenario, metrics: &BTreeMap<String, f64>) -> Vec<ExpectationResult> {
    s.expect
        .iter()
        .map(|(name, bound)| {
            let measured = metrics.get(&name.0).copied().unwrap_or(f64::NAN);
            ExpectationResult {
                metric: name.0.clone(),
                bound: bound.to_string(),
                measured,
                pass: bound.holds(measured),
            }
        })
        .collect()
}

/// Delivered datagrams and bytes by op.
fn traffic(stats: &NetStats) -> BTreeMap<String, OpTraffic> {
    OPS.iter()
        .enumerate()
        .map(|(i, op)| {
            (
                op.to_string(),
                OpTraffic {
                    datagrams: stats.delivered_by_op[i],
                    bytes: stats.bytes_by_op[i],
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::host::EchoHost;
    use crate::sim::testing::{scenario, stage};

    const S: &str = r#"{
      "name": "sum", "duration": "10s",
      "network": { "latency": { "constant": "10ms" }, "loss": { "bernoulli": 0.5 } },
      "nodes": { "count": 4 },
      "edges": { "count": 2, "seeds": 2 },
      "churn": { "fraction": 1.0, "session": { "exponential": { "mean": "5s" } },
                 "downtime": { "exponential": { "mean": "2s" } } },
      "workload": { "writers": 1, "put_every": "5s", "readers": 1, "get_every": "5s", "work_bits": 16 },
      "expect": { "nodes_up_end": "== 0", "churn_joins": ">= 1", "get_success_rate": "> 0" }
    }"#;

    fn tally(fired: u64, leaves: u64) -> Tally {
        Tally {
            churn_leaves: leaves,
            churn_joins: 0,
            writes_skipped: 3,
            faults: vec![
                FaultReport {
                    kind: "crash".into(),
                    at: "1s".into(),
                    fired,
                },
                FaultReport {
                    kind: "heal".into(),
                    at: "2s".into(),
                    fired,
                },
            ],
            attack_metrics: BTreeMap::new(),
            groups: Vec::new(),
            victims: Vec::new(),
            liar_detection: None,
        }
    }

    #[test]
    fn every_configured_effect_that_never_happened_is_warned_about() {
        let s = scenario(S);
        let w = warnings::<EchoHost>(&s, &tally(0, 0), &NetStats::default(), true);
        assert_eq!(
            w,
            vec![
                "fault 0 (crash at 1s) never fired",
                "fault 1 (heal at 2s) never fired",
                "network loss is configured but no datagram was lost",
                "churn is configured but no node left",
                "the workload was ignored: this host type cannot read or write",
                "3 writes were skipped (writer down or record refused)",
            ]
        );
        let mut stats = NetStats::default();
        stats.dropped[DropReason::Loss.index()] = 1;
        let w = warnings::<EchoHost>(&s, &tally(1, 1), &stats, true);
        assert_eq!(w.len(), 2, "{w:?}");
    }

    #[test]
    fn expectations_hold_fail_or_miss_their_metric() {
        let s = scenario(S);
        let out = finish(stage::<EchoHost>(&s), tally(1, 0), Instant::now());
        let pass: BTreeMap<&str, bool> = out
            .summary
            .expectations
            .iter()
            .map(|e| (e.metric.as_str(), e.pass))
            .collect();
        assert!(pass["nodes_up_end"], "nothing was started");
        assert!(!pass["churn_joins"]);
        assert!(!pass["get_success_rate"], "a metric with no data fails");
        assert!(!out.summary.passed);
        assert_eq!(out.summary.metrics["datagrams_delivered"], 0.0);
        assert_eq!(out.summary.traffic.len(), OPS.len());
        assert!(out.summary.theory.is_empty(), "the report fills it");
    }
}
