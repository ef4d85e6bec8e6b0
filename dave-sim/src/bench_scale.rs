//! `dave-sim bench --scenario FILE --sizes 1000,10000`: the protocol at scale. Runs a scenario
//! (normally `scenarios/scale-10k.json`) once per population size with real `dave_core` nodes
//! and prints delivered datagrams per wall second, events per wall second, peak memory per
//! node and the share of the wall time spent in crypto.
//!
//! Peak memory is the process's peak resident set (VmHWM) after the run minus the resident set
//! before it, divided by the node count; the peak is reset between sizes (Linux
//! `/proc/self/clear_refs`), so each size is measured on its own. The crypto share is an
//! estimate: the run's signature and verification counts times each operation's cost measured
//! just before in this process, over the run's wall time. CPU time (the thread's, from
//! `/proc/thread-self/schedstat`) is printed beside wall time: on a loaded machine only it is
//! comparable between runs. Measured here, never asserted in tests.

use std::path::PathBuf;
use std::time::Instant;

use dave_core::crypto::{Crypto, DirectCrypto};
use ed25519_dalek::SigningKey;

use crate::cli::load_scenario;
use crate::crypto_memo::MemoCrypto;
use crate::crypto_model::{CryptoMode, ModeledCrypto};
use crate::scenario::Scenario;
use crate::sim::{self, DefaultHost, RunOptions, output::peak_rss_bytes};

/// The scale part of `bench`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ScaleArgs {
    /// Run this scenario with real nodes instead of the echo benchmark.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Population sizes to run the scenario at (`nodes.count`).
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    pub sizes: Vec<u32>,
    /// Override a scenario value, as with `run` (repeatable), e.g. `--set crypto=ed25519`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// What one size measured.
#[derive(Debug, Clone, Copy)]
pub struct ScaleResult {
    /// Nodes.
    pub nodes: u32,
    /// Wall time, s.
    pub wall_s: f64,
    /// CPU time of the simulating thread, s (0 if unknown). On a shared machine wall time
    /// includes waiting for a core; CPU time is what one idle core would need.
    pub cpu_s: f64,
    /// Engine events.
    pub events: u64,
    /// Datagrams delivered.
    pub delivered: u64,
    /// Peak memory added by the run, bytes per node.
    pub bytes_per_node: f64,
    /// Estimated share of the wall time in signing and verifying.
    pub crypto_share: f64,
}

/// Per-operation crypto costs, s.
struct CryptoCosts {
    sign: f64,
    verify: f64,
    cached: f64,
}

fn time_per_call(calls: u32, mut f: impl FnMut(u32)) -> f64 {
    let started = Instant::now();
    for i in 0..calls {
        f(i);
    }
    started.elapsed().as_secs_f64() / f64::from(calls)
}

fn crypto_costs(mode: CryptoMode) -> CryptoCosts {
    let key = SigningKey::from_bytes(&[7; 32]);
    let pubkey = key.verifying_key().to_bytes();
    let digest = |i: u32| {
        let mut d = [0u8; 32];
        d[..4].copy_from_slice(&i.to_le_bytes());
        d
    };
    match mode {
        CryptoMode::Modeled => {
            let m = ModeledCrypto::for_seed(1);
            let sig = m.sign(&key, &digest(0));
            CryptoCosts {
                sign: time_per_call(100_000, |i| {
                    std::hint::black_box(m.sign(&key, &digest(i)));
                }),
                verify: time_per_call(100_000, |i| {
                    std::hint::black_box(m.verify(&pubkey, &digest(i), &sig));
                }),
                cached: 0.0,
            }
        }
        CryptoMode::Ed25519 => {
            let memo = MemoCrypto::default();
            let sigs: Vec<[u8; 64]> = (0..300)
                .map(|i| DirectCrypto.sign(&key, &digest(i)))
                .collect();
            CryptoCosts {
                sign: time_per_call(300, |i| {
                    std::hint::black_box(memo.sign(&key, &digest(i)));
                }),
                verify: time_per_call(300, |i| {
                    let i = i as usize;
                    std::hint::black_box(memo.verify(&pubkey, &digest(i as u32), &sigs[i]));
                }),
                cached: time_per_call(30_000, |i| {
                    let i = (i % 300) as usize;
                    std::hint::black_box(memo.verify(&pubkey, &digest(i as u32), &sigs[i]));
                }),
            }
        }
    }
}

/// CPU time this thread has run, s, from `/proc/thread-self/schedstat` (ns); 0 if unknown.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// Current resident set (VmRSS), bytes; 0 if unknown.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Runs `scenario` (already sized) and measures it.
pub fn run_size(s: &Scenario) -> ScaleResult {
    let nodes = s.nodes.count;
    let costs = crypto_costs(s.crypto);
    // Resets VmHWM to the current RSS, so the peak below is this run's (Linux >= 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = rss_bytes();
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let out = sim::run::<DefaultHost>(s, RunOptions::default());
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds() - cpu_before;
    let peak = peak_rss_bytes();
    let m = |name: &str| out.summary.metrics.get(name).copied().unwrap_or(0.0);
    let crypto_s = m("signatures_made") * costs.sign
        + m("verifications_computed") * costs.verify
        + m("verifications_cached") * costs.cached;
    ScaleResult {
        nodes,
        wall_s,
        cpu_s,
        events: m("events") as u64,
        delivered: m("datagrams_delivered") as u64,
        bytes_per_node: peak.saturating_sub(before) as f64 / f64::from(nodes.max(1)),
        crypto_share: crypto_s / wall_s.max(1e-9),
    }
}

/// Runs the scale benchmark; `Err` is a message for the user (bad scenario or override).
pub fn scale_command(file: &std::path::Path, args: &ScaleArgs) -> Result<(), String> {
    let sized = |n: u32| {
        let mut set = args.set.clone();
        set.push(format!("nodes.count={n}"));
        load_scenario(file, &set).map_err(|e| e.to_string())
    };
    // Every size is checked before the first (long) run starts.
    let scenarios = args
        .sizes
        .iter()
        .map(|&n| sized(n))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = scenarios.first() else {
        return Err("--sizes: give at least one population size".to_string());
    };
    println!(
        "bench: {} ({} crypto, {} virtual), real dave-core nodes",
        file.display(),
        format!("{:?}", first.crypto).to_lowercase(),
        first.duration
    );
    for s in &scenarios {
        let r = run_size(s);
        println!(
            "{:>7} nodes: {:>9} datagrams, {:>10} events in {:>7.1} s wall ({:.1} s CPU) = {:>9.0} datagrams/s, {:>9.0} events/s ({:.0} datagrams per CPU s); peak {:>6.1} KiB/node; crypto {:>4.1} % of wall",
            r.nodes,
            r.delivered,
            r.events,
            r.wall_s,
            r.cpu_s,
            r.delivered as f64 / r.wall_s.max(1e-9),
            r.events as f64 / r.wall_s.max(1e-9),
            r.delivered as f64 / r.cpu_s.max(1e-9),
            r.bytes_per_node / 1024.0,
            100.0 * r.crypto_share
        );
    }
    Ok(())
}
