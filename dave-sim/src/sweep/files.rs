//! The files of a sweep folder and what they hold: `sweep.json` ([`Manifest`]), `runs.csv`
//! (one [`RunResult`] per row), `aggregate.csv` (mean and 95 % CI per grid point and metric),
//! and reading back `sweep.json` and `runs.csv` for a merge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::plan::{RunKey, Shard, SweepPlan};
use super::{AGGREGATE_CSV, FORMAT_VERSION, MANIFEST, RUNS_CSV};
use crate::report::ReportError;
use crate::report::stats::MeanCi;

/// Metrics of one run.
pub type Metrics = BTreeMap<String, f64>;

/// Result of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Which run.
    pub key: RunKey,
    /// Its metrics, without [`WALL_CLOCK_METRICS`].
    pub metrics: Metrics,
}

/// Contents of `sweep.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Layout version.
    pub format: u32,
    /// Scenario name.
    pub scenario: String,
    /// BLAKE3 of the scenario JSON (canonical: keys sorted), so shards of different scenarios
    /// are never merged.
    pub scenario_blake3: String,
    /// Grid and seeds.
    pub plan: SweepPlan,
    /// Which slice this folder holds.
    pub shard: Shard,
}

impl Manifest {
    /// The manifest of `shard` of a sweep of `scenario`.
    pub fn new(scenario: &Value, plan: &SweepPlan, shard: Shard) -> Manifest {
        let name = scenario
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("unnamed")
            .to_owned();
        Manifest {
            format: FORMAT_VERSION,
            scenario: name,
            scenario_blake3: blake3::hash(scenario.to_string().as_bytes())
                .to_hex()
                .to_string(),
            plan: plan.clone(),
            shard,
        }
    }
}

/// Union of metric names over runs, sorted.
fn metric_names(results: &[RunResult]) -> Vec<String> {
    let names: BTreeSet<&String> = results.iter().flat_map(|r| r.metrics.keys()).collect();
    names.into_iter().cloned().collect()
}

/// Wraps a CSV error with its file.
fn csv_err(path: &Path) -> impl Fn(csv::Error) -> ReportError + '_ {
    move |source| ReportError::Csv {
        path: path.to_owned(),
        source,
    }
}

/// Writes `runs.csv`: run, one column per parameter, seed, one column per metric.
pub(super) fn write_runs(
    out: &Path,
    plan: &SweepPlan,
    results: &[RunResult],
) -> Result<PathBuf, ReportError> {
    let path = out.join(RUNS_CSV);
    let names = metric_names(results);
    let mut w = csv::Writer::from_path(&path).map_err(csv_err(&path))?;
    let mut header = vec!["run".to_owned()];
    header.extend(plan.params.iter().map(|p| p.path.clone()));
    header.push("seed".to_owned());
    header.extend(names.iter().cloned());
    w.write_record(&header).map_err(csv_err(&path))?;
    for r in results {
        let mut row = vec![r.key.run.to_string()];
        row.extend(
            plan.point_values(r.key.point)
                .iter()
                .map(|(_, v)| v.to_string()),
        );
        row.push(r.key.seed.to_string());
        row.extend(
            names
                .iter()
                .map(|n| r.metrics.get(n).map_or(String::new(), |v| v.to_string())),
        );
        w.write_record(&row).map_err(csv_err(&path))?;
    }
    w.flush().map_err(|e| ReportError::io(&path, e))?;
    Ok(path)
}

/// Reads a folder's manifest.
pub(super) fn read_manifest(dir: &Path) -> Result<Manifest, ReportError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| ReportError::io(&path, e))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| ReportError::Sweep(format!("{}: {e}", path.display())))?;
    if manifest.format != FORMAT_VERSION {
        return Err(ReportError::Sweep(format!(
            "{}: format {} (this dave-sim reads {FORMAT_VERSION})",
            path.display(),
            manifest.format
        )));
    }
    Ok(manifest)
}

