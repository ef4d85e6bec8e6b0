//! `dave-node run --metrics ADDR`: the node's state in the Prometheus text exposition format
//! (version 0.0.4), served over plain HTTP at `http://ADDR/metrics`, so an operator can graph a
//! node with the tools they already use (Prometheus, VictoriaMetrics, Grafana Agent, …).
//!
//! The node is single-threaded and not `Sync`, so the main loop publishes a [`Snapshot`] of what
//! it measures at most every [`PUBLISH_EVERY`]; a small std `TcpListener` thread answers scrapes
//! from the latest snapshot. A scrape therefore never touches the node, and the node never
//! waits for a scraper. README §"Running a real node" lists every series.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use dave_core::event::{ChallengeFailure, Event, RejectKind};
use dave_core::node::Node;
use dave_core::peers::PeerState;

use crate::driver::{OPS, Traffic};

/// Longest a scrape may see stale numbers (Prometheus scrapes every 15 s or so by default).
pub const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// How long a scraper may take to send its request or read the answer before it is dropped,
/// so a stalled client cannot hold the responder.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);

/// Largest request head read; a scrape is one short line and a few headers.
const MAX_REQUEST: usize = 8 * 1024;

/// Challenge outcomes, as counted from the node's events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Challenges {
    /// Peers that answered with the record.
    pub passed: u64,
    /// Answered not-found.
    pub not_found: u64,
    /// Answered with a record failing §3.
    pub invalid: u64,
    /// Answered with an older version than the one pushed.
    pub stale: u64,
    /// Did not answer in time.
    pub timeout: u64,
}

impl Challenges {
    /// Counts a challenge event; other events are ignored.
    pub fn count(&mut self, event: &Event) {
        match event {
            Event::ChallengePassed { .. } => self.passed += 1,
            Event::ChallengeFailed { reason, .. } => match reason {
                ChallengeFailure::NotFound => self.not_found += 1,
                ChallengeFailure::Invalid => self.invalid += 1,
                ChallengeFailure::Stale => self.stale += 1,
                ChallengeFailure::Timeout => self.timeout += 1,
            },
            _ => {}
        }
    }
}

/// Everything one scrape reports, copied out of the node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Peers in the table and candidates, by state: candidate, verified (not active), active.
    pub peers_by_state: [u64; 3],
    /// Configured edge peers among them.
    pub edges: u64,
    /// Records stored.
    pub records: u64,
    /// Bytes charged against the store (key + value + per-record overhead).
    pub stored_bytes: u64,
    /// Lookups running.
    pub lookups: u64,
    /// Datagram counters of the driver.
    pub traffic: Traffic,
    /// Rejected datagrams by reason, in [`RejectKind::ALL`] order.
    pub rejections: [u64; RejectKind::ALL.len()],
    /// Storage challenge outcomes.
    pub challenges: Challenges,
    /// Backup file: `(bytes, live records)`, `None` without `--backup`.
    pub backup: Option<(u64, u64)>,
}

impl Snapshot {
    /// Copies the node's numbers.
    pub fn of(
        node: &Node,
        traffic: Traffic,
        challenges: Challenges,
        backup: Option<(u64, u64)>,
    ) -> Self {
        let mut peers_by_state = [0; 3];
        let mut edges = 0;
        for peer in node.peers() {
            let i = match peer.state {
                PeerState::Candidate => 0,
                PeerState::Verified => 1,
                PeerState::Active => 2,
            };
            peers_by_state[i] += 1;
            edges += u64::from(peer.is_edge);
        }
        let mut rejections = [0; RejectKind::ALL.len()];
        for (slot, (_, n)) in rejections.iter_mut().zip(node.rejections().iter()) {
            *slot = n;
        }
        Snapshot {
            peers_by_state,
            edges,
            records: node.record_count() as u64,
            stored_bytes: node.stored_bytes(),
            lookups: node.lookups_in_progress() as u64,
            traffic,
            rejections,
            challenges,
            backup,
        }
    }
}

/// `UnexpectedPong` → `unexpected_pong`: label values in Prometheus' snake_case style.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes one metric family: HELP, TYPE and its samples `(labels, value)`.
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

fn single(value: u64) -> Vec<(String, u64)> {
    vec![(String::new(), value)]
}

