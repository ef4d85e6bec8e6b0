//! Side by side with turmoil (issue 11): the same `dave_core` nodes — same addresses, keys,
//! RNG seeds, edges, join times, config and modeled crypto — run over turmoil's simulated UDP
//! and over dave-sim, for the same virtual time, and the wall time of each is printed with the
//! ratio. Both runs also print the datagrams delivered and the mean peer table at the end, so
//! the ratio compares like with like: networks that did the same protocol work.
//!
//! ```text
//! cargo bench -p dave-sim --bench turmoil -- --sizes 50,200,500 --seconds 60 --budget 300
//! ```
//!
//! Each flag falls back to an environment variable, then to its default: `--sizes`
//! (`DAVE_TURMOIL_SIZES`, 50,200,500), `--seconds` of virtual time (`DAVE_TURMOIL_SECONDS`,
//! 60), `--budget` of wall seconds turmoil may spend on one population
//! (`DAVE_TURMOIL_BUDGET`, 300). turmoil keeps one link object per pair of hosts and visits
//! every link for every host at every 1 ms step, so its cost per virtual second grows with the
//! cube of the population; past the budget it stops and the table says how far it got.
//! Measured here, never asserted in tests.

mod over_sim;
mod over_turmoil;
mod population;
mod report;

use std::process::ExitCode;
use std::time::Duration;

/// What to run.
struct Args {
    sizes: Vec<u32>,
    seconds: u64,
    budget: u64,
}

/// `--flag VALUE` or `--flag=VALUE` from the command line, else `env`, else `default`.
/// Flags cargo adds (`--bench`) and unknown ones are ignored.
fn setting(args: &[String], flag: &str, env: &str, default: &str) -> String {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == flag {
            if let Some(v) = it.next() {
                return v.clone();
            }
        } else if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
            return v.to_string();
        }
    }
    std::env::var(env).unwrap_or_else(|_| default.to_string())
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |flag: &str, env: &str, default: &str| {
        let v = setting(&args, flag, env, default);
        v.trim()
            .parse::<u64>()
            .map_err(|e| format!("{flag} {v:?}: {e}"))
    };
    let sizes = setting(&args, "--sizes", "DAVE_TURMOIL_SIZES", "50,200,500");
    let sizes = sizes
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<u32>()
                .map_err(|e| format!("--sizes {s:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Args {
        sizes,
        seconds: number("--seconds", "DAVE_TURMOIL_SECONDS", "60")?.max(1),
        budget: number("--budget", "DAVE_TURMOIL_BUDGET", "300")?.max(1),
    })
}

fn run(args: &Args) -> Result<(), String> {
    // Every size is checked before the first (long) run starts.
    let duration = Duration::from_secs(args.seconds);
    let scenarios = args
        .sizes
        .iter()
        .map(|&n| population::scenario(n, duration))
        .collect::<Result<Vec<_>, _>>()?;
    report::header(args.seconds, args.budget);
    for s in &scenarios {
        let pop = population::Population::of(s);
        let turmoil = over_turmoil::run(&pop, duration, Duration::from_secs(args.budget))?;
        let sim = over_sim::run(s);
        // Stopped by the budget: dave-sim again over the span turmoil reached, so the two
        // networks' traffic and tables are compared at the same virtual time.
        let reached =
            Duration::from_millis((turmoil.virtual_s * 1e3) as u64).max(over_turmoil::TICK);
        let same_span = if reached < duration {
            Some(over_sim::run(&population::scenario(
                s.nodes.count,
                reached,
            )?))
        } else {
            None
        };
        report::rows(
            s.nodes.count,
            args.seconds,
            &turmoil,
            &sim,
            same_span.as_ref(),
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
