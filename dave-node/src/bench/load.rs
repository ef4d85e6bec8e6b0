//! The load generator of `dave-node bench`: one UDP socket that keeps a fixed number of GETs in
//! flight against one node and counts the answers.
//!
//! It speaks the wire format directly instead of running a second node, so that the measurement
//! is the served node's cost, not the client's. As a stranger to the node it pads every GET to
//! 480 bytes (§8 anti-amplification), exactly like a real client's first contact.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use dave_core::wire::{GetAck, MAX_DATAGRAM, Message, PADDED_GET_LEN};

/// One record to ask for.
#[derive(Clone, Debug)]
pub struct Target {
    /// Owner's public key.
    pub pubkey: [u8; 32],
    /// Record key.
    pub key: Vec<u8>,
}

/// What the load generator saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadReport {
    /// GETs sent, resends included.
    pub sent: u64,
    /// GET_ACK found answers received.
    pub found: u64,
    /// GET_ACK not-found answers received.
    pub not_found: u64,
    /// Datagrams that were not a GET_ACK.
    pub other: u64,
    /// GETs given up on after `resend_after` without an answer.
    pub lost: u64,
    /// Wall time of the measurement.
    pub elapsed: Duration,
}

impl LoadReport {
    /// Adds another client's counts; the elapsed time is the longest of the two (they ran
    /// concurrently).
    pub fn add(&mut self, other: &LoadReport) {
        self.sent += other.sent;
        self.found += other.found;
        self.not_found += other.not_found;
        self.other += other.other;
        self.lost += other.lost;
        self.elapsed = self.elapsed.max(other.elapsed);
    }
}

/// A client socket on the loopback address of `server`'s family, on any free port.
pub fn loopback_client(server: SocketAddr) -> io::Result<UdpSocket> {
    let bind: SocketAddr = if server.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    }
    .parse()
    .map_err(|_| io::Error::other("loopback address"))?;
    UdpSocket::bind(bind)
}

/// Sends GETs for `targets` (round robin) to `server`, keeping `in_flight` unanswered at once,
/// for `duration`.
pub fn run(
    server: SocketAddr,
    targets: &[Target],
    in_flight: usize,
    duration: Duration,
) -> io::Result<LoadReport> {
    let socket = loopback_client(server)?;
    let resend_after = Duration::from_millis(200);
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut report = LoadReport::default();
    if targets.is_empty() {
        return Ok(report);
    }
    let mut out = [0u8; MAX_DATAGRAM];
    let mut inbuf = [0u8; 2048];
    // Send times of unanswered GETs, oldest first. Answers are not matched to requests (any
    // answer frees the oldest slot): the node answers in order, and this is a load, not a check.
    let mut pending: VecDeque<Instant> = VecDeque::with_capacity(in_flight);
    let mut next = 0usize;
    let start = Instant::now();
    let end = start + duration;
    let mut send = |pending: &mut VecDeque<Instant>, report: &mut LoadReport| -> io::Result<()> {
        let target = &targets[next % targets.len()];
        next += 1;
        let get = Message::Get {
            pubkey: target.pubkey,
            key: &target.key,
            pad_to: PADDED_GET_LEN,
        };
        let len = get
            .encode(&mut out)
            .map_err(|e| io::Error::other(e.to_string()))?;
        socket.send_to(&out[..len], server)?;
        pending.push_back(Instant::now());
        report.sent += 1;
        Ok(())
    };
    while Instant::now() < end {
        while pending.len() < in_flight.max(1) {
            send(&mut pending, &mut report)?;
        }
        match socket.recv_from(&mut inbuf) {
            Ok((len, _)) => {
                match Message::decode(&inbuf[..len]) {
                    Ok(Message::GetAck(GetAck::Found(_))) => report.found += 1,
                    Ok(Message::GetAck(GetAck::NotFound { .. })) => report.not_found += 1,
                    _ => {
                        report.other += 1;
                        continue;
                    }
                }
                pending.pop_front();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        while pending
            .front()
            .is_some_and(|&t| now.duration_since(t) > resend_after)
        {
            pending.pop_front();
            report.lost += 1;
        }
    }
    report.elapsed = start.elapsed();
    Ok(report)
}
