//! `dave-sim bench`: engine throughput on echo hosts (no protocol work), so the cost of the
//! engine and network models alone is visible; with `--scenario FILE`, the protocol at scale
//! instead (see [`crate::bench_scale`]). Measured here, never asserted in tests.

use std::process::ExitCode;
use std::time::Instant;

use crate::engine::host::EchoHost;
use crate::engine::trace::Trace;
use crate::engine::{Engine, SimTime};
use crate::network::{Network, addr};
use crate::scenario::{LatencySpec, LossSpec, NetworkSpec, Probability, SimDuration};

/// Arguments of `bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Echo hosts.
    #[arg(long, default_value_t = 500)]
    pub nodes: u32,
    /// Peers each host pings in turn.
    #[arg(long, default_value_t = 8)]
    pub peers: u32,
    /// Milliseconds between two pings of one host.
    #[arg(long, default_value_t = 10)]
    pub interval_ms: u64,
    /// Virtual seconds to simulate.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// The scale benchmark with real nodes (`--scenario`, `--sizes`, `--set`).
    #[command(flatten)]
    pub scale: crate::bench_scale::ScaleArgs,
}

/// What a benchmark measured.
#[derive(Debug, Clone, Copy)]
pub struct BenchResult {
    /// Engine events.
    pub events: u64,
    /// Datagrams delivered.
    pub delivered: u64,
    /// Wall time, s.
    pub wall_s: f64,
}

/// Runs the echo benchmark: log-normal latency, 1 % loss, uniform jitter.
pub fn run_bench(args: &BenchArgs) -> BenchResult {
    let n = args.nodes.max(2);
    let spec = NetworkSpec {
        latency: LatencySpec::LogNormal {
            median: SimDuration::from_millis(40),
            sigma: crate::scenario::Positive(0.4),
        },
        jitter: SimDuration::from_millis(5),
        loss: LossSpec::Bernoulli(Probability(0.01)),
        ..NetworkSpec::default()
    };
    let addrs = addr::plan(n, n, n);
    let network = Network::new(crate::sim::net_params::network_params(&spec), n as usize, 1);
    let mut engine: Engine<EchoHost, ()> =
        Engine::new(network, addrs.clone(), Vec::new(), Trace::default());
    let interval = args.interval_ms.max(1) * 1000;
    for i in 0..n {
        let peers = (1..=args.peers)
            .map(|k| addrs[((i + k) % n) as usize])
            .collect();
        engine.start(
            i,
            EchoHost::new(peers, interval, 200, u64::from(i) * interval / u64::from(n)),
        );
    }
    let started = Instant::now();
    let end = SimTime(args.seconds * 1_000_000);
    // A no-op action every 100 ms lets the loop drain host events, as a real driver does.
    let mut t = 0;
    while t < end.0 {
        engine.schedule(SimTime(t), ());
        t += 100_000;
    }
    let mut sink = Vec::new();
    while engine.next_action(end).is_some() {
        engine.take_events(&mut sink);
    }
    BenchResult {
        events: engine.events_processed(),
        delivered: engine.stats().delivered,
        wall_s: started.elapsed().as_secs_f64(),
    }
}

/// The `bench` subcommand.
pub fn bench_command(args: &BenchArgs) -> ExitCode {
    println!("{}", crate::huge_pages::heap_line());
    if let Some(file) = &args.scale.scenario {
        return match crate::bench_scale::scale_command(file, &args.scale) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        };
    }
    let r = run_bench(args);
    println!(
        "bench: {} echo hosts, {} virtual s: {} events, {} datagrams in {:.2} s wall = {:.0} events/s, {:.0} datagrams/s",
        args.nodes,
        args.seconds,
        r.events,
        r.delivered,
        r.wall_s,
        r.events as f64 / r.wall_s.max(1e-9),
        r.delivered as f64 / r.wall_s.max(1e-9)
    );
    ExitCode::SUCCESS
}
