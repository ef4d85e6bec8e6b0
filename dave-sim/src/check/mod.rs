//! `dave-sim check`: protocol regression testing for CI (issue 12).
//!
//! ```text
//! dave-sim check [FILES or DIRS…] [--seeds N] [--jobs J] [--set path=value…]
//!                [--junit FILE] [--markdown FILE] [--baseline DIR] [--save-baseline DIR]
//! ```
//! Runs every scenario (default: the `*.json` files of `scenarios/`) over N seeds in parallel,
//! judges each `expect` bound on every seed, and prints one table (scenario, check, baseline,
//! measured mean ± sd [min, max], verdict). With
//! `--baseline DIR` it also compares each scenario's metrics with the per-seed metrics stored
//! there by an earlier `--save-baseline DIR`, flagging a regression when a metric moved the
//! worse way by more than its tolerance with a one-sided Welch p-value that passes Holm's
//! step-down over the scenario's metrics ([`compare`], [`stats`]; directions, tolerances and
//! the significance level in `scenario::regression`).
//! A scenario without a baseline file is reported and skipped, so adding a scenario does not
//! break CI before its baseline is saved.
//!
//! Exit codes as `run`: 0 every bound holds on every seed and nothing regressed, 1 otherwise,
//! 2 bad input (a scenario, a `--set`, a baseline file) or an I/O error.
//!
//! stdout (the table), `--junit` and `--markdown` are pure functions of the scenarios, seeds
//! and baseline: the same bytes for any `--jobs`. Wall time goes to stderr.
//!
//! Layout: [`runner`] (files, seeds, thread pool), [`expectations`] (bounds over seeds),
//! [`baseline`] (store and load), [`compare`] and [`stats`] (the test), [`outcome`] (the one
//! model every output renders), [`rows`], [`table`], [`junit`], [`markdown`].

pub mod baseline;
pub mod compare;
pub mod expectations;
pub mod junit;
pub mod markdown;
pub mod outcome;
pub mod rows;
pub mod runner;
pub mod stats;
pub mod table;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::engine::trace::Trace;
use outcome::{BaselineState, CheckReport, ScenarioCheck};
use runner::{Planned, SeedRun};

/// Arguments of `check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Scenario files, or folders whose `*.json` files are all checked (default: `scenarios/`).
    #[arg(value_name = "FILES or DIRS")]
    pub paths: Vec<PathBuf>,
    /// Seeds per scenario: the scenario's seed and the ones after it.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Runs in parallel (default: all cores). The output does not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Override a value in every scenario, as `run --set` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Write JUnit XML here (one test case per scenario × bound and per compared metric).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a markdown summary here, for a pull-request comment.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Compare with the baseline stored in this folder.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    /// Store each scenario's per-seed metrics in this folder (after comparing, if both are given).
    #[arg(long, value_name = "DIR")]
    pub save_baseline: Option<PathBuf>,
    /// No progress bar and no wall-time line.
    #[arg(long)]
    pub quiet: bool,
}

/// Why a check could not be completed: bad input or I/O (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CheckError(pub String);

/// Runs `check` and returns the process exit code.
pub fn check_command(args: &CheckArgs) -> ExitCode {
    let started = std::time::Instant::now();
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let report = match run_check(args, show_progress) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", table::render(&report));
    if let Err(e) = write_outputs(args, &report) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if !args.quiet {
        eprintln!("checked in {:.1} s wall", started.elapsed().as_secs_f64());
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Plans, runs, judges and compares; saves the baseline if asked. Everything `check` prints or
/// writes is rendered from the returned report.
pub fn run_check(args: &CheckArgs, show_progress: bool) -> Result<CheckReport, CheckError> {
    let default = [PathBuf::from("scenarios")];
    let paths = if args.paths.is_empty() {
        &default[..]
    } else {
        &args.paths
    };
    let files = runner::scenario_files(paths).map_err(CheckError)?;
    let plans = runner::plan(&files, &args.set, args.seeds).map_err(CheckError)?;
    // Read every baseline before running, so a malformed one fails in seconds, not after the runs.
    let baselines = match &args.baseline {
        Some(dir) => plans
            .iter()
            .map(|p| baseline::load(dir, &p.scenario.name).map(Some))
            .collect::<Result<Vec<_>, _>>()
            .map_err(CheckError)?,
        None => plans.iter().map(|_| None).collect(),
    };
    let total: u64 = plans.iter().map(|p| p.seeds.len() as u64).sum();
    let bar = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed} elapsed")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let runs = runner::run_all(&plans, args.jobs, |scenario, seed| {
        let output = crate::cli::run_once(
            scenario,
            Some(seed),
            Trace::default(),
            &crate::progress::Progress::off(),
            None,
        );
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        SeedRun::from_summary(&output.summary)
    })
    .map_err(CheckError)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let scenarios = plans
        .iter()
        .zip(&runs)
        .zip(baselines)
        .map(|((plan, runs), stored)| judge(args, plan, runs, stored))
        .collect();
    if let Some(dir) = &args.save_baseline {
        for (plan, runs) in plans.iter().zip(&runs) {
            baseline::save(dir, &baseline::Baseline::of(&plan.scenario, runs))
                .map_err(CheckError)?;
        }
    }
    Ok(CheckReport {
        set: args.set.clone(),
        seeds: args.seeds,
        scenarios,
    })
}

fn judge(
    args: &CheckArgs,
    plan: &Planned,
    runs: &[SeedRun],
    stored: Option<Option<baseline::Baseline>>,
) -> ScenarioCheck {
    let baseline = match (stored, &args.baseline) {
        (Some(Some(b)), _) => BaselineState::Compared(compare::compare(&plan.scenario, &b, runs)),
        (Some(None), Some(dir)) => BaselineState::Missing(baseline::path(dir, &plan.scenario.name)),
        _ => BaselineState::NotAsked,
    };
    ScenarioCheck {
        file: plan.file.clone(),
        name: plan.scenario.name.clone(),
        seeds: plan.seeds.clone(),
        expectations: expectations::evaluate(runs),
        baseline,
    }
}

fn write_outputs(args: &CheckArgs, report: &CheckReport) -> Result<(), CheckError> {
    let write = |path: &PathBuf, text: String| {
        let fail = |e: std::io::Error| CheckError(format!("{}: {e}", path.display()));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::write(path, text).map_err(fail)
    };
    if let Some(path) = &args.junit {
        write(path, junit::render(report).map_err(CheckError)?)?;
    }
    if let Some(path) = &args.markdown {
        write(path, markdown::render(report))?;
    }
    Ok(())
}
