//! Adapter from a simulator run ([`RunOutput`]) to the report's plain input ([`ReportInput`]).
//!
//! This is the only file of `report/` that knows the simulator's types, so the charts stay
//! testable with synthetic data and the simulator can evolve its output with one place to follow.
//!
//! Decisions where the run's data is coarser than a chart would like:
//! - Reliability: `peers.csv` keeps, per sampled node, the mean score it holds of its honest
//!   peers and of its peers at attacker addresses; each band is over those per-node means.
//! - Eclipse: the attackers' share of a victim's active table is one minus the honest share
//!   the adversary driver sampled (edges count as the honest peers they are).
//! - Traffic by op over time: datagrams and bytes per second come from the cumulative per-op
//!   counters of consecutive samples (`timeseries.csv` `datagrams_delivered_<op>`, `bytes_delivered_<op>`), so both
//!   are exact over each sample interval.
//! - Propagation: a record's curve is the share of its `REPLICAS` target holding it, from the
//!   delays of its first `REPLICAS` store events; records written too close to the end for the
//!   collector's propagation window are left out rather than counted as failures.
//! - Storage: distances are those of every record every live node holds at the end of the run,
//!   divided by the number of live nodes then.

use std::collections::BTreeMap;

use dave_core::config::Config;

use super::markdown::theory_rows;
use super::{
    ChartMeta, EclipseData, ExpectationRow, HopModel, JoinData, LookupData, LookupRow, OpSeries,
    PropagationData, ReliabilityData, ReliabilitySnapshot, ReportInput, StorageData, TheoryRow,
    TrafficData, TrafficPoint, VictimSeries,
};
use crate::metrics::collector::{PROPAGATION_WINDOW_US, RecordRow, SampleRow, settled};
use crate::network::OPS;
use crate::sim::RunOutput;

/// A finite metric of the summary, if the run measured it.
fn metric(summary: &crate::sim::Summary, name: &str) -> Option<f64> {
    summary.metrics.get(name).copied().filter(|v| v.is_finite())
}

/// The theory-against-measurement rows of a finished run, for summary.json's `theory` section:
/// the same [`theory_rows`] report.md and theory.json show, from the same adapted input.
pub fn theory(output: &RunOutput) -> Vec<TheoryRow> {
    theory_rows(&report_input(output, String::new()))
}

/// Builds the report input of a finished run. `reproduce_command` is the shell command that
/// repeats it (the CLI knows the file name and flags; the output does not).
pub fn report_input(output: &RunOutput, reproduce_command: String) -> ReportInput {
    let summary = &output.summary;
    let scenario = &summary.scenario_config;
    let defaults = Config::default();
    let config = &scenario.nodes.config;
    let nodes = u64::from(scenario.nodes.count);
    let replicas = config.replicas.map_or(defaults.replicas as u64, u64::from);
    let k = config.k.map_or(defaults.k as u64, u64::from);
    let duration_s = scenario.duration.as_micros() as f64 / 1e6;
    let end = crate::engine::SimTime(scenario.duration.as_micros());
    ReportInput {
        meta: ChartMeta {
            scenario: summary.scenario.clone(),
            seed: summary.seed,
        },
        propagation: propagation(output, replicas.min(nodes.max(1)), duration_s),
        lookups: LookupData {
            rows: output
                .lookups
                .iter()
                .filter(|l| l.kind == "get" && settled(l, end))
                .map(|l| LookupRow {
                    issued_at_s: l.time_s,
                    success: l.success,
                    latency_ms: l.latency_ms,
                    hops: l.hops,
                })
                .collect(),
            duration_s,
            hop_model: Some(HopModel {
                nodes,
                k,
                alpha: config.alpha.map_or(defaults.alpha as u64, u64::from),
                referrals: config
                    .referrals
                    .map_or(defaults.referrals as u64, u64::from),
                replicas,
            }),
        },
        reliability: ReliabilityData {
            snapshots: reliability(output),
            reliability_min: Some(
                config
                    .reliability_min
                    .map_or(defaults.reliability_min, |p| p.0),
            ),
            detection: output
                .liar_detection
                .as_ref()
                .map(|curve| super::LiarDetection {
                    kept: curve.kept,
                    measured: curve.measured.clone(),
                }),
        },
        eclipse: eclipse(output),
        traffic: traffic(output),
        join: JoinData {
            band: output.join_curve.clone(),
            p50_ms: metric(summary, "join_time_p50_ms"),
            p90_ms: metric(summary, "join_time_p90_ms"),
            measured: metric(summary, "joins_measured").map_or(0, |n| n as u64),
        },
        storage: StorageData {
            // Holdings are taken from live nodes at the end, so "per node" means per live node.
            nodes: summary
                .metrics
                .get("nodes_up_end")
                .filter(|n| n.is_finite() && **n >= 0.0)
                .map_or(nodes, |n| *n as u64),
            held_distances: Some(output.held_distances.clone()),
            replicas: Some(replicas),
        },
        expectations: summary
            .expectations
            .iter()
            .map(|e| ExpectationRow {
                metric: e.metric.clone(),
                bound: e.bound.clone(),
                measured: e.measured.is_finite().then_some(e.measured),
                passed: e.pass,
            })
            .collect(),
        reproduce_command,
    }
}