/// The snapshot in the Prometheus text format.
pub fn encode(s: &Snapshot) -> String {
    let mut out = String::with_capacity(4096);
    let states = ["candidate", "verified", "active"];
    family(
        &mut out,
        "dave_node_peers",
        "gauge",
        "Peers by state: candidate (heard of), verified (key pinned), active.",
        &states
            .iter()
            .zip(s.peers_by_state)
            .map(|(state, n)| (format!("state=\"{state}\""), n))
            .collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "dave_node_edge_peers",
        "gauge",
        "Configured edge peers in the table.",
        &single(s.edges),
    );
    family(
        &mut out,
        "dave_node_records",
        "gauge",
        "Records stored.",
        &single(s.records),
    );
    family(
        &mut out,
        "dave_node_stored_bytes",
        "gauge",
        "Bytes charged against the store: key, value and per-record overhead.",
        &single(s.stored_bytes),
    );
    family(
        &mut out,
        "dave_node_lookups_in_progress",
        "gauge",
        "Lookups (GET, PUT, refresh) running.",
        &single(s.lookups),
    );
    let by_op = |counts: &[u64; OPS.len()]| {
        OPS.iter()
            .zip(counts)
            .map(|(op, n)| (format!("op=\"{op}\""), *n))
            .collect::<Vec<_>>()
    };
    family(
        &mut out,
        "dave_node_datagrams_received_total",
        "counter",
        "Datagrams received and handed to the node, by op byte.",
        &by_op(&s.traffic.received_by_op),
    );
    family(
        &mut out,
        "dave_node_datagrams_sent_total",
        "counter",
        "Datagrams sent, by op byte.",
        &by_op(&s.traffic.sent_by_op),
    );
    family(
        &mut out,
        "dave_node_datagrams_send_dropped_total",
        "counter",
        "Datagrams dropped because the socket's send buffer was full.",
        &single(s.traffic.send_dropped),
    );
    family(
        &mut out,
        "dave_node_datagrams_send_failed_total",
        "counter",
        "Datagrams the OS refused to send (unreachable, permission).",
        &single(s.traffic.send_failed),
    );
    family(
        &mut out,
        "dave_node_datagrams_rx_dropped_total",
        "counter",
        "Datagrams dropped between the intake thread and the node because the verification pipeline was full.",
        &single(s.traffic.rx_dropped),
    );
    family(
        &mut out,
        "dave_node_records_verified_ahead_total",
        "counter",
        "Incoming records by who verified the signature: a worker ahead of the node (queued) or, the workers being full, the node itself (skipped).",
        &[
            ("queued", s.traffic.verify_queued),
            ("skipped", s.traffic.verify_skipped),
        ]
        .iter()
        .map(|(outcome, n)| (format!("outcome=\"{outcome}\""), *n))
        .collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "dave_node_datagrams_rejected_total",
        "counter",
        "Datagrams the node rejected, by reason (docs/protocol.md; malformed ones are dropped and counted).",
        &RejectKind::ALL
            .iter()
            .zip(s.rejections)
            .map(|(kind, n)| (format!("reason=\"{}\"", snake(&format!("{kind:?}"))), n))
            .collect::<Vec<_>>(),
    );
    let c = s.challenges;
    family(
        &mut out,
        "dave_node_challenges_total",
        "counter",
        "Storage challenges this node sent, by result.",
        &[
            ("passed", c.passed),
            ("not_found", c.not_found),
            ("invalid", c.invalid),
            ("stale", c.stale),
            ("timeout", c.timeout),
        ]
        .iter()
        .map(|(result, n)| (format!("result=\"{result}\""), *n))
        .collect::<Vec<_>>(),
    );
    if let Some((bytes, records)) = s.backup {
        family(
            &mut out,
            "dave_node_backup_bytes",
            "gauge",
            "Size of the backup log file.",
            &single(bytes),
        );
        family(
            &mut out,
            "dave_node_backup_records",
            "gauge",
            "Live records in the backup log.",
            &single(records),
        );
    }
    out
}

/// The latest snapshot, shared between the node's loop and the responder.
pub type Shared = Arc<Mutex<Snapshot>>;

/// Binds `addr` and answers scrapes from `shared` on a background thread. Binding happens here,
/// so a port in use is an error at start.
pub fn serve(addr: SocketAddr, shared: Shared) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for stream in listener.incoming() {
                // One scrape at a time: scrapes are rare and answering takes microseconds.
                let Ok(stream) = stream else { continue };
                if let Err(e) = answer(stream, &shared) {
                    tracing::debug!(error = %e, "metrics scrape failed");
                }
            }
        })?;
    Ok(bound)
}

/// Reads one request and answers it: `GET /metrics` (or `/`) gets the text format, any other
/// path 404, any other method 405.
fn answer(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics" | "/") => {
            let snapshot = shared.lock().map(|s| s.clone()).unwrap_or_default();
            (
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                encode(&snapshot),
            )
        }
        ("GET" | "HEAD", _) => ("404 Not Found", "text/plain", "see /metrics\n".to_string()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "only GET\n".to_string(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if method != "HEAD" {
        response += &body;
    }
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_names_are_snake_case() {
        assert_eq!(snake("UnexpectedPong"), "unexpected_pong");
        assert_eq!(snake("Malformed"), "malformed");
    }

    #[test]
    fn every_family_has_help_type_and_well_formed_samples() {
        let mut s = Snapshot {
            peers_by_state: [1, 2, 3],
            records: 7,
            backup: Some((4096, 7)),
            ..Snapshot::default()
        };
        s.traffic.received_by_op[0] = 5;
        s.rejections[0] = 2;
        s.challenges.timeout = 1;
        let text = encode(&s);
        assert!(
            text.contains("dave_node_peers{state=\"active\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("dave_node_datagrams_received_total{op=\"ping\"} 5\n"));
        assert!(text.contains("dave_node_datagrams_rejected_total{reason=\"malformed\"} 2\n"));
        assert!(text.contains("dave_node_challenges_total{result=\"timeout\"} 1\n"));
        assert!(text.contains("dave_node_backup_bytes 4096\n"));
        let mut typed = std::collections::BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_string());
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<u64>().is_ok(), "{line}");
            let name = series.split('{').next().unwrap();
            assert!(typed.contains(name), "{name} has no TYPE line");
        }
        let without_backup = encode(&Snapshot::default());
        assert!(!without_backup.contains("dave_node_backup_bytes"));
    }
}
