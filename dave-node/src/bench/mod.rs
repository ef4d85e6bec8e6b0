//! `dave-node bench`: what one node sustains over loopback (issues 6 and 11), per number of
//! verification workers (`--verify-workers 0,1,2` measures each against a fresh node).
//!
//! - `--mode get` ([`get`]): GETs answered per second from a preloaded store.
//! - `--mode put` ([`put`]): distinct, validly signed PUTs stored per second; the records are
//!   signed and mined before the clock starts, so only the node's work is timed.
//!
//! The served node runs the real driver (socket, clock, event loop, and with workers the
//! intake thread and verification pipeline) on its own thread; the load generators speak the
//! wire format from other threads. The node's CPU time is its own thread's
//! ([`crate::platform::thread_cpu`]): with workers it excludes the verification they do, which
//! is the point of them. Speed is reported, never asserted.
//!
//! GET, measured 2026-11-25 (release build, 1000 records of 100-byte values, loopback, on a
//! shared 2-core VM with a load average of 3–5 from other builds): 36 000–51 000 GETs answered
//! per second with 64 GETs in flight, the node thread 25–45 % busy (the load generator, not the
//! node, is the bottleneck on 2 cores); 7–9 µs of node CPU per GET, of which ~1.5 µs user time
//! (decode, store lookup, encode) and ~5.5 µs kernel time (poll, recvfrom, sendto). Batching
//! syscalls (recvmmsg/sendmmsg) is where a faster driver would start.
//!
//! PUT, measured 2026-12-01 (release, 160 000 records, 64 in flight, quiet 2-core VM, load
//! ≈ 1): 15 000–17 700 PUT/s inline, 12 500–14 600 with one worker, 25 500–26 800 with two; the
//! node thread's CPU per PUT falls from ~60 µs to ~10 µs, the process's rises from ~65 µs to
//! ~73 µs (two workers) or ~95 µs (one: it sleeps and wakes per record). Table and load in the
//! README's Performance section.

pub mod get;
pub mod load;
pub mod put;
pub mod put_load;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use dave_core::config::Config;
use dave_core::dat::Dat;
use dave_core::event::Event;
use dave_core::node::Node;

use crate::cli::{BenchArgs, BenchMode};
use crate::clock::Clock;
use crate::driver::{Driver, Traffic};
use crate::error::AppError;
use crate::keyfile;
use crate::platform::{ThreadCpu, thread_cpu};
use crate::run::os_seed;
use crate::socket::Socket;
use crate::verify::{self, VerifyCache};

/// Proof-of-work of the benchmark's records: low, since mining is not what is measured.
pub const BENCH_WORK: u32 = 8;

/// Runs the benchmark once per `--verify-workers` entry, one result line each.
pub fn run(args: &BenchArgs) -> Result<(), AppError> {
    let workers: Vec<usize> = args
        .verify_workers
        .iter()
        .map(|&w| usize::from(w))
        .collect();
    match args.mode {
        BenchMode::Get => {
            for w in workers {
                get::run(args, w)?;
            }
            Ok(())
        }
        BenchMode::Put => put::run(args, &workers),
    }
}

/// The served node's configuration: cheap work, a store that never evicts.
fn bench_config() -> Config {
    Config {
        min_work: BENCH_WORK,
        shard_capacity: u64::MAX / 512,
        ..Config::default()
    }
}

/// A node under measurement, running on its own thread.
struct Served {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<std::io::Result<(Option<ThreadCpu>, Traffic)>>,
    /// The verification cache, when the node has workers.
    cache: Option<Arc<VerifyCache>>,
}

/// What the served node's thread reported when stopped.
struct ServedReport {
    cpu: Option<ThreadCpu>,
    traffic: Traffic,
    cache: Option<verify::cache::CacheStats>,
}

impl Served {
    /// Starts a node holding `records` with `workers` verification threads on a loopback port,
    /// handing each of its events to `on_event` on the node's thread.
    fn start(
        records: Vec<Dat>,
        workers: usize,
        mut on_event: impl FnMut(Event) + Send + 'static,
    ) -> Result<Served, AppError> {
        let clock = Clock::new();
        let (crypto, cache) = verify::provider(workers);
        let mut node = Node::new(
            bench_config(),
            keyfile::generate()?,
            Vec::new(),
            os_seed()?,
            crypto,
            clock.now(),
        );
        node.restore(clock.now(), records);
        let addr: SocketAddr = "127.0.0.1:0"
            .parse()
            .map_err(|_| AppError::BadArgument("addr".into()))?;
        let socket = Socket::bind(addr).map_err(|source| AppError::Bind { addr, source })?;
        let addr = socket.local_addr().map_err(AppError::Socket)?;
        let driver = match &cache {
            Some(cache) => {
                Driver::with_verification(node, socket, clock, Arc::clone(cache), workers)
                    .map_err(|e| AppError::Setup(format!("verification workers: {e}")))?
            }
            None => Driver::new(node, socket, clock),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let server_stop = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("bench-node".into())
            .spawn(move || serve(driver, &server_stop, &mut on_event))
            .map_err(|e| AppError::Setup(format!("spawn server thread: {e}")))?;
        Ok(Served {
            addr,
            stop,
            thread,
            cache,
        })
    }

    /// Stops the node and collects its numbers.
    fn finish(self) -> Result<ServedReport, AppError> {
        self.stop.store(true, Ordering::Relaxed);
        let (cpu, traffic) = self
            .thread
            .join()
            .map_err(|_| AppError::Setup("server thread panicked".into()))?
            .map_err(AppError::Socket)?;
        Ok(ServedReport {
            cpu,
            traffic,
            cache: self.cache.map(|c| c.stats()),
        })
    }
}

/// The server thread: runs the driver until `stop`, returns its CPU time and traffic. The
/// driver (and with it the pipeline's threads) is dropped here, before the thread ends.
fn serve(
    mut driver: Driver,
    stop: &AtomicBool,
    on_event: &mut impl FnMut(Event),
) -> std::io::Result<(Option<ThreadCpu>, Traffic)> {
    let start = thread_cpu();
    while !stop.load(Ordering::Relaxed) {
        driver.turn(Duration::from_millis(20), on_event)?;
    }
    let cpu = thread_cpu().zip(start).map(|(end, start)| end.since(start));
    Ok((cpu, driver.traffic()))
}

/// The node-CPU part of a result line, per `unit` (GET or PUT). On loopback most of a GET's
/// cost is the kernel's (recvfrom, sendto), and the user/system split, where the platform gives
/// it, shows how much the protocol code itself costs.
fn cpu_text(cpu: Option<ThreadCpu>, count: u64, unit: &str) -> String {
    let Some(cpu) = cpu else {
        return "node CPU not measured on this platform".to_string();
    };
    let per = |t: Duration| t.as_secs_f64() * 1e6 / count.max(1) as f64;
    let mut text = format!(
        "node CPU {:.3} s = {:.2} µs per {unit}",
        cpu.total.as_secs_f64(),
        per(cpu.total)
    );
    if let Some((user, system)) = cpu.split {
        text += &format!(" ({:.2} user + {:.2} system)", per(user), per(system));
    }
    text
}
