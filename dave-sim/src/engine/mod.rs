//! The discrete-event engine (docs/simulator.md §"Determinism"): hosts, the virtual network and a
//! queue of events ordered by (time, sequence). The loop jumps from event to event; there is
//! no tick. Datagram buffers come from a pool, hosts write into them directly, and nothing is
//! allocated per datagram once the pool and queue have grown.
//!
//! The engine handles deliveries and host timers itself and hands every other event (driver
//! actions: workload, churn, faults, samples — the type `A`) back to its caller, which owns
//! the scenario logic and may act on hosts through [`Engine::with_host`].

pub mod fast_hash;
pub mod host;
pub mod pool;
mod prefetch;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::network::clock::Clock;
use crate::network::{DropReason, MAX_DATAGRAM, Network, Route};
use fast_hash::FastHashBuilder;
use host::SimHost;
use pool::{BUFFER_SIZE, BufferPool, Head};
use queue::EventQueue;
pub use time::SimTime;
use trace::{Trace, TraceKind, encode_addr};

/// Counters of the network's work.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Datagrams handed to the network by hosts.
    pub sent: u64,
    /// Datagrams delivered to a host.
    pub delivered: u64,
    /// Bytes delivered.
    pub bytes_delivered: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Datagrams sent with a forged source address.
    pub spoofed: u64,
    /// Drops, indexed by [`DropReason::index`].
    pub dropped: [u64; DropReason::ALL.len()],
    /// Datagrams delivered per op byte (see [`crate::network::OPS`]; the last slot is "other").
    pub delivered_by_op: [u64; crate::network::OPS.len()],
    /// Bytes delivered per op byte.
    pub bytes_by_op: [u64; crate::network::OPS.len()],
}

impl NetStats {
    /// Total drops.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

enum Item<A> {
    /// Source and length travel in the buffer's [`pool::Head`].
    Deliver {
        to: u32,
        buf: u32,
    },
    Timer {
        node: u32,
        incarnation: u32,
    },
    Action(A),
}

struct Slot<H> {
    host: Option<H>,
    addr: SocketAddr,
    clock: Clock,
    incarnation: u32,
    /// Earliest virtual time for which a timer entry is queued for this incarnation.
    timer_at: Option<u64>,
}

/// Observer of every delivered datagram `(virtual time, from, to, bytes)`, in delivery order:
/// the hook `--pcap` records traffic through.
pub type DeliveryTap = Box<dyn FnMut(SimTime, SocketAddr, SocketAddr, &[u8])>;

/// A node event with the virtual time and node index it came from.
pub struct Emitted<E> {
    /// Virtual time.
    pub time: SimTime,
    /// Node index.
    pub node: u32,
    /// The event.
    pub event: E,
}

/// The simulation engine for hosts `H` and driver actions `A`.
pub struct Engine<H: SimHost, A> {
    now: u64,
    queue: EventQueue<Item<A>>,
    slots: Vec<Slot<H>>,
    /// Address → node index. Only looked up, never iterated, so its order cannot leak.
    by_addr: HashMap<SocketAddr, u32, FastHashBuilder>,
    network: Network,
    pool: BufferPool,
    /// Where hosts write each datagram before the pool stores the ones delivered.
    scratch: Box<[u8; BUFFER_SIZE]>,
    trace: Trace,
    stats: NetStats,
    emitted: Vec<Emitted<H::Event>>,
    processed: u64,
    /// Starts and stops so far: who is up changes only when this does.
    population_changes: u64,
    text: String,
    tap: Option<DeliveryTap>,
}

impl<H: SimHost, A> Engine<H, A> {
    /// An engine with one (down) slot per address.
    pub fn new(network: Network, addrs: Vec<SocketAddr>, clocks: Vec<Clock>, trace: Trace) -> Self {
        let by_addr = addrs
            .iter()
            .enumerate()
            .map(|(i, a)| (*a, i as u32))
            .collect();
        let slots = addrs
            .into_iter()
            .zip(
                clocks
                    .into_iter()
                    .chain(std::iter::repeat(Clock::default())),
            )
            .map(|(addr, clock)| Slot {
                host: None,
                addr,
                clock,
                incarnation: 0,
                timer_at: None,
            })
            .collect();
        Engine {
            now: 0,
            queue: EventQueue::default(),
            slots,
            by_addr,
            network,
            pool: BufferPool::default(),
            scratch: Box::new([0; BUFFER_SIZE]),
            trace,
            stats: NetStats::default(),
            emitted: Vec::new(),
            processed: 0,
            population_changes: 0,
            text: String::new(),
            tap: None,
        }
    }

