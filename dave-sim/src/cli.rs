//! The command line (SIMULATOR.md, first block): `run` (also the default: `dave-sim FILE`),
//! `validate`, `schema`, `bench`. Exit codes: 0 all expectations hold, 1 one failed (or
//! `--check-determinism` found a divergence), 2 bad input or an I/O error.
//!
//! Subcommands are variants of [`Command`] and each has its own function, so new ones
//! (e.g. `sweep`) slot in without touching the others.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::engine::trace::{Trace, divergence_window};
use crate::scenario::{self, Override, Scenario, ScenarioError};
use crate::sim::{self, DefaultHost, RunOptions, RunOutput};
use crate::{bench, report, results};

/// dave-sim: deterministic simulator of Dave networks.
#[derive(Debug, Parser)]
#[command(name = "dave-sim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write its report (the default: `dave-sim FILE`).
    Run(RunArgs),
    /// Parse and check scenario files without running them.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Measure engine throughput on echo hosts.
    Bench(bench::BenchArgs),
    /// Run a grid of parameter values × seeds, or merge the shards of one.
    Sweep(crate::sweep::cli::SweepArgs),
}

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file.
    pub file: PathBuf,
    /// Root seed (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default `reports/<scenario name>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a scenario value: `--set network.loss.bernoulli=0.05` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// No progress bar and no summary on stdout except the result line.
    #[arg(long)]
    pub quiet: bool,
    /// Run twice and compare trace hashes; name the first diverging event if they differ.
    #[arg(long)]
    pub check_determinism: bool,
    /// Also write the delivered traffic to this pcap file (UDP over IPv4, virtual timestamps).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
}

const SUBCOMMANDS: &[&str] = &["run", "validate", "schema", "bench", "sweep", "help"];

/// Parses arguments, treating `dave-sim FILE ...` as `dave-sim run FILE ...`.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Cli {
    let mut args: Vec<String> = args.into_iter().collect();
    if let Some(first) = args.get(1)
        && !first.starts_with('-')
        && !SUBCOMMANDS.contains(&first.as_str())
    {
        args.insert(1, "run".to_string());
    }
    Cli::parse_from(args)
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = parse_args(std::env::args());
    match cli.command {
        Command::Run(args) => run_command(&args),
        Command::Validate { files } => validate_command(&files),
        Command::Schema => {
            println!("{}", scenario::schema_json());
            ExitCode::SUCCESS
        }
        Command::Bench(args) => bench::bench_command(&args),
        Command::Sweep(args) => crate::sweep::cli::sweep_command(&args),
    }
}

