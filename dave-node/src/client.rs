//! `dave-node put` and `dave-node get`: a short-lived node that joins through an edge, runs one
//! lookup, prints the result and exits (0 found or written, 1 not found or not written, 2 bad
//! input).
//!
//! The client node has a fresh random identity each run: it is a visitor, not a member, and its
//! key must not be confused with the writer's key that signs a PUT.

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
    let config = args.client.protocol.config();
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
    // The client's own copy does not count: it exits now, and its store with it.
    if report.replicas > 0 {
        println!("written to {} replicas", report.replicas);
        Ok(0)
    } else {
        eprintln!("not written: no replica answered ({:?})", report.end);
        Ok(1)
    }
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
        args.protocol.config(),
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
