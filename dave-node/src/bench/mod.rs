//! `dave-node bench`: GETs one node serves per second over loopback, and that node's CPU time
//! per GET (issue 6).
//!
//! The served node runs the real driver (socket, clock, event loop) on its own thread, preloaded
//! with records through `Node::restore`; the load generator ([`load`]) keeps a window of GETs in
//! flight from another thread. The node's CPU time is the thread's own ([`crate::platform::thread_cpu`]),
//! so the load generator's work is not charged to it. Speed is reported, never asserted.
//!
//! Measured 2026-11-25 (release build, 1000 records of 100-byte values, loopback, on a shared
//! 2-core VM with a load average of 3–5 from other builds): 36 000–51 000 GETs answered per
//! second with 64 GETs in flight, the node thread 25–45 % busy (the load generator, not the node,
//! is the bottleneck on 2 cores); 7–9 µs of node CPU per GET, of which ~1.5 µs user time (decode,
//! store lookup, encode) and ~5.5 µs kernel time (poll, recvfrom, sendto). Batching syscalls
//! (recvmmsg/sendmmsg) is where a faster driver would start.

pub mod load;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use dave_core::config::Config;
use dave_core::crypto::{Crypto, DirectCrypto};
use dave_core::dat::Dat;
use dave_core::node::Node;

use crate::cli::BenchArgs;
use crate::clock::Clock;
use crate::driver::{Driver, Traffic};
use crate::error::AppError;
use crate::keyfile;
use crate::platform::{ThreadCpu, thread_cpu};
use crate::run::os_seed;
use crate::socket::Socket;

/// Proof-of-work of the preloaded records: low, since mining is not what is measured.
const BENCH_WORK: u32 = 8;

/// Runs the benchmark and prints one line of results.
pub fn run(args: &BenchArgs) -> Result<(), AppError> {
    let writer = keyfile::generate()?;
    let clock = Clock::new();
    let now_ms = clock.now().as_millis();
    let value = vec![b'v'; args.value_bytes];
    let mut records = Vec::with_capacity(args.records);
    for i in 0..args.records.max(1) {
        let dat = Dat::new(
            &writer,
            format!("bench-{i}").as_bytes(),
            &value,
            now_ms,
            BENCH_WORK,
            1,
            os_seed()?[..16].try_into().unwrap_or([0; 16]),
        )
        .map_err(|e| AppError::BadArgument(format!("record: {e}")))?;
        records.push(dat);
    }
    let targets: Vec<load::Target> = records
        .iter()
        .map(|d| load::Target {
            pubkey: d.pubkey,
            key: d.key.clone(),
        })
        .collect();

    let config = Config {
        min_work: BENCH_WORK,
        shard_capacity: u64::MAX / 512,
        ..Config::default()
    };
    let server_key = keyfile::generate()?;
    let crypto: Arc<dyn Crypto> = Arc::new(DirectCrypto);
    let mut node = Node::new(
        config,
        server_key,
        Vec::new(),
        os_seed()?,
        crypto,
        clock.now(),
    );
    let report = node.restore(clock.now(), records);
    let addr: SocketAddr = "127.0.0.1:0"
        .parse()
        .map_err(|_| AppError::BadArgument("addr".into()))?;
    let socket = Socket::bind(addr).map_err(|source| AppError::Bind { addr, source })?;
    let server_addr = socket.local_addr().map_err(AppError::Socket)?;
    let stop = Arc::new(AtomicBool::new(false));
    let server_stop = Arc::clone(&stop);
    let server = thread::Builder::new()
        .name("bench-node".into())
        .spawn(move || serve(Driver::new(node, socket, clock), &server_stop))
        .map_err(|e| AppError::Setup(format!("spawn server thread: {e}")))?;

    let duration = args.seconds;
    let load = thread::scope(|scope| {
        let workers: Vec<_> = (0..args.clients)
            .map(|_| scope.spawn(|| load::run(server_addr, &targets, args.in_flight, duration)))
            .collect();
        let mut total = load::LoadReport::default();
        for worker in workers {
            let report = worker
                .join()
                .map_err(|_| std::io::Error::other("load thread panicked"))??;
            total.add(&report);
        }
        Ok::<_, std::io::Error>(total)
    });
    stop.store(true, Ordering::Relaxed);
    let (cpu, traffic) = server
        .join()
        .map_err(|_| AppError::Setup("server thread panicked".into()))?
        .map_err(AppError::Socket)?;
    let load = load.map_err(AppError::Socket)?;

    let answered = load.found + load.not_found;
    let secs = load.elapsed.as_secs_f64();
    println!(
        "restored {:?}; {} GETs answered in {:.2} s = {:.0} GET/s (found {}, not found {}, lost {}); \
         {}; node received {} sent {} dropped {}",
        report,
        answered,
        secs,
        answered as f64 / secs,
        load.found,
        load.not_found,
        load.lost,
        cpu_text(cpu, answered),
        traffic.received,
        traffic.sent,
        traffic.send_dropped,
    );
    Ok(())
}

/// The server thread: runs the driver until `stop`, returns its CPU time and traffic.
fn serve(mut driver: Driver, stop: &AtomicBool) -> std::io::Result<(Option<ThreadCpu>, Traffic)> {
    let start = thread_cpu();
    while !stop.load(Ordering::Relaxed) {
        driver.turn(Duration::from_millis(20), &mut |_| {})?;
    }
    let cpu = thread_cpu().zip(start).map(|(end, start)| end.since(start));
    Ok((cpu, driver.traffic()))
}

/// The node-CPU part of the result line. On loopback most of a GET's cost is the kernel's
/// (recvfrom, sendto), and the user/system split, where the platform gives it, shows how much
/// the protocol code itself costs.
fn cpu_text(cpu: Option<ThreadCpu>, answered: u64) -> String {
    let Some(cpu) = cpu else {
        return "node CPU not measured on this platform".to_string();
    };
    let per_get = |t: Duration| t.as_secs_f64() * 1e6 / answered.max(1) as f64;
    let mut text = format!(
        "node CPU {:.3} s = {:.2} µs per GET",
        cpu.total.as_secs_f64(),
        per_get(cpu.total)
    );
    if let Some((user, system)) = cpu.split {
        text += &format!(
            " ({:.2} user + {:.2} system)",
            per_get(user),
            per_get(system)
        );
    }
    text
}