/// Per-record curves from `records.csv` data.
fn propagation(output: &RunOutput, target: u64, duration_s: f64) -> PropagationData {
    let window_s = PROPAGATION_WINDOW_US as f64 / 1e6;
    let followed = |r: &RecordRow| r.written_s + window_s <= duration_s;
    let written_late = output.records.iter().filter(|r| !followed(r)).count();
    let records = output
        .records
        .iter()
        .filter(|r| followed(r))
        .map(|r| {
            let mut delays: Vec<f64> = r
                .replica_delays_ms
                .iter()
                .copied()
                .filter(|d| d.is_finite())
                .collect();
            delays.sort_by(f64::total_cmp);
            delays
                .iter()
                .enumerate()
                .map(|(i, d)| (d / 1000.0, ((i + 1) as f64 / target as f64).min(1.0)))
                .collect()
        })
        .collect();
    PropagationData {
        records,
        written_late,
        gossip: None,
    }
}

/// Attackers' share of each eclipse victim's active table (one minus the honest share the
/// run sampled), with the earliest eclipse group's start.
fn eclipse(output: &RunOutput) -> EclipseData {
    let scenario = &output.summary.scenario_config;
    EclipseData {
        attack_start_s: output
            .victims
            .iter()
            .map(|v| scenario.adversaries[v.group as usize].start.as_micros() as f64 / 1e6)
            .reduce(f64::min),
        victims: output
            .victims
            .iter()
            .map(|v| VictimSeries {
                label: format!("node {} ({})", v.node, v.addr),
                points: v.honest_share.iter().map(|&(t, h)| (t, 1.0 - h)).collect(),
            })
            .collect(),
    }
}

/// Per sample time, the mean score each sampled live node holds of its peers.
fn reliability(output: &RunOutput) -> Vec<ReliabilitySnapshot> {
    let mut by_time: BTreeMap<u64, ReliabilitySnapshot> = BTreeMap::new();
    for row in output.peers.iter().filter(|p| p.up) {
        // Sample times are exact multiples of `sample_every`; keying by microseconds groups them
        // without comparing floats.
        let key = (row.time_s * 1e6).round() as u64;
        let snapshot = by_time.entry(key).or_insert_with(|| ReliabilitySnapshot {
            t_s: row.time_s,
            ..ReliabilitySnapshot::default()
        });
        if row.reliability_mean.is_finite() {
            snapshot.of_honest.push(row.reliability_mean);
        }
        if row.reliability_mean_adversarial.is_finite() {
            snapshot
                .of_adversarial
                .push(row.reliability_mean_adversarial);
        }
    }
    by_time.into_values().collect()
}

/// Rates per node per second by op, from the cumulative counters of consecutive samples.
fn traffic(output: &RunOutput) -> TrafficData {
    TrafficData {
        ops: op_series(&output.samples),
        drops: output
            .summary
            .datagrams_dropped
            .iter()
            .map(|(reason, count)| (reason.clone(), *count))
            .collect(),
    }
}