    /// Calls `tap` for every datagram delivered from now on.
    pub fn set_delivery_tap(&mut self, tap: DeliveryTap) {
        self.tap = Some(tap);
    }

    /// Current virtual time.
    pub fn now(&self) -> SimTime {
        SimTime(self.now)
    }

    /// Number of node slots.
    pub fn node_count(&self) -> usize {
        self.slots.len()
    }

    /// A node's address.
    pub fn addr(&self, node: u32) -> SocketAddr {
        self.slots[node as usize].addr
    }

    /// The node at an address, if any host has it (attackers' fake addresses have none).
    pub fn index_of(&self, addr: &SocketAddr) -> Option<u32> {
        self.by_addr.get(addr).copied()
    }

    /// A node's local clock reading now.
    pub fn local_now(&self, node: u32) -> SimTime {
        SimTime(self.slots[node as usize].clock.local(self.now))
    }

    /// Whether a node is up.
    pub fn is_up(&self, node: u32) -> bool {
        self.slots[node as usize].host.is_some()
    }

    /// The host of a node, read-only (for metrics).
    pub fn host(&self, node: u32) -> Option<&H> {
        self.slots[node as usize].host.as_ref()
    }

    /// How many times a host was started or stopped: drivers that derive something from who
    /// is up recompute it only when this changes.
    pub fn population_changes(&self) -> u64 {
        self.population_changes
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The network (partitions, topology).
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.network
    }

    /// Network counters.
    pub fn stats(&self) -> &NetStats {
        &self.stats
    }

    /// The trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Adds a driver record to the trace (`text` describes it).
    pub fn trace_action(&mut self, node: u32, text: &str) {
        self.trace.record(
            TraceKind::Action,
            self.now,
            &node.to_le_bytes(),
            text.as_bytes(),
            || text.to_string(),
        );
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.processed
    }

    /// Datagram buffers ever allocated (peak datagrams in flight).
    pub fn buffers_allocated(&self) -> usize {
        self.pool.allocated()
    }

    /// Schedules a driver action.
    pub fn schedule(&mut self, at: SimTime, action: A) {
        self.queue.push(at.0.max(self.now), Item::Action(action));
    }

    /// Starts a host on a node (replacing any running one) and lets it send and set a timer.
    pub fn start(&mut self, node: u32, host: H) {
        self.population_changes += 1;
        let slot = &mut self.slots[node as usize];
        slot.host = Some(host);
        slot.incarnation += 1;
        slot.timer_at = None;
        self.flush(node);
    }

    /// Stops a node; returns its host. Its timers die with it; datagrams to it are dropped.
    pub fn stop(&mut self, node: u32) -> Option<H> {
        self.population_changes += 1;
        let slot = &mut self.slots[node as usize];
        slot.incarnation += 1;
        slot.timer_at = None;
        slot.host.take()
    }

    /// Runs `f` on a node's host with its local time, then sends what it queued. `None` if down.
    pub fn with_host<R>(&mut self, node: u32, f: impl FnOnce(&mut H, SimTime) -> R) -> Option<R> {
        let local = self.local_now(node);
        let host = self.slots[node as usize].host.as_mut()?;
        let r = f(host, local);
        self.flush(node);
        Some(r)
    }

    /// Moves the node events emitted so far into `out` (which is cleared first).
    pub fn take_events(&mut self, out: &mut Vec<Emitted<H::Event>>) {
        out.clear();
        std::mem::swap(out, &mut self.emitted);
    }

    /// Processes events up to and including `until`, returning at the first driver action
    /// (with its time) or `None` once no event at or before `until` remains.
    pub fn next_action(&mut self, until: SimTime) -> Option<(SimTime, A)> {
        while let Some(t) = self.queue.peek_time() {
            if t > until.0 {
                break;
            }
            let Some((t, item)) = self.queue.pop() else {
                break;
            };
            self.now = t;
            self.processed += 1;
            self.warm_next();
            match item {
                Item::Deliver { to, buf } => self.deliver(to, buf),
                Item::Timer { node, incarnation } => self.fire_timer(node, incarnation, t),
                Item::Action(a) => return Some((SimTime(t), a)),
            }
        }
        self.now = self.now.max(until.0);
        None
    }

    /// Starts fetching what the next event will touch first: its node's slot and, for a
    /// delivery, the datagram (see [`prefetch`]).
    fn warm_next(&mut self) {
        let (node, buf) = match self.queue.peek() {
            Some(&Item::Deliver { to, buf }) => (to, Some(buf)),
            Some(&Item::Timer { node, .. }) => (node, None),
            _ => return,
        };
        if let Some(slot) = self.slots.get(node as usize) {
            prefetch::range(slot, std::mem::size_of::<Slot<H>>());
        }
        if let Some(buf) = buf {
            self.pool.prefetch(buf);
        }
    }

