//! `dave-node put` and `dave-node get`: a short-lived node that joins through an edge, runs one
//! lookup, prints the result and exits (0 found or written, 1 not found or not written, 2 bad
//! input).
//!
//! The client node has a fresh random identity each run: it is a visitor, not a member, and its
//! key must not be confused with the writer's key that signs a PUT. It runs read-only
//! (docs/protocol.md §5), so the nodes it asks answer it without adding it to their tables.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dave_core::crypto::{Crypto, DirectCrypto};
use dave_core::dat::{Dat, DatError, check_sizes};
use dave_core::event::{Event, LookupId, LookupReport};
use dave_core::node::Node;
use dave_core::peers::PeerState;
use dave_core::time::Time;

use crate::cli::{ClientArgs, GetArgs, PutArgs};
use crate::clock::Clock;
use crate::driver::Driver;
use crate::error::AppError;
use crate::keyfile;
use crate::run::os_seed;
use crate::socket::Socket;

/// Longest single wait of the client loop.
const TURN: Duration = Duration::from_millis(20);

/// `dave-node get`: prints the value and returns 0, or returns 1 when not found.
pub fn get(args: &GetArgs) -> Result<u8, AppError> {
    let pubkey = parse_pubkey(&args.pubkey)?;
    let key = args.record_key.as_bytes();
    check_sizes(key.len(), 0).map_err(|e| AppError::BadArgument(format!("record key: {e}")))?;
    let report = session(&args.client, |node, now| node.get(now, pubkey, key))?;
    match report.found {
        Some(dat) => {
            let mut out = std::io::stdout().lock();
            out.write_all(&dat.val)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| AppError::Setup(format!("stdout: {e}")))?;
            Ok(0)
        }
        None => {
            eprintln!(
                "not found ({:?} after {} queries, {} answers)",
                report.end, report.queries, report.answered
            );
            Ok(1)
        }
    }
}

/// `dave-node put`: mines and signs the record, writes it, returns 0 once it was sent to at
/// least one replica that answered the lookup, else 1.
pub fn put(args: &PutArgs) -> Result<u8, AppError> {
    let writer = keyfile::read(&args.key)?;
    let config = args.client.config()?;
    if let Some(min) = args.min_replicas.filter(|&m| m as usize > config.replicas) {
        return Err(AppError::BadArgument(format!(
            "--min-replicas {min} is more than the {} replicas a record is written to",
            config.replicas
        )));
    }
    let work = args.work.unwrap_or(config.min_work);
    if work < config.min_work {
        return Err(AppError::BadArgument(format!(
            "--work {work} is below the network's minimum of {} bits",
            config.min_work
        )));
    }
    let salt: [u8; 16] = os_seed()?[..16]
        .try_into()
        .map_err(|_| AppError::Setup("salt".into()))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let now_ms = Clock::new().now().as_millis();
    let dat = Dat::new(
        &writer,
        args.record_key.as_bytes(),
        args.value.as_bytes(),
        now_ms,
        work,
        threads,
        salt,
    )
    .map_err(|e| AppError::BadArgument(format!("record: {e}")))?;
    let report = session(&args.client, |node, now| node.put(now, dat))?;
    let outcome = put_outcome(report.replicas as usize, config.replicas, args.min_replicas);
    match &outcome {
        PutOutcome::Written(line) => println!("{line}"),
        PutOutcome::Short { written, warning } => {
            println!("{written}");
            eprintln!("warning: {warning}");
        }
        PutOutcome::Failed(line) => eprintln!("{line}"),
    }
    Ok(outcome.exit_code())
}

/// What `put` reports: how many of the REPLICAS closest nodes it wrote to.
#[derive(Debug, PartialEq, Eq)]
enum PutOutcome {
    /// All REPLICAS of them.
    Written(String),
    /// Some, fewer than REPLICAS but at least `--min-replicas`: success with a warning.
    Short { written: String, warning: String },
    /// None, or fewer than `--min-replicas`.
    Failed(String),
}

impl PutOutcome {
    fn exit_code(&self) -> u8 {
        match self {
            PutOutcome::Written(_) | PutOutcome::Short { .. } => 0,
            PutOutcome::Failed(_) => 1,
        }
    }
}

