//! The I/O loop around the sans-IO core (docs/protocol.md §10): the quinn-style contract of
//! `dave_core::node::Node` made concrete with one UDP socket and the system clock.
//!
//! One turn: feed a due timer, drain transmits and events, wait on the socket until the node's
//! next deadline (or the caller's cap), then feed every waiting datagram, draining after each so
//! queues stay short. The state machine is single-threaded (the core is not `Sync`); what
//! costs more than the rest of a datagram together, verifying a record's signature, can run on
//! worker threads instead ([`Driver::with_verification`], [`crate::verify`]): an intake thread
//! then reads the socket and this thread takes datagrams from the pipeline, in arrival order,
//! instead of from the socket.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use std::sync::Arc;

use dave_core::event::Event;
use dave_core::node::Node;
use dave_core::wire::MAX_DATAGRAM;

use crate::clock::Clock;
use crate::socket::{Received, SendHalf, Socket};
use crate::verify::pipeline::INTAKE_WAIT;
use crate::verify::{Pipeline, VerifyCache};

/// Datagrams read per wake-up before timers get another look, so a flood cannot starve them.
const RECV_BATCH: usize = 256;

/// Names of the datagram kinds by op byte (docs/protocol.md §4), for the per-op counters; the last
/// counts anything else (empty datagrams, unknown ops). The same names as dave-sim's.
pub const OPS: [&str; 8] = [
    "ping",
    "pong",
    "put",
    "get",
    "get_ack",
    "getmyaddrport",
    "getmyaddrport_ack",
    "other",
];

/// Index into [`OPS`] of a datagram.
fn op_index(datagram: &[u8]) -> usize {
    datagram
        .first()
        .map_or(OPS.len() - 1, |&op| usize::from(op).min(OPS.len() - 1))
}

/// Traffic counters of one driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Datagrams received and handed to the node.
    pub received: u64,
    /// Datagrams sent.
    pub sent: u64,
    /// `received` by op, in [`OPS`] order.
    pub received_by_op: [u64; OPS.len()],
    /// `sent` by op, in [`OPS`] order.
    pub sent_by_op: [u64; OPS.len()],
    /// Datagrams dropped because the socket's send buffer was full.
    pub send_dropped: u64,
    /// Datagrams the OS refused to send (unreachable, permission); logged at debug level.
    pub send_failed: u64,
    /// Datagrams dropped between the intake thread and the node because the pipeline was full
    /// (with verification workers only).
    pub rx_dropped: u64,
    /// Records verified by a worker before the node took them.
    pub verify_queued: u64,
    /// Records the workers had no room for, verified by the node's thread itself.
    pub verify_skipped: u64,
}

/// How datagrams come in and go out.
enum Io {
    /// This thread receives and sends on the socket itself; the node verifies inline.
    Direct(Socket),
    /// An intake thread receives into the verification pipeline; this thread sends.
    Pipelined { tx: SendHalf, pipeline: Pipeline },
}

/// A node, its socket and its clock.
pub struct Driver {
    node: Node,
    io: Io,
    clock: Clock,
    traffic: Traffic,
    /// One byte larger than the largest valid datagram, so an oversized one is seen as such (and
    /// rejected by the node) rather than silently truncated into something valid-looking.
    recv_buf: Box<[u8; MAX_DATAGRAM + 1]>,
    send_buf: Box<[u8; MAX_DATAGRAM]>,
}

impl Driver {
    /// Wraps a node and a bound socket; the node verifies every record on this thread.
    pub fn new(node: Node, socket: Socket, clock: Clock) -> Self {
        Driver::with_io(node, Io::Direct(socket), clock)
    }

    /// Wraps a node whose crypto provider is `cache` and starts `workers` verification
    /// threads (at least one) that fill it ahead of the node, plus the intake thread that reads
    /// the socket. They stop when the driver is dropped.
    pub fn with_verification(
        node: Node,
        socket: Socket,
        clock: Clock,
        cache: Arc<VerifyCache>,
        workers: usize,
    ) -> io::Result<Self> {
        let (tx, rx) = socket.split(INTAKE_WAIT)?;
        let rules = node.config().verify_rules();
        let pipeline = Pipeline::start(rx, workers.max(1), cache, rules, clock)?;
        Ok(Driver::with_io(node, Io::Pipelined { tx, pipeline }, clock))
    }