/// Reads a folder's `runs.csv`, checking every row against the plan.
pub(super) fn read_runs(dir: &Path, plan: &SweepPlan) -> Result<Vec<RunResult>, ReportError> {
    let path = dir.join(RUNS_CSV);
    let bad = |what: String| ReportError::Sweep(format!("{}: {what}", path.display()));
    let mut reader = csv::Reader::from_path(&path).map_err(csv_err(&path))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_err(&path))?
        .iter()
        .map(str::to_owned)
        .collect();
    let fixed = plan.params.len() + 2;
    if header.len() < fixed
        || header[0] != "run"
        || header[fixed - 1] != "seed"
        || header[1..fixed - 1]
            .iter()
            .zip(&plan.params)
            .any(|(h, p)| *h != p.path)
    {
        return Err(bad("header does not match the sweep's parameters".into()));
    }
    let mut results = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(csv_err(&path))?;
        let row = line + 2;
        let run: usize = record
            .get(0)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad(format!("line {row}: bad run number")))?;
        if run >= plan.runs() {
            return Err(bad(format!("line {row}: run {run} is outside the grid")));
        }
        let seeds = plan.seeds as usize;
        let key = RunKey {
            run,
            point: run / seeds,
            seed: plan.seed_base + (run % seeds) as u64,
        };
        if record.get(fixed - 1) != Some(key.seed.to_string().as_str()) {
            return Err(bad(format!("line {row}: seed does not match run {run}")));
        }
        let mut metrics = Metrics::new();
        for (name, value) in header.iter().zip(record.iter()).skip(fixed) {
            if value.is_empty() {
                continue;
            }
            let v: f64 = value
                .parse()
                .map_err(|_| bad(format!("line {row}: {name} = {value:?} is not a number")))?;
            metrics.insert(name.clone(), v);
        }
        results.push(RunResult { key, metrics });
    }
    Ok(results)
}

/// Mean and 95 % CI of one metric at one grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    /// Grid point.
    pub point: usize,
    /// Metric name.
    pub metric: String,
    /// Statistics over the seeds that produced a finite value.
    pub stats: MeanCi,
}

/// Aggregates `results` (any order) per grid point and metric; values are taken in seed order.
pub fn aggregate(plan: &SweepPlan, results: &[RunResult]) -> Vec<AggregateRow> {
    let mut sorted: Vec<&RunResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.key.run);
    let names = metric_names(results);
    let mut rows = Vec::new();
    for point in 0..plan.points() {
        let runs: Vec<&&RunResult> = sorted.iter().filter(|r| r.key.point == point).collect();
        for name in &names {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.metrics.get(name).copied())
                .collect();
            if let Some(stats) = MeanCi::of(&values) {
                rows.push(AggregateRow {
                    point,
                    metric: name.clone(),
                    stats,
                });
            }
        }
    }
    rows
}

/// Writes `aggregate.csv` in long form (one row per grid point and metric), the shape pandas
/// and R pivot most easily.
pub(super) fn write_aggregate(
    out: &Path,
    plan: &SweepPlan,
    rows: &[AggregateRow],
) -> Result<PathBuf, ReportError> {
    let path = out.join(AGGREGATE_CSV);
    let mut w = csv::Writer::from_path(&path).map_err(csv_err(&path))?;
    let mut header: Vec<String> = plan.params.iter().map(|p| p.path.clone()).collect();
    header.extend(
        ["metric", "n", "mean", "std_dev", "ci95_low", "ci95_high"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    w.write_record(&header).map_err(csv_err(&path))?;
    for r in rows {
        let mut row: Vec<String> = plan
            .point_values(r.point)
            .iter()
            .map(|(_, v)| (*v).to_owned())
            .collect();
        row.push(r.metric.clone());
        row.push(r.stats.n.to_string());
        row.push(r.stats.mean.to_string());
        row.push(r.stats.std_dev.to_string());
        row.push(r.stats.low().to_string());
        row.push(r.stats.high().to_string());
        w.write_record(&row).map_err(csv_err(&path))?;
    }
    w.flush().map_err(|e| ReportError::io(&path, e))?;
    Ok(path)
}
