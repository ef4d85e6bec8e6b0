//! What the engine drives: a sans-IO host (docs/protocol.md §10 shape). `dave_core::Node` is one
//! through an adapter; tests and benchmarks use the small echo host below.

use std::fmt::Debug;
use std::net::SocketAddr;

use super::time::SimTime;

/// A datagram a host wants sent, written into the engine's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostTransmit {
    /// Destination.
    pub to: SocketAddr,
    /// Bytes written into the buffer.
    pub len: usize,
    /// A forged source address, for attackers; `None` sends from the host's own address.
    pub spoofed_source: Option<SocketAddr>,
}

/// A sans-IO network endpoint. All times are the host's *local* clock (virtual time plus its
/// clock offset and drift); the engine converts.
pub trait SimHost {
    /// What the host reports (lookups finished, records stored, ...). Its `Debug` text enters
    /// the trace hash, so it must be deterministic.
    type Event: Debug;

    /// A datagram arrived.
    fn handle_datagram(&mut self, now: SimTime, from: SocketAddr, bytes: &[u8]);
    /// The deadline from [`SimHost::poll_timeout`] passed.
    fn handle_timeout(&mut self, now: SimTime);
    /// Next datagram to send, written into `buf`.
    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit>;
    /// Next wake-up (local time).
    fn poll_timeout(&mut self) -> Option<SimTime>;
    /// Next event.
    fn poll_event(&mut self) -> Option<Self::Event>;
}

/// A test and benchmark host: answers every `PING` datagram with a `PONG` of the same length,
/// and every `interval` sends a `PING` of `size` bytes to the next of its `peers`
/// (round-robin). Emits an event per PONG received with the round-trip time.
#[derive(Debug, Clone)]
pub struct EchoHost {
    peers: Vec<SocketAddr>,
    next_peer: usize,
    interval: u64,
    size: usize,
    next_send: u64,
    /// (to, len) pongs waiting to be sent.
    replies: Vec<(SocketAddr, usize, [u8; 8])>,
    pending_ping: bool,
    events: Vec<EchoEvent>,
    spoof_as: Option<SocketAddr>,
}

/// What an [`EchoHost`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoEvent {
    /// A PONG came back after this many µs (local clock).
    Pong {
        /// Round trip in µs.
        rtt_us: u64,
    },
    /// A PING arrived.
    Pinged,
}

const PING: u8 = 0x50;
const PONG: u8 = 0x51;

impl EchoHost {
    /// Pings `peers` in turn every `interval_us`, first at `start_us`, with `size`-byte pings.
    pub fn new(peers: Vec<SocketAddr>, interval_us: u64, size: usize, start_us: u64) -> EchoHost {
        EchoHost {
            peers,
            next_peer: 0,
            interval: interval_us.max(1),
            size: size.max(9),
            next_send: start_us,
            replies: Vec::new(),
            pending_ping: false,
            events: Vec::new(),
            spoof_as: None,
        }
    }

    /// Makes every ping claim to come from `addr` (tests spoofing).
    pub fn spoofing(mut self, addr: SocketAddr) -> EchoHost {
        self.spoof_as = Some(addr);
        self
    }
}

impl SimHost for EchoHost {
    type Event = EchoEvent;

    fn handle_datagram(&mut self, now: SimTime, from: SocketAddr, bytes: &[u8]) {
        let Some((&op, rest)) = bytes.split_first() else {
            return;
        };
        let mut stamp = [0u8; 8];
        if rest.len() >= 8 {
            stamp.copy_from_slice(&rest[..8]);
        }
        match op {
            PING => {
                self.replies.push((from, bytes.len(), stamp));
                self.events.push(EchoEvent::Pinged);
            }
            PONG => {
                let sent = u64::from_le_bytes(stamp);
                self.events.push(EchoEvent::Pong {
                    rtt_us: now.0.saturating_sub(sent),
                });
            }
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: SimTime) {
        if now.0 >= self.next_send && !self.peers.is_empty() {
            self.pending_ping = true;
            self.next_send = now.0 + self.interval;
        }
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        if let Some((to, len, stamp)) = self.replies.pop() {
            let len = len.min(buf.len());
            buf[0] = PONG;
            buf[1..9].copy_from_slice(&stamp);
            buf[9..len].fill(0);
            return Some(HostTransmit {
                to,
                len,
                spoofed_source: None,
            });
        }
        if self.pending_ping {
            self.pending_ping = false;
            let to = self.peers[self.next_peer % self.peers.len()];
            self.next_peer += 1;
            let len = self.size.min(buf.len());
            buf[0] = PING;
            buf[1..9].copy_from_slice(&(self.next_send - self.interval).to_le_bytes());
            buf[9..len].fill(0);
            return Some(HostTransmit {
                to,
                len,
                spoofed_source: self.spoof_as,
            });
        }
        None
    }

    fn poll_timeout(&mut self) -> Option<SimTime> {
        (!self.peers.is_empty()).then_some(SimTime(self.next_send))
    }

    fn poll_event(&mut self) -> Option<EchoEvent> {
        self.events.pop()
    }
}
