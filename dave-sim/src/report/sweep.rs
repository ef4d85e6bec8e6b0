//! Parameter sweeps: a grid of scenario parameter values × seeds, run in parallel, sliced into
//! shards for clusters, merged back, and aggregated into mean and 95 % confidence interval per
//! metric against the swept parameter (SIMULATOR.md "Sweeps and scale"; issue 5).
//!
//! # Determinism
//! Runs are numbered `point × seeds + seed index`, with the grid enumerated in `--param` order
//! (first parameter outermost). Results are stored by run number, whatever thread finished first,
//! and aggregates sum over seeds in seed order, so the output bytes do not depend on `--jobs`, on
//! `--shard`, or on the order in which `--merge` reads its folders. Floats are written in Rust's
//! shortest round-trip form, so a merge that re-reads `runs.csv` recovers every bit and writes an
//! `aggregate.csv` identical to that of one big run. Wall-clock metrics ([`WALL_CLOCK_METRICS`])
//! are left out of sweep outputs for that reason.
//!
//! # Seeds
//! `--seeds N` runs seeds `base, base+1, …, base+N−1`, where `base` is the scenario's own `seed`
//! (1 if it has none), so `dave-sim run FILE --seed S --set path=value` reproduces any sweep run.
//!
//! # Spreading a sweep over a cluster (Slurm job array)
//! Shard `i/n` (0-based, `0 ≤ i < n`) runs the runs whose number is `i` modulo `n`, so slow and
//! fast grid points spread evenly:
//! ```sh
//! #SBATCH --array=0-31
//! dave-sim sweep eclipse.json --param attack.addresses=10,100,1000 --seeds 20 \
//!     --shard ${SLURM_ARRAY_TASK_ID}/32 --out sweep/shard-${SLURM_ARRAY_TASK_ID}
//! # after the array finishes (e.g. a job with --dependency=afterok:<array job id>):
//! dave-sim sweep --merge sweep/shard-* --out sweep/all
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ReportError;
use super::stats::MeanCi;
use crate::scenario::Override;

/// Per-run raw results.
pub const RUNS_CSV: &str = "runs.csv";
/// Mean and confidence interval per grid point and metric.
pub const AGGREGATE_CSV: &str = "aggregate.csv";
/// What the folder holds: scenario digest, grid, seeds, shard.
pub const MANIFEST: &str = "sweep.json";
/// Version of the manifest and CSV layout; merge refuses other versions.
const FORMAT_VERSION: u32 = 1;

/// Metrics that measure the machine rather than the simulation. They differ between two runs of
/// the same (scenario, seed), so they would break the byte-equality of merged and unsharded
/// sweeps; sweeps drop them.
pub const WALL_CLOCK_METRICS: [&str; 4] = [
    "wall_s",
    "events_per_wall_s",
    "datagrams_per_wall_s",
    "peak_rss_bytes",
];

/// One `--param path=v1,v2,...`: a dotted JSON path into the scenario and the values it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepParam {
    /// Dotted path, e.g. `network.loss.bernoulli` or `adversaries.0.addresses` (array index).
    pub path: String,
    /// Values as written on the command line; each is parsed as JSON if it can be (numbers,
    /// booleans, objects) and used as a string otherwise (`"60ms"`).
    pub values: Vec<String>,
}

impl FromStr for SweepParam {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<SweepParam, ReportError> {
        let (path, values) = s.split_once('=').ok_or_else(|| {
            ReportError::Sweep(format!("--param {s:?}: expected path=value1,value2,..."))
        })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(ReportError::Sweep(format!(
                "--param {s:?}: empty path segment"
            )));
        }
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_owned()).collect();
        if values.iter().any(String::is_empty) {
            return Err(ReportError::Sweep(format!("--param {s:?}: empty value")));
        }
        let distinct: BTreeSet<&String> = values.iter().collect();
        if distinct.len() != values.len() {
            return Err(ReportError::Sweep(format!("--param {s:?}: repeated value")));
        }
        Ok(SweepParam {
            path: path.to_owned(),
            values,
        })
    }
}

/// `--shard i/n`: run slice `i` (0-based) of `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This slice, `0 ≤ index < count`.
    pub index: u32,
    /// Number of slices.
    pub count: u32,
}

impl Shard {
    /// The whole sweep as one slice.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether run number `run` belongs to this slice.
    pub fn contains(&self, run: usize) -> bool {
        run % self.count as usize == self.index as usize
    }
}

