//! `dave-sim sweep`: the command line of [`crate::sweep`] (SIMULATOR.md "Sweeps and scale").
//!
//! ```text
//! dave-sim sweep FILE --param path=v1,v2 [--param ...] --seeds N [--jobs J] [--shard i/n] [--out DIR]
//! dave-sim sweep --merge DIR... --out DIR
//! ```
//! Every grid point is parsed and checked before the first run starts, so a misspelt `--param`
//! path fails at once, with the scenario parser's message, instead of after hours of compute.
//! Exit codes follow `run`: 0 done, 2 bad input, I/O error or a failed run. Expectations are not
//! judged in a sweep: it explores, and its grid may deliberately cross the bounds.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;

use crate::report::ReportError;
use crate::scenario::{self, Override, Scenario};
use crate::sim::{self, DefaultHost, RunOptions};
use crate::sweep::{self, Metrics, Shard, SweepParam, SweepPlan, SweepRun};

/// Arguments of `sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (not with --merge).
    #[arg(required_unless_present = "merge", conflicts_with = "merge")]
    pub file: Option<PathBuf>,
    /// A swept parameter: dotted path into the scenario and comma-separated values (repeatable;
    /// the grid is their product, the first one on the charts' x axis).
    #[arg(
        long = "param",
        value_name = "PATH=V1,V2,...",
        conflicts_with = "merge"
    )]
    pub params: Vec<String>,
    /// Seeds per grid point: the scenario's seed and the ones after it.
    #[arg(long, default_value_t = 1, conflicts_with = "merge")]
    pub seeds: u64,
    /// Runs in parallel (default: all cores). The output does not depend on it.
    #[arg(long, conflicts_with = "merge")]
    pub jobs: Option<usize>,
    /// Run only slice i of n (0-based), e.g. `--shard ${SLURM_ARRAY_TASK_ID}/32`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard, conflicts_with = "merge")]
    pub shard: Option<Shard>,
    /// Merge the folders of shards into --out instead of running.
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub merge: Vec<PathBuf>,
    /// Output folder (default `reports/<scenario name>-sweep`, with `-shard-I-of-N` for a shard).
    #[arg(long, required_unless_present = "file")]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse::<Shard>().map_err(|e| e.to_string())
}

/// Runs `sweep` and returns the process exit code.
pub fn sweep_command(args: &SweepArgs) -> ExitCode {
    let result = match &args.file {
        Some(_) => run(args),
        None => merge(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn merge(args: &SweepArgs) -> Result<(), String> {
    let out = args.out.as_ref().ok_or("--merge needs --out")?;
    let outcome = sweep::merge(&args.merge, out).map_err(|e| e.to_string())?;
    if !args.quiet {
        println!(
            "merged {} runs from {} folders into {}",
            outcome.runs,
            args.merge.len(),
            out.display()
        );
    }
    Ok(())
}

fn run(args: &SweepArgs) -> Result<(), String> {
    let file = args.file.as_ref().ok_or("a scenario file is needed")?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read the scenario: {e}", file.display()))?;
    let file_name = file.display().to_string();
    let base = scenario::parse(&file_name, &text, &[]).map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{file_name}: {e}"))?;
    let params = args
        .params
        .iter()
        .map(|p| p.parse::<SweepParam>())
        .collect::<Result<Vec<_>, ReportError>>()
        .map_err(|e| e.to_string())?;
    let plan = SweepPlan::new(params, base.seed, args.seeds).map_err(|e| e.to_string())?;
    let scenarios = (0..plan.points())
        .map(|point| point_scenario(&file_name, &text, &plan, point))
        .collect::<Result<Vec<Scenario>, String>>()?;
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let out = args.out.clone().unwrap_or_else(|| {
        let name = if shard == Shard::WHOLE {
            format!("{}-sweep", base.name)
        } else {
            format!(
                "{}-sweep-shard-{}-of-{}",
                base.name, shard.index, shard.count
            )
        };
        PathBuf::from("reports").join(name)
    });
    let runs = plan.shard_runs(shard).len() as u64;
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(runs);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} runs  {elapsed} elapsed, ~{eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let started = std::time::Instant::now();
    let runner = |run: SweepRun<'_>| -> Result<Metrics, String> {
        let scenario = scenarios
            .get(run.point)
            .ok_or_else(|| format!("grid point {} out of range", run.point))?;
        let options = RunOptions {
            seed: Some(run.seed),
            ..RunOptions::default()
        };
        let output = sim::run::<DefaultHost>(scenario, options);
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        Ok(output.summary.metrics)
    };
    let outcome =
        sweep::run_sweep(&doc, &plan, shard, args.jobs, &out, runner).map_err(|e| e.to_string())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if !args.quiet {
        let wall = started.elapsed().as_secs_f64();
        println!(
            "{} runs ({} grid points × {} seeds{}) in {wall:.1} s wall ({:.2} runs/s); results in {}",
            outcome.runs,
            plan.points(),
            plan.seeds,
            if shard == Shard::WHOLE {
                String::new()
            } else {
                format!(", shard {shard}")
            },
            outcome.runs as f64 / wall.max(1e-9),
            out.display()
        );
        if !outcome.complete {
            println!(
                "this is one shard: combine all shards with `dave-sim sweep --merge DIR... --out DIR`"
            );
        }
    }
    Ok(())
}

/// The scenario of one grid point, parsed through the same `--set` machinery as `run`, so a bad
/// path or value gets the scenario parser's precise message.
fn point_scenario(
    file: &str,
    text: &str,
    plan: &SweepPlan,
    point: usize,
) -> Result<Scenario, String> {
    let overrides = plan
        .point_values(point)
        .iter()
        .map(|(path, value)| {
            let arg = format!("{path}={value}");
            arg.parse::<Override>()
                .map_err(|problem| format!("--param {arg}: {problem}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    scenario::parse(file, text, &overrides).map_err(|e| e.to_string().replace("--set ", "--param "))
}