/// Loads a scenario with `--set` overrides; errors are already formatted for the user.
pub fn load_scenario(file: &Path, set: &[String]) -> Result<Scenario, ScenarioError> {
    let overrides = set
        .iter()
        .map(|s| {
            s.parse::<Override>()
                .map_err(|problem| ScenarioError::Override {
                    file: file.display().to_string(),
                    arg: s.clone(),
                    path: s.split('=').next().unwrap_or_default().to_string(),
                    problem,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    scenario::load(file, &overrides)
}

fn validate_command(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for f in files {
        match scenario::load(f, &[]) {
            Ok(s) => println!(
                "{}: ok ({} nodes, {})",
                f.display(),
                s.nodes.count,
                s.duration
            ),
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// Runs a scenario once with an optional progress bar and delivery tap (`--pcap`).
pub fn run_once(
    s: &Scenario,
    seed: Option<u64>,
    trace: Trace,
    show_progress: bool,
    tap: Option<crate::engine::DeliveryTap>,
) -> RunOutput {
    let bar = show_progress.then(|| {
        let bar = indicatif::ProgressBar::new(s.duration.0 / 1_000_000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} s virtual  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let started = std::time::Instant::now();
    let mut progress = |t: crate::engine::SimTime, events: u64| {
        if let Some(b) = &bar {
            b.set_position(t.0 / 1_000_000);
            let rate = events as f64 / started.elapsed().as_secs_f64().max(1e-9);
            b.set_message(format!("{rate:.0} events/s"));
        }
    };
    let mut output = sim::run::<DefaultHost>(
        s,
        RunOptions {
            seed,
            trace,
            progress: Some(&mut progress),
            tap,
        },
    );
    output.summary.theory = report::from_run::theory(&output);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    output
}

fn run_command(args: &RunArgs) -> ExitCode {
    let s = match load_scenario(&args.file, &args.set) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let pcap = match args
        .pcap
        .as_deref()
        .map(report::pcap::SharedRecorder::create)
        .transpose()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tap = pcap.as_ref().map(|p| {
        let mut record = p.tap();
        Box::new(move |t: crate::engine::SimTime, from, to, bytes: &[u8]| {
            record(std::time::Duration::from_micros(t.0), from, to, bytes)
        }) as crate::engine::DeliveryTap
    });
    let output = run_once(&s, args.seed, Trace::default(), show_progress, tap);
    if let Some(Err(e)) = pcap.map(report::pcap::SharedRecorder::finish) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if args.check_determinism {
        let again = run_once(&s, args.seed, Trace::default(), show_progress, None);
        if let Some(report) = compare_runs(&s, args.seed, &output, &again) {
            eprintln!("{report}");
            return ExitCode::from(1);
        }
        if !args.quiet {
            println!(
                "determinism: both runs gave trace hash {}",
                output.summary.trace_hash
            );
        }
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&s.name));
    if let Err(e) = results::write_all(&output, &out_dir) {
        eprintln!("error: cannot write results: {e}");
        return ExitCode::from(2);
    }
    let reproduce =
        report::from_run::reproduce_command(&args.file, output.summary.seed, &args.set, &out_dir);
    if let Err(e) = report::write_report(
        &report::from_run::report_input(&output, reproduce),
        &out_dir,
    ) {
        eprintln!("error: cannot write the report: {e}");
        return ExitCode::from(2);
    }
    print_result(&output, &out_dir, args.quiet)
}

/// `None` if two runs agree; otherwise a report naming the first diverging trace record.
pub fn compare_runs(
    s: &Scenario,
    seed: Option<u64>,
    a: &RunOutput,
    b: &RunOutput,
) -> Option<String> {
    let same_summary = results::summary_json(a).ok() == results::summary_json(b).ok();
    if a.summary.trace_hash == b.summary.trace_hash && same_summary {
        return None;
    }
    let mut report = format!(
        "NONDETERMINISM: trace hashes differ ({} vs {})",
        a.summary.trace_hash, b.summary.trace_hash
    );
    let Some((lo, hi)) = divergence_window(&a.trace, &b.trace) else {
        report.push_str(
            "; traces agree but summaries differ (a metric depends on something outside the trace)",
        );
        return Some(report);
    };
    let ca = sim::run::<DefaultHost>(
        s,
        RunOptions {
            seed,
            trace: Trace::capturing(lo, hi),
            ..RunOptions::default()
        },
    );
    let cb = sim::run::<DefaultHost>(
        s,
        RunOptions {
            seed,
            trace: Trace::capturing(lo, hi),
            ..RunOptions::default()
        },
    );
    let lines = |o: &RunOutput| {
        o.trace
            .capture()
            .map(|c| c.lines.clone())
            .unwrap_or_default()
    };
    let (la, lb) = (lines(&ca), lines(&cb));
    let first = (0..la.len().max(lb.len())).find(|&i| la.get(i) != lb.get(i));
    match first {
        Some(i) => {
            let show = |l: Option<&(u64, String)>| l.map_or("(no record)".to_string(), |(n, d)| format!("#{n}: {d}"));
            report.push_str(&format!(
                "\nfirst diverging trace record:\n  run 1 {}\n  run 2 {}",
                show(la.get(i)),
                show(lb.get(i))
            ));
        }
        None => report.push_str(&format!(
            "\ndivergence lies in trace records {lo}..={hi}, but re-runs of that window agreed (the nondeterminism is intermittent)"
        )),
    }
    Some(report)
}

fn print_result(output: &RunOutput, out_dir: &Path, quiet: bool) -> ExitCode {
    let s = &output.summary;
    if !quiet {
        let m = |k: &str| s.metrics.get(k).copied().unwrap_or(f64::NAN);
        println!(
            "{} seed {}: {} events, {} datagrams delivered, {} dropped, {:.1} s wall ({:.0} events/s, {:.0} datagrams/s)",
            s.scenario,
            s.seed,
            m("events"),
            m("datagrams_delivered"),
            m("datagrams_dropped"),
            output.timing.wall_s,
            output.timing.events_per_wall_s,
            output.timing.datagrams_per_wall_s
        );
        for w in &s.warnings {
            println!("warning: {w}");
        }
        println!("results in {}", out_dir.display());
    }
    let mut failed = false;
    for e in &s.expectations {
        if !e.pass {
            failed = true;
            println!("FAIL {} {} (measured {})", e.metric, e.bound, e.measured);
        } else if !quiet {
            println!("ok   {} {} (measured {})", e.metric, e.bound, e.measured);
        }
    }
    println!("trace hash {}", s.trace_hash);
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
