//! Running a sweep: the runs of a shard on a thread pool, and merging shard folders back into
//! the folder one unsharded sweep writes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use super::chart_data;
use super::files::{
    Manifest, Metrics, RunResult, aggregate, read_manifest, read_runs, write_aggregate, write_runs,
};
use super::plan::{Shard, SweepPlan, scenario_at};
use super::{MANIFEST, WALL_CLOCK_METRICS};
use crate::report::{ReportError, sweep_chart};

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
        if let Some(charts) = chart_data::of(manifest, &rows) {
            files.extend(sweep_chart::render_charts(out, &charts)?);
        }
    }
    Ok(SweepOutcome {
        runs: results.len(),
        complete,
        files,
    })
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
