//! The same population in dave-sim: the scenario run in-process with real `dave_core` nodes,
//! exactly as `dave-sim run` runs it (metrics collection included, so dave-sim does the more
//! work of the two).

use std::time::Instant;

use dave_sim::scenario::Scenario;
use dave_sim::sim::{self, DefaultHost, RunOptions};

use crate::report::{self, Measured};

/// Runs `s` to its end and measures it.
pub fn run(s: &Scenario) -> Measured {
    let started = Instant::now();
    let cpu_before = report::cpu_seconds();
    let out = sim::run::<DefaultHost>(s, RunOptions::default());
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = report::cpu_seconds() - cpu_before;
    let metric = |name: &str| out.summary.metrics.get(name).copied().unwrap_or(0.0);
    // The last sample (taken at the end) of the evenly spaced nodes whose tables are recorded:
    // the verified-and-active count the turmoil side computes over every node.
    let end = out.peers.iter().map(|p| p.time_s).fold(0.0, f64::max);
    let last: Vec<_> = out
        .peers
        .iter()
        .filter(|p| p.time_s == end && p.up)
        .collect();
    let table_mean = last
        .iter()
        .map(|p| f64::from(p.verified + p.active))
        .sum::<f64>()
        / last.len().max(1) as f64;
    Measured {
        wall_s,
        cpu_s,
        virtual_s: s.duration.0 as f64 / 1e6,
        delivered: metric("datagrams_delivered") as u64,
        sent: metric("datagrams_delivered") as u64 + metric("datagrams_dropped") as u64,
        send_failed: 0,
        started: metric("nodes_up_end") as usize,
        active_mean: metric("active_peers_mean"),
        table_mean,
    }
}
