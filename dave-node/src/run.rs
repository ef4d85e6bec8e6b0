//! `dave-node run`: a long-running node until SIGINT or SIGTERM.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dave_core::node::Node;
use tracing::{info, warn};

use crate::backup::BackupOptions;
use crate::cli::RunArgs;
use crate::clock::Clock;
use crate::driver::Driver;
use crate::error::AppError;
use crate::persist::Persister;
use crate::socket::Socket;
use crate::{keyfile, metrics, status, verify};

/// Longest a turn waits, so a signal is noticed promptly even while the node sleeps.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Runs a node as `args` says until a termination signal, then flushes the backup and returns.
pub fn run(args: &RunArgs) -> Result<(), AppError> {
    // First, so that a signal during a long restore still ends in an orderly shutdown.
    let shutdown = register_shutdown()?;
    let key = keyfile::read(&args.key)?;
    if keyfile::readable_by_others(&args.key) {
        warn!(file = %args.key.display(), "key file is readable by other users (chmod 600 it)");
    }
    let socket = Socket::bind(args.listen).map_err(|source| AppError::Bind {
        addr: args.listen,
        source,
    })?;
    let config = args.config()?;
    let clock = Clock::new();
    let workers = args.verify_workers();
    let (crypto, cache) = verify::provider(workers);
    let mut node = Node::new(
        config,
        key,
        args.edge.clone(),
        os_seed()?,
        crypto,
        clock.now(),
    );
    let mut persister = match &args.backup {
        Some(path) => {
            let options = BackupOptions {
                sync_every: Duration::from_millis(args.sync_every_ms),
                ..BackupOptions::default()
            };
            Some(
                Persister::open(path, options, &mut node, clock.now())
                    .map_err(AppError::BackupOpen)?,
            )
        }
        None => None,
    };
    let mut driver = match cache {
        Some(cache) => Driver::with_verification(node, socket, clock, cache, workers)
            .map_err(|e| AppError::Setup(format!("verification workers: {e}")))?,
        None => Driver::new(node, socket, clock),
    };
    let metrics = match args.metrics {
        Some(addr) => {
            let shared = metrics::Shared::default();
            let bound = metrics::serve(addr, Arc::clone(&shared))
                .map_err(|source| AppError::BindMetrics { addr, source })?;
            info!(%bound, "metrics at http://{bound}/metrics");
            Some(shared)
        }
        None => None,
    };
    info!(
        listen = %args.listen,
        pubkey = %hex::encode(driver.node().public_key()),
        edges = ?args.edge,
        verify_workers = workers,
        "node started"
    );

    let outcome = serve(
        &mut driver,
        persister.as_mut(),
        &shutdown,
        args.status_every,
        metrics.as_ref(),
    );
    info!("shutting down");
    // Flush the backup even when the loop failed: what the store accepted must be durable.
    if let Some(p) = persister {
        p.close(driver.node()).map_err(AppError::Backup)?;
    }
    status::log_status(driver.node(), driver.traffic());
    outcome?;
    info!("stopped");
    Ok(())
}

/// The main loop: turns of the driver, backup upkeep and status lines until `shutdown`.
fn serve(
    driver: &mut Driver,
    mut persister: Option<&mut Persister>,
    shutdown: &AtomicBool,
    status_every: Duration,
    metrics: Option<&metrics::Shared>,
) -> Result<(), AppError> {
    let mut next_status = Instant::now() + status_every;
    let mut next_publish = Instant::now();
    let mut challenges = metrics::Challenges::default();
    while !shutdown.load(Ordering::Relaxed) {
        let now = Instant::now();
        let mut wait = SIGNAL_CHECK.min(next_status.saturating_duration_since(now));
        if let Some(deadline) = persister.as_ref().and_then(|p| p.deadline()) {
            wait = wait.min(deadline.saturating_duration_since(now));
        }
        let mut on_event = |event: dave_core::event::Event| {
            status::log_event(&event);
            challenges.count(&event);
            if let Some(p) = persister.as_mut() {
                p.on_event(&event, Instant::now());
            }
        };
        driver.turn(wait, &mut on_event).map_err(AppError::Socket)?;
        let now = Instant::now();
        if let Some(p) = persister.as_mut() {
            p.maintain(driver.node(), now).map_err(AppError::Backup)?;
        }
        if let Some(shared) = metrics
            && now >= next_publish
        {
            let backup = persister
                .as_ref()
                .map(|p| (p.file_len(), p.live_records() as u64));
            let snapshot =
                metrics::Snapshot::of(driver.node(), driver.traffic(), challenges, backup);
            if let Ok(mut latest) = shared.lock() {
                *latest = snapshot;
            }
            next_publish = now + metrics::PUBLISH_EVERY;
        }
        if now >= next_status {
            status::log_status(driver.node(), driver.traffic());
            next_status = now + status_every;
        }
    }
    Ok(())
}

/// A 32-byte RNG seed from the operating system.
pub fn os_seed() -> Result<[u8; 32], AppError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| AppError::Setup(format!("OS randomness: {e}")))?;
    Ok(seed)
}

/// A flag set by SIGINT or SIGTERM.
fn register_shutdown() -> Result<Arc<AtomicBool>, AppError> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .map_err(|e| AppError::Setup(format!("signal handler: {e}")))?;
    }
    Ok(flag)
}