/// One series per op that carried traffic: datagrams and bytes delivered per live node per
/// second over each sample interval, from the differences of the cumulative per-op counters.
fn op_series(samples: &[SampleRow]) -> Vec<OpSeries> {
    let mut ops: Vec<OpSeries> = OPS
        .iter()
        .map(|op| OpSeries {
            op: op.to_uppercase(),
            points: Vec::new(),
        })
        .collect();
    let mut previous: Option<(f64, &[u64], &[u64])> = None;
    for sample in samples.iter().filter(|s| s.class == "honest") {
        let (datagrams, bytes) = (&sample.datagrams_by_op[..], &sample.bytes_by_op[..]);
        if let Some((t0, datagrams_before, bytes_before)) = &previous {
            let dt = sample.time_s - t0;
            let nodes = f64::from(sample.nodes_up.max(1));
            if dt > 0.0 {
                for (i, series) in ops.iter_mut().enumerate() {
                    series.points.push(TrafficPoint {
                        t_s: sample.time_s,
                        datagrams_per_node_s: datagrams[i].saturating_sub(datagrams_before[i])
                            as f64
                            / dt
                            / nodes,
                        bytes_per_node_s: bytes[i].saturating_sub(bytes_before[i]) as f64
                            / dt
                            / nodes,
                    });
                }
            }
        }
        previous = Some((sample.time_s, datagrams, bytes));
    }
    ops.retain(|s| s.points.iter().any(|p| p.datagrams_per_node_s > 0.0));
    ops
}

/// The shell command that repeats a run: `dave-sim run FILE --seed S [--set P=V]... --out DIR`,
/// with arguments quoted for a POSIX shell where needed.
pub fn reproduce_command(
    file: &std::path::Path,
    seed: u64,
    set: &[String],
    out: &std::path::Path,
) -> String {
    let mut parts = vec![
        "dave-sim".to_owned(),
        "run".to_owned(),
        shell_quote(&file.display().to_string()),
        "--seed".to_owned(),
        seed.to_string(),
    ];
    for s in set {
        parts.push("--set".to_owned());
        parts.push(shell_quote(s));
    }
    parts.push("--out".to_owned());
    parts.push(shell_quote(&out.display().to_string()));
    parts.join(" ")
}

/// Quotes `arg` for a POSIX shell unless it consists only of characters that need no quoting.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(time_s: f64, datagrams_by_op: [u64; 8], bytes_by_op: [u64; 8]) -> SampleRow {
        SampleRow {
            time_s,
            class: "honest",
            nodes_up: 2,
            datagrams_delivered: 0,
            datagrams_dropped: 0,
            bytes_delivered: 0,
            gets_finished: 0,
            gets_found: 0,
            puts_finished: 0,
            records_held: 0,
            active_peers_mean: 0.0,
            reliability_median: 0.0,
            datagrams_by_op,
            bytes_by_op,
            table_entries: 0,
            table_adversarial: 0,
            table_unknown: 0,
            candidates: 0,
            candidates_unknown: 0,
            unroutable_entries: 0,
        }
    }

    #[test]
    fn traffic_bytes_are_the_measured_bytes_of_each_interval() {
        // PING: 10 small datagrams in the first interval, 10 large in the second; a mean size
        // over the run would give both intervals the same bytes per second.
        let samples = [
            sample(0.0, [0; 8], [0; 8]),
            sample(5.0, [10, 0, 0, 0, 0, 0, 0, 0], [400, 0, 0, 0, 0, 0, 0, 0]),
            sample(
                10.0,
                [20, 4, 0, 0, 0, 0, 0, 0],
                [12400, 600, 0, 0, 0, 0, 0, 0],
            ),
        ];
        let ops = op_series(&samples);
        let names: Vec<&str> = ops.iter().map(|s| s.op.as_str()).collect();
        assert_eq!(names, ["PING", "PONG"]);
        let ping = &ops[0].points;
        // Per node (2 up) per second (5 s intervals).
        assert_eq!(ping[0].datagrams_per_node_s, 1.0);
        assert_eq!(ping[0].bytes_per_node_s, 40.0);
        assert_eq!(ping[1].datagrams_per_node_s, 1.0);
        assert_eq!(ping[1].bytes_per_node_s, 1200.0);
        assert_eq!(ops[1].points[1].bytes_per_node_s, 60.0);
    }

    #[test]
    fn reproduce_command_quotes_what_a_shell_would_split() {
        let cmd = reproduce_command(
            std::path::Path::new("scenarios/my run.json"),
            7,
            &[
                "network.latency={\"constant\":\"60ms\"}".to_owned(),
                "nodes.count=50".to_owned(),
            ],
            std::path::Path::new("reports/x"),
        );
        assert_eq!(
            cmd,
            "dave-sim run 'scenarios/my run.json' --seed 7 --set 'network.latency={\"constant\":\"60ms\"}' --set nodes.count=50 --out reports/x"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