impl FromStr for Shard {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Shard, ReportError> {
        let bad = || ReportError::Sweep(format!("--shard {s:?}: expected i/n with 0 <= i < n"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The grid and seeds of a sweep: everything that numbers its runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepPlan {
    /// Swept parameters, first one outermost and on the charts' x axis.
    pub params: Vec<SweepParam>,
    /// First seed.
    pub seed_base: u64,
    /// Seeds per grid point.
    pub seeds: u64,
}

/// One run of the sweep: a grid point and a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    /// Run number, `point × seeds + seed index`.
    pub run: usize,
    /// Index of the grid point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

impl SweepPlan {
    /// Checks the plan and builds it. `seed_base` is the scenario's seed (see module docs).
    pub fn new(
        params: Vec<SweepParam>,
        seed_base: u64,
        seeds: u64,
    ) -> Result<SweepPlan, ReportError> {
        if seeds == 0 {
            return Err(ReportError::Sweep("--seeds must be at least 1".into()));
        }
        if seed_base.checked_add(seeds - 1).is_none() {
            return Err(ReportError::Sweep("seeds overflow u64".into()));
        }
        let paths: BTreeSet<&str> = params.iter().map(|p| p.path.as_str()).collect();
        if paths.len() != params.len() {
            return Err(ReportError::Sweep("a parameter path is given twice".into()));
        }
        Ok(SweepPlan {
            params,
            seed_base,
            seeds,
        })
    }

    /// Number of grid points (1 when no parameter is swept: seeds only).
    pub fn points(&self) -> usize {
        self.params.iter().map(|p| p.values.len()).product()
    }

    /// Total number of runs.
    pub fn runs(&self) -> usize {
        self.points() * self.seeds as usize
    }

    /// Value index of each parameter at grid point `point` (first parameter outermost).
    pub fn point_indices(&self, point: usize) -> Vec<usize> {
        let mut rest = point;
        let mut out = vec![0; self.params.len()];
        for (i, p) in self.params.iter().enumerate().rev() {
            out[i] = rest % p.values.len();
            rest /= p.values.len();
        }
        out
    }

    /// `(path, raw value)` pairs of grid point `point`.
    pub fn point_values(&self, point: usize) -> Vec<(&str, &str)> {
        self.point_indices(point)
            .into_iter()
            .zip(&self.params)
            .map(|(i, p)| (p.path.as_str(), p.values[i].as_str()))
            .collect()
    }

    /// The runs of `shard`, in run order.
    pub fn shard_runs(&self, shard: Shard) -> Vec<RunKey> {
        let seeds = self.seeds as usize;
        (0..self.runs())
            .filter(|r| shard.contains(*r))
            .map(|run| RunKey {
                run,
                point: run / seeds,
                seed: self.seed_base + (run % seeds) as u64,
            })
            .collect()
    }
}

/// The scenario for grid point `point` of `plan`: each value is set exactly as `run --set
/// path=value` would set it (same path syntax, JSON-or-string values, missing objects created and
/// left for the scenario parser to judge).
pub fn scenario_at(scenario: &Value, plan: &SweepPlan, point: usize) -> Result<Value, ReportError> {
    let mut doc = scenario.clone();
    for (path, raw) in plan.point_values(point) {
        let arg = format!("{path}={raw}");
        let set: Override = arg
            .parse()
            .map_err(|problem| ReportError::Sweep(format!("--param {arg}: {problem}")))?;
        set.apply(&mut doc)
            .map_err(|problem| ReportError::Sweep(format!("--param {arg}: {problem}")))?;
    }
    Ok(doc)
}

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

/// What a runner is asked to run: a grid point (index, and the scenario with its values set)
/// and a seed.
#[derive(Debug, Clone, Copy)]
pub struct SweepRun<'a> {
    /// Index of the grid point ([`SweepPlan::point_values`] gives its values).
    pub point: usize,
    /// The scenario JSON with the point's values set.
    pub scenario: &'a Value,
    /// The seed.
    pub seed: u64,
}

/// Runs the runs of `shard` on `jobs` threads (all cores if `None`). `runner` runs one scenario
/// with one seed and returns its metrics, or an error message.
///
/// The first failing run in run order is reported, whatever order the threads finished in.
pub fn run_shard<F>(
    scenario: &Value,
    plan: &SweepPlan,
    shard: Shard,
    jobs: Option<usize>,
    runner: F,
) -> Result<Vec<RunResult>, ReportError>
where
    F: Fn(SweepRun<'_>) -> Result<Metrics, String> + Sync,
{
    let keys = plan.shard_runs(shard);
    let scenarios = (0..plan.points())
        .map(|p| scenario_at(scenario, plan, p))
        .collect::<Result<Vec<Value>, ReportError>>()?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        builder = builder.num_threads(jobs.max(1));
    }
    let pool = builder
        .build()
        .map_err(|e| ReportError::Sweep(format!("thread pool: {e}")))?;
    let results: Vec<Result<RunResult, ReportError>> = pool.install(|| {
        keys.into_par_iter()
            .map(|key| {
                let run = SweepRun {
                    point: key.point,
                    scenario: &scenarios[key.point],
                    seed: key.seed,
                };
                let mut metrics = runner(run).map_err(|message| ReportError::Run {
                    point: describe_point(plan, key.point),
                    seed: key.seed,
                    message,
                })?;
                metrics.retain(|name, _| !WALL_CLOCK_METRICS.contains(&name.as_str()));
                Ok(RunResult { key, metrics })
            })
            .collect()
    });
    results.into_iter().collect()
}

/// `path=value path=value` of a grid point, for messages.
fn describe_point(plan: &SweepPlan, point: usize) -> String {
    let parts: Vec<String> = plan
        .point_values(point)
        .iter()
        .map(|(p, v)| format!("{p}={v}"))
        .collect();
    if parts.is_empty() {
        "(no parameters)".to_owned()
    } else {
        parts.join(" ")
    }
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

/// What a sweep or merge wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Runs in the folder.
    pub runs: usize,
    /// Whether the folder holds every run, and so `aggregate.csv` and charts.
    pub complete: bool,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Runs a sweep (or one shard of it) and writes its folder: `sweep.json` and `runs.csv` always,
/// and `aggregate.csv` plus one chart per metric when the folder holds the whole sweep.
pub fn run_sweep<F>(
    scenario: &Value,
    plan: &SweepPlan,
    shard: Shard,
    jobs: Option<usize>,
    out: &Path,
    runner: F,
) -> Result<SweepOutcome, ReportError>
where
    F: Fn(SweepRun<'_>) -> Result<Metrics, String> + Sync,
{
    let results = run_shard(scenario, plan, shard, jobs, runner)?;
    write_folder(out, &Manifest::new(scenario, plan, shard), &results)
}

/// Merges shard folders into `out`, which then holds exactly what one unsharded sweep writes.
/// Fails unless the folders come from one sweep and together hold every run exactly once.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<SweepOutcome, ReportError> {
    let mut first: Option<Manifest> = None;
    let mut results: Vec<RunResult> = Vec::new();
    for dir in dirs {
        let manifest = read_manifest(dir)?;
        if let Some(f) = &first {
            if f.scenario_blake3 != manifest.scenario_blake3 || f.plan != manifest.plan {
                return Err(ReportError::Sweep(format!(
                    "{} is a shard of another sweep than {} (scenario or grid differ)",
                    dir.display(),
                    dirs[0].display()
                )));
            }
        } else {
            first = Some(manifest.clone());
        }
        results.extend(read_runs(dir, &manifest.plan)?);
    }
    let Some(first) = first else {
        return Err(ReportError::Sweep(
            "--merge needs at least one folder".into(),
        ));
    };
    results.sort_by_key(|r| r.key.run);
    for pair in results.windows(2) {
        if pair[0].key.run == pair[1].key.run {
            return Err(ReportError::Sweep(format!(
                "run {} (seed {}) appears in two shards",
                pair[0].key.run, pair[0].key.seed
            )));
        }
    }
    if results.len() != first.plan.runs() {
        let have: BTreeSet<usize> = results.iter().map(|r| r.key.run).collect();
        let missing: Vec<String> = (0..first.plan.runs())
            .filter(|r| !have.contains(r))
            .take(5)
            .map(|r| r.to_string())
            .collect();
        return Err(ReportError::Sweep(format!(
            "{} of {} runs missing (e.g. runs {}); is a shard absent?",
            first.plan.runs() - results.len(),
            first.plan.runs(),
            missing.join(", ")
        )));
    }
    let manifest = Manifest {
        shard: Shard::WHOLE,
        ..first
    };
    write_folder(out, &manifest, &results)
}

/// Writes manifest, runs and (for a whole sweep) the aggregate and its charts.
fn write_folder(
    out: &Path,
    manifest: &Manifest,
    results: &[RunResult],
) -> Result<SweepOutcome, ReportError> {
    std::fs::create_dir_all(out).map_err(|e| ReportError::io(out, e))?;
    let mut files = Vec::new();
    let manifest_path = out.join(MANIFEST);
    let json = serde_json::to_string_pretty(manifest)
        .map_err(|e| ReportError::Sweep(format!("manifest: {e}")))?;
    std::fs::write(&manifest_path, json + "\n").map_err(|e| ReportError::io(&manifest_path, e))?;
    files.push(manifest_path);
    files.push(write_runs(out, &manifest.plan, results)?);
    let complete = manifest.shard == Shard::WHOLE && results.len() == manifest.plan.runs();
    if complete {
        let rows = aggregate(&manifest.plan, results);
        files.push(write_aggregate(out, &manifest.plan, &rows)?);
        files.extend(super::sweep_chart::render_charts(out, manifest, &rows)?);
    }
    Ok(SweepOutcome {
        runs: results.len(),
        complete,
        files,
    })
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
fn write_runs(out: &Path, plan: &SweepPlan, results: &[RunResult]) -> Result<PathBuf, ReportError> {
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
fn read_manifest(dir: &Path) -> Result<Manifest, ReportError> {
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
fn read_runs(dir: &Path, plan: &SweepPlan) -> Result<Vec<RunResult>, ReportError> {
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
fn write_aggregate(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> SweepPlan {
        SweepPlan::new(
            vec!["a.b=1,2,3".parse().unwrap(), "c=x,y".parse().unwrap()],
            5,
            2,
        )
        .unwrap()
    }

    #[test]
    fn grid_is_enumerated_first_parameter_outermost() {
        let p = plan();
        assert_eq!(p.points(), 6);
        assert_eq!(p.runs(), 12);
        assert_eq!(p.point_values(0), vec![("a.b", "1"), ("c", "x")]);
        assert_eq!(p.point_values(1), vec![("a.b", "1"), ("c", "y")]);
        assert_eq!(p.point_values(5), vec![("a.b", "3"), ("c", "y")]);
        let runs = p.shard_runs(Shard::WHOLE);
        assert_eq!(
            runs[3],
            RunKey {
                run: 3,
                point: 1,
                seed: 6
            }
        );
    }

    #[test]
    fn shards_partition_the_runs() {
        let p = plan();
        let mut all: Vec<usize> = (0..5)
            .flat_map(|i| p.shard_runs(Shard { index: i, count: 5 }))
            .map(|k| k.run)
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..12).collect::<Vec<_>>());
    }

    #[test]
    fn bad_flags_are_errors() {
        assert!("3/3".parse::<Shard>().is_err());
        assert!("x/3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert_eq!(
            "2/3".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 3 }
        );
        assert!("novalue".parse::<SweepParam>().is_err());
        assert!("a..b=1".parse::<SweepParam>().is_err());
        assert!("a=1,,2".parse::<SweepParam>().is_err());
        assert!("a=1,1".parse::<SweepParam>().is_err());
        assert!(SweepPlan::new(vec![], 1, 0).is_err());
        assert!(
            SweepPlan::new(vec!["a=1".parse().unwrap(), "a=2".parse().unwrap()], 1, 1).is_err()
        );
    }

    #[test]
    fn grid_values_are_set_like_run_set() {
        let s: Value = serde_json::json!({"adversaries": [{"addresses": 1}], "n": 3});
        let plan = |param: &str| SweepPlan::new(vec![param.parse().unwrap()], 1, 1).unwrap();
        let t = scenario_at(&s, &plan("adversaries.0.addresses=100"), 0).unwrap();
        assert_eq!(t["adversaries"][0]["addresses"], 100);
        let t = scenario_at(&s, &plan("network.latency=60ms"), 0).unwrap();
        assert_eq!(t["network"]["latency"], "60ms");
        let err = scenario_at(&s, &plan("adversaries.3.addresses=1"), 0).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("sweep: --param adversaries.3.addresses=1:"),
            "{err}"
        );
        assert!(scenario_at(&s, &plan("n.deeper=1"), 0).is_err());
    }

    #[test]
    fn wall_clock_metrics_are_dropped_and_errors_name_the_run() {
        let p = plan();
        let s = serde_json::json!({"name": "t"});
        let results = run_shard(&s, &p, Shard::WHOLE, Some(2), |run| {
            Ok(Metrics::from([
                ("wall_s".into(), 1.0),
                ("m".into(), run.seed as f64),
            ]))
        })
        .unwrap();
        assert!(results.iter().all(|r| !r.metrics.contains_key("wall_s")));
        let err = run_shard(&s, &p, Shard::WHOLE, Some(2), |run| {
            if run.scenario["c"] == "y" && run.seed == 6 {
                Err("boom".into())
            } else {
                Ok(Metrics::new())
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "sweep run a.b=1 c=y seed 6: boom");
    }
}