    fn deliver(&mut self, to: u32, buf: u32) {
        let slot = &mut self.slots[to as usize];
        let Some(host) = slot.host.as_mut() else {
            self.stats.dropped[DropReason::NodeDown.index()] += 1;
            self.pool.release(buf);
            return;
        };
        let Head { from, len } = self.pool.head(buf);
        let bytes = self.pool.bytes(buf);
        let mut header = [0u8; 36];
        header[..18].copy_from_slice(&encode_addr(&from));
        header[18..].copy_from_slice(&encode_addr(&slot.addr));
        let now = self.now;
        let to_addr = slot.addr;
        self.trace
            .record(TraceKind::Datagram, now, &header, bytes, || {
                format!(
                    "t={} datagram {from} -> {to_addr} len={len} op={:?}",
                    SimTime(now),
                    bytes.first()
                )
            });
        if let Some(tap) = self.tap.as_mut() {
            tap(SimTime(now), from, to_addr, bytes);
        }
        host.handle_datagram(SimTime(slot.clock.local(now)), from, bytes);
        self.stats.delivered += 1;
        self.stats.bytes_delivered += u64::from(len);
        let op = if len == 0 {
            crate::network::OPS.len() - 1
        } else {
            crate::network::op_index(self.pool.bytes(buf)[0])
        };
        self.stats.delivered_by_op[op] += 1;
        self.stats.bytes_by_op[op] += u64::from(len);
        self.pool.release(buf);
        self.flush(to);
    }

    fn fire_timer(&mut self, node: u32, incarnation: u32, t: u64) {
        let slot = &mut self.slots[node as usize];
        if slot.incarnation != incarnation {
            return;
        }
        if slot.timer_at == Some(t) {
            slot.timer_at = None;
        }
        let Some(host) = slot.host.as_mut() else {
            return;
        };
        let local = slot.clock.local(t);
        if host.poll_timeout().is_some_and(|d| d.0 <= local) {
            host.handle_timeout(SimTime(local));
        }
        self.flush(node);
    }

    /// Drains a host's transmits and events and (re)arms its timer.
    fn flush(&mut self, node: u32) {
        let Engine {
            now,
            queue,
            slots,
            by_addr,
            network,
            pool,
            scratch,
            trace,
            stats,
            emitted,
            text,
            ..
        } = self;
        let now = *now;
        let slot = &mut slots[node as usize];
        let Some(host) = slot.host.as_mut() else {
            return;
        };
        while let Some(t) = host.poll_transmit(&mut scratch[..]) {
            stats.sent += 1;
            if t.spoofed_source.is_some() {
                stats.spoofed += 1;
            }
            let from_addr = t.spoofed_source.unwrap_or(slot.addr);
            let dest = by_addr.get(&t.to).copied();
            let route = if t.len > MAX_DATAGRAM {
                Route::Drop(DropReason::Oversize)
            } else {
                match dest {
                    None => Route::Drop(DropReason::NoRoute),
                    Some(d) => network.route(now, node as usize, d as usize, t.len),
                }
            };
            match (route, dest) {
                (Route::Deliver { at, duplicate_at }, Some(d)) => {
                    let buf = pool.store(from_addr, &scratch[..t.len.min(BUFFER_SIZE)]);
                    if let Some(dup_at) = duplicate_at {
                        let copy = pool.duplicate(buf);
                        stats.duplicated += 1;
                        queue.push(dup_at, Item::Deliver { to: d, buf: copy });
                    }
                    queue.push(at, Item::Deliver { to: d, buf });
                }
                (Route::Drop(reason), _) => {
                    stats.dropped[reason.index()] += 1;
                }
                (Route::Deliver { .. }, None) => {}
            }
        }
        while let Some(event) = host.poll_event() {
            text.clear();
            let _ = write!(text, "{event:?}");
            trace.record(
                TraceKind::NodeEvent,
                now,
                &node.to_le_bytes(),
                text.as_bytes(),
                || format!("t={} node {node} event {text}", SimTime(now)),
            );
            emitted.push(Emitted {
                time: SimTime(now),
                node,
                event,
            });
        }
        if let Some(deadline) = host.poll_timeout() {
            let at = slot.clock.virtual_at(deadline.0).max(now);
            if slot.timer_at.is_none_or(|t| at < t) {
                slot.timer_at = Some(at);
                queue.push(
                    at,
                    Item::Timer {
                        node,
                        incarnation: slot.incarnation,
                    },
                );
            }
        }
    }
}