/// Judges a write to `written` nodes. The protocol has no acknowledgement (§8): "written to"
/// counts the PUTs sent to the closest nodes that answered the lookup and proved their identity;
/// the read-only client keeps no copy, so it never counts itself.
fn put_outcome(written: usize, replicas: usize, min_replicas: Option<u32>) -> PutOutcome {
    let line = format!("written to {written} of {replicas} replicas");
    let min = min_replicas.map_or(1, |m| m as usize);
    if written < min {
        let why = if written == 0 {
            "no replica answered the lookup".to_string()
        } else {
            format!("--min-replicas is {min}")
        };
        return PutOutcome::Failed(format!("not written: {line}, {why}"));
    }
    if written < replicas {
        return PutOutcome::Short {
            warning: format!(
                "only {written} of {replicas} replicas took the record (the network knows fewer \
                 nodes, or they did not answer); it is under-replicated"
            ),
            written: line,
        };
    }
    PutOutcome::Written(line)
}

/// Parses a public key given as 64 hex characters.
fn parse_pubkey(text: &str) -> Result<[u8; 32], AppError> {
    let mut pubkey = [0u8; 32];
    hex::decode_to_slice(text, &mut pubkey).map_err(|_| {
        AppError::BadArgument(format!(
            "public key {text:?} is not 64 hexadecimal characters"
        ))
    })?;
    Ok(pubkey)
}

/// Joins through the edges, starts one lookup with `start`, and waits for its report.
fn session(
    args: &ClientArgs,
    start: impl FnOnce(&mut Node, Time) -> Result<LookupId, DatError>,
) -> Result<LookupReport, AppError> {
    if args.edge.is_empty() {
        return Err(AppError::BadArgument(
            "at least one --edge is required".into(),
        ));
    }
    let socket = Socket::bind(args.listen).map_err(|source| AppError::Bind {
        addr: args.listen,
        source,
    })?;
    let clock = Clock::new();
    let crypto: Arc<dyn Crypto> = Arc::new(DirectCrypto);
    let node = Node::new(
        args.config()?,
        keyfile::generate()?,
        args.edge.clone(),
        os_seed()?,
        crypto,
        clock.now(),
    );
    let mut driver = Driver::new(node, socket, clock);
    let deadline = Instant::now() + args.timeout;

    // Join: a lookup asks verified peers, so wait for an edge's AUTH PONG first.
    while !edge_verified(driver.node(), &args.edge) {
        if Instant::now() >= deadline {
            return Err(AppError::NoAnswer(format!(
                "no answer from edge {:?} within {:?}",
                args.edge, args.timeout
            )));
        }
        driver.turn(TURN, &mut |_| {}).map_err(AppError::Socket)?;
    }

    let now = driver.clock().now();
    let id =
        start(driver.node_mut(), now).map_err(|e| AppError::BadArgument(format!("record: {e}")))?;
    let mut report = None;
    while report.is_none() {
        if Instant::now() >= deadline {
            return Err(AppError::NoAnswer(format!(
                "lookup did not finish within {:?}",
                args.timeout
            )));
        }
        driver
            .turn(TURN, &mut |event| match event {
                Event::LookupFinished(r) if r.id == id => report = Some(r),
                _ => {}
            })
            .map_err(AppError::Socket)?;
    }
    // A finished PUT lookup queues its PUT datagrams: send them before exiting.
    driver.drain(&mut |_| {});
    report.ok_or_else(|| AppError::NoAnswer("lookup ended without a report".into()))
}

/// Whether one of the configured edges has answered our AUTH PING.
fn edge_verified(node: &Node, edges: &[SocketAddr]) -> bool {
    node.peers()
        .any(|p| p.is_edge && edges.contains(&p.addr) && p.state != PeerState::Candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_reports_how_many_of_replicas_took_the_record() {
        assert_eq!(
            put_outcome(5, 5, None),
            PutOutcome::Written("written to 5 of 5 replicas".into())
        );
        let short = put_outcome(2, 5, None);
        assert_eq!(short.exit_code(), 0);
        let PutOutcome::Short { written, warning } = short else {
            panic!("{short:?}")
        };
        assert_eq!(written, "written to 2 of 5 replicas");
        assert!(warning.contains("only 2 of 5"), "{warning}");
        assert_eq!(put_outcome(2, 5, Some(2)).exit_code(), 0);
        let failed = put_outcome(2, 5, Some(3));
        assert_eq!(failed.exit_code(), 1);
        assert!(matches!(&failed, PutOutcome::Failed(l) if l.contains("--min-replicas is 3")));
        assert_eq!(put_outcome(0, 5, None).exit_code(), 1);
    }
}
