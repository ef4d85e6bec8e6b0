//! `dave-node bench --mode get`: GETs one node answers per second from a preloaded store.

use std::thread;

use dave_core::dat::Dat;

use super::{BENCH_WORK, Served, cpu_text, load};
use crate::cli::BenchArgs;
use crate::clock::Clock;
use crate::error::AppError;
use crate::keyfile;
use crate::run::os_seed;

/// One measurement against a fresh node with `workers` verification threads.
pub fn run(args: &BenchArgs, workers: usize) -> Result<(), AppError> {
    let writer = keyfile::generate()?;
    let now_ms = Clock::new().now().as_millis();
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
    let restored = records.len();
    let served = Served::start(records, workers, |_| {})?;
    let server_addr = served.addr;

    let duration = args.seconds;
    let load = thread::scope(|scope| {
        let clients: Vec<_> = (0..args.clients)
            .map(|_| scope.spawn(|| load::run(server_addr, &targets, args.in_flight, duration)))
            .collect();
        let mut total = load::LoadReport::default();
        for client in clients {
            let report = client
                .join()
                .map_err(|_| std::io::Error::other("load thread panicked"))??;
            total.add(&report);
        }
        Ok::<_, std::io::Error>(total)
    });
    let report = served.finish()?;
    let load = load.map_err(AppError::Socket)?;

    let answered = load.found + load.not_found;
    let secs = load.elapsed.as_secs_f64();
    let traffic = report.traffic;
    println!(
        "get, verify_workers={workers}: restored {restored} records; {} GETs answered in {:.2} s \
         = {:.0} GET/s (found {}, not found {}, lost {}); {}; node received {} sent {} dropped {}",
        answered,
        secs,
        answered as f64 / secs,
        load.found,
        load.not_found,
        load.lost,
        cpu_text(report.cpu, answered, "GET"),
        traffic.received,
        traffic.sent,
        traffic.send_dropped + traffic.rx_dropped,
    );
    Ok(())
}
