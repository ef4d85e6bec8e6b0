//! Finds the scenario files, loads them with `--set`, and runs every (scenario, seed) pair on a
//! thread pool.
//!
//! Results are collected in (file order, seed order) whatever thread finished first, so every
//! output of `check` is the same bytes for any `--jobs`. Seeds are `base, base+1, …,
//! base+N−1` with `base` the scenario's own `seed` (after `--set`), as in `sweep`, so
//! `dave-sim run FILE --seed S` reproduces any of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::scenario::Scenario;
use crate::sim::{ExpectationResult, Summary};
use crate::sweep::WALL_CLOCK_METRICS;

/// A scenario to check.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The file it came from.
    pub file: PathBuf,
    /// The scenario with `--set` applied.
    pub scenario: Scenario,
    /// The seeds it runs with.
    pub seeds: Vec<u64>,
}

/// What one seed's run left for the check.
#[derive(Debug, Clone)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// The run's trace hash.
    pub trace_hash: String,
    /// Deterministic metrics (wall-clock ones left out).
    pub metrics: BTreeMap<String, f64>,
    /// Each `expect` bound with its measured value.
    pub expectations: Vec<ExpectationResult>,
}

impl SeedRun {
    /// The parts of a run's summary the check needs.
    pub fn from_summary(summary: &Summary) -> SeedRun {
        let mut metrics = summary.metrics.clone();
        metrics.retain(|name, _| !WALL_CLOCK_METRICS.contains(&name.as_str()));
        SeedRun {
            seed: summary.seed,
            trace_hash: summary.trace_hash.clone(),
            metrics,
            expectations: summary.expectations.clone(),
        }
    }
}

/// The scenario files named by `paths`: files as given, folders replaced by their `*.json`
/// files in name order. A missing path, or a folder without scenarios, is an error.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| format!("{}: cannot list the folder: {e}", path.display()))?;
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry
                    .map_err(|e| format!("{}: cannot list the folder: {e}", path.display()))?;
                let file = entry.path();
                if file.is_file() && file.extension().is_some_and(|x| x == "json") {
                    found.push(file);
                }
            }
            if found.is_empty() {
                return Err(format!(
                    "{}: no *.json scenario in this folder",
                    path.display()
                ));
            }
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(format!("{}: no such file or folder", path.display()));
        }
    }
    Ok(files)
}

/// Loads every file with `set` and plans `seeds` seeds for each. Fails on the first bad file
/// (with the scenario parser's message) and when two files share a scenario name, since
/// baselines are stored by name.
pub fn plan(files: &[PathBuf], set: &[String], seeds: u64) -> Result<Vec<Planned>, String> {
    if seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    let mut names: BTreeMap<String, &Path> = BTreeMap::new();
    let mut planned = Vec::new();
    for file in files {
        let scenario = crate::cli::load_scenario(file, set).map_err(|e| e.to_string())?;
        if let Some(other) = names.insert(scenario.name.clone(), file) {
            return Err(format!(
                "{} and {} are both named {:?}: scenario names must differ (baselines are stored by name)",
                other.display(),
                file.display(),
                scenario.name
            ));
        }
        let base = scenario.seed;
        let last = base
            .checked_add(seeds - 1)
            .ok_or_else(|| format!("{}: seed {base} + {seeds} seeds overflows", file.display()))?;
        planned.push(Planned {
            file: file.clone(),
            scenario,
            seeds: (base..=last).collect(),
        });
    }
    Ok(planned)
}

/// Runs every planned (scenario, seed) on `jobs` threads (all cores if `None`); `run_one` runs
/// one scenario with one seed. Returns, per planned scenario, its runs in seed order.
pub fn run_all<F>(
    plans: &[Planned],
    jobs: Option<usize>,
    run_one: F,
) -> Result<Vec<Vec<SeedRun>>, String>
where
    F: Fn(&Scenario, u64) -> SeedRun + Sync,
{
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        builder = builder.num_threads(jobs.max(1));
    }
    let pool = builder.build().map_err(|e| format!("thread pool: {e}"))?;
    let pairs: Vec<(usize, u64)> = plans
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.seeds.iter().map(move |s| (i, *s)))
        .collect();
    let runs: Vec<(usize, SeedRun)> = pool.install(|| {
        pairs
            .into_par_iter()
            .map(|(i, seed)| (i, run_one(&plans[i].scenario, seed)))
            .collect()
    });
    let mut out: Vec<Vec<SeedRun>> = plans.iter().map(|_| Vec::new()).collect();
    for (i, run) in runs {
        out[i].push(run);
    }
    Ok(out)
}
