//! `dave-node bench --mode put`: distinct, validly signed PUTs one node stores per second.
//!
//! Every PUT carries its own record (one writer, keys `put-0`, `put-1`, …), signed and mined at
//! [`BENCH_WORK`] bits before any clock starts (on every core: that is setup, not the
//! measurement). The same datagrams are then sent to a fresh node per worker count, so each
//! count sees exactly the same work: one strict Ed25519 verification, one work hash and one
//! store insert per PUT.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use dave_core::dat::Dat;
use dave_core::event::Event;
use dave_core::wire::{MAX_DATAGRAM, Message};

use super::put_load::{self, Progress};
use super::{BENCH_WORK, Served, cpu_text};
use crate::cli::BenchArgs;
use crate::clock::Clock;
use crate::error::AppError;
use crate::keyfile;
use crate::platform::process_cpu;

/// Signs and mines `count` records and encodes each as a PUT datagram.
fn make_puts(count: usize, value_bytes: usize) -> Result<Vec<Vec<u8>>, AppError> {
    let writer = keyfile::generate()?;
    let now_ms = Clock::new().now().as_millis();
    let value = vec![b'v'; value_bytes];
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    let one = |i: usize| -> Result<Vec<u8>, AppError> {
        let dat = Dat::new(
            &writer,
            format!("put-{i}").as_bytes(),
            &value,
            now_ms,
            BENCH_WORK,
            1,
            [0; 16],
        )
        .map_err(|e| AppError::BadArgument(format!("record: {e}")))?;
        encode(&dat)
    };
    thread::scope(|scope| {
        let parts: Vec<_> = (0..threads)
            .map(|t| {
                let one = &one;
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| one(i).map(|d| (i, d)))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(count);
        for part in parts {
            let part = part
                .join()
                .map_err(|_| AppError::Setup("record thread panicked".into()))??;
            all.extend(part);
        }
        all.sort_by_key(|(i, _)| *i);
        Ok(all.into_iter().map(|(_, d)| d).collect())
    })
}

fn encode(dat: &Dat) -> Result<Vec<u8>, AppError> {
    let mut buf = [0u8; MAX_DATAGRAM];
    let len = Message::Put(dat.as_ref())
        .encode(&mut buf)
        .map_err(|e| AppError::BadArgument(format!("PUT: {e}")))?;
    Ok(buf[..len].to_vec())
}

/// Runs the measurement once per entry of `workers`, one result line each.
pub fn run(args: &BenchArgs, workers: &[usize]) -> Result<(), AppError> {
    let started = Instant::now();
    let puts = make_puts(args.records.max(1), args.value_bytes)?;
    eprintln!(
        "signed and mined {} records in {:.1} s",
        puts.len(),
        started.elapsed().as_secs_f64()
    );
    for &w in workers {
        measure(args, &puts, w)?;
    }
    Ok(())
}

fn measure(args: &BenchArgs, puts: &[Vec<u8>], workers: usize) -> Result<(), AppError> {
    let progress = Arc::new(Progress::default());
    let counted = Arc::clone(&progress);
    let served = Served::start(Vec::new(), workers, move |event| match event {
        Event::RecordStored { .. } => counted.record(|o| o.stored += 1),
        Event::RecordRefused { .. } => counted.record(|o| o.refused += 1),
        Event::DatagramRejected { .. } => counted.record(|o| o.rejected += 1),
        _ => {}
    })?;
    let cpu_start = process_cpu();
    let load = put_load::run(served.addr, puts, args.in_flight, args.seconds, &progress);
    let process = process_cpu()
        .zip(cpu_start)
        .map(|(end, start)| end.since(start).total);
    let report = served.finish()?;
    let load = load.map_err(AppError::Socket)?;
    let outcomes = progress.outcomes();
    let secs = load.elapsed.as_secs_f64();
    let traffic = report.traffic;
    let process = match process {
        Some(cpu) => format!(
            "process CPU {:.2} s = {:.1} µs per PUT, {:.2} cores busy",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / outcomes.stored.max(1) as f64,
            cpu.as_secs_f64() / secs.max(1e-9)
        ),
        None => "process CPU not measured on this platform".to_string(),
    };
    let verified = match report.cache {
        Some(c) => format!(
            "signatures verified by workers {}, by the node {} (cache hits {}); pipeline \
             dropped {} skipped {}",
            c.warmed, c.misses, c.hits, traffic.rx_dropped, traffic.verify_skipped
        ),
        None => "signatures verified on the node's thread".to_string(),
    };
    println!(
        "put, verify_workers={workers}: {} PUTs stored in {:.2} s = {:.0} PUT/s (sent {}, \
         refused {}, rejected {}, lost {}); {}; {process}; {verified}",
        outcomes.stored,
        secs,
        outcomes.stored as f64 / secs,
        load.sent,
        outcomes.refused,
        outcomes.rejected,
        load.lost,
        cpu_text(report.cpu, outcomes.stored, "PUT"),
    );
    Ok(())
}