    fn with_io(node: Node, io: Io, clock: Clock) -> Self {
        Driver {
            node,
            io,
            clock,
            traffic: Traffic::default(),
            recv_buf: Box::new([0; MAX_DATAGRAM + 1]),
            send_buf: Box::new([0; MAX_DATAGRAM]),
        }
    }

    /// The node, for introspection and for the caller's inputs (`put`, `get`).
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The node, mutably (issue `put`/`get`, then call [`Driver::turn`]).
    pub fn node_mut(&mut self) -> &mut Node {
        &mut self.node
    }

    /// The clock the node runs on.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The socket's bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.io {
            Io::Direct(socket) => socket.local_addr(),
            Io::Pipelined { tx, .. } => tx.local_addr(),
        }
    }

    /// Traffic so far.
    pub fn traffic(&self) -> Traffic {
        let mut traffic = self.traffic;
        if let Io::Pipelined { pipeline, .. } = &self.io {
            let counts = pipeline.counts();
            traffic.rx_dropped = counts.dropped;
            traffic.verify_queued = counts.verify_queued;
            traffic.verify_skipped = counts.verify_skipped;
        }
        traffic
    }

    /// Runs one turn (see the module docs), waiting at most `max_wait`, and hands every event
    /// the node emits to `on_event`.
    pub fn turn(&mut self, max_wait: Duration, on_event: &mut impl FnMut(Event)) -> io::Result<()> {
        let now = self.clock.now();
        if self
            .node
            .poll_timeout()
            .is_some_and(|deadline| deadline <= now)
        {
            self.node.handle_timeout(now);
        }
        self.drain(on_event);
        let wait = match self.node.poll_timeout() {
            Some(deadline) => self
                .clock
                .instant_of(deadline)
                .saturating_duration_since(Instant::now())
                .min(max_wait),
            None => max_wait,
        };
        for i in 0..RECV_BATCH {
            // Only the first receive of a turn waits; the rest drain what is already there.
            let wait = if i == 0 { wait } else { Duration::ZERO };
            let received = match &self.io {
                Io::Direct(socket) => socket.recv_within(&mut self.recv_buf[..], wait)?,
                Io::Pipelined { pipeline, .. } => {
                    pipeline.recv_within(&mut self.recv_buf[..], wait)?
                }
            };
            match received {
                Received::Datagram(len, from) => {
                    self.traffic.received += 1;
                    self.traffic.received_by_op[op_index(&self.recv_buf[..len])] += 1;
                    self.node
                        .handle_datagram(self.clock.now(), from, &self.recv_buf[..len]);
                    self.drain(on_event);
                }
                Received::Empty => break,
            }
        }
        Ok(())
    }

    /// Sends everything the node queued and passes on its events.
    pub fn drain(&mut self, on_event: &mut impl FnMut(Event)) {
        while let Some(transmit) = self.node.poll_transmit(&mut self.send_buf[..]) {
            let bytes = &self.send_buf[..transmit.len];
            let sent = match &self.io {
                Io::Direct(socket) => socket.send_to(bytes, transmit.to),
                Io::Pipelined { tx, .. } => tx.send_to(bytes, transmit.to),
            };
            match sent {
                Ok(true) => {
                    self.traffic.sent += 1;
                    self.traffic.sent_by_op[op_index(&self.send_buf[..transmit.len])] += 1;
                }
                Ok(false) => self.traffic.send_dropped += 1,
                Err(e) => {
                    // One unreachable or forbidden destination is that datagram's problem, not
                    // the node's: the protocol treats it like loss.
                    tracing::debug!(to = %transmit.to, error = %e, "send failed");
                    self.traffic.send_failed += 1;
                }
            }
        }
        while let Some(event) = self.node.poll_event() {
            on_event(event);
        }
    }
}
