//! The host the scenario runner drives: an honest host of type `H` or an attacker
//! (`adversary::Attacker`, dynamically dispatched). The engine runs one host type; this enum
//! lets attacker groups share it with the honest population at one match per call.
//!
//! An honest host's events keep their own `Debug` text ([`MixedEvent`] prints transparently),
//! so a run without attackers has the same trace hash as before the enum existed.

use std::fmt;

use super::host::{HostContext, Observation, PeerClass, PeerSummary, ScenarioHost};
use super::host::{WriteRequest, WriteTicket};
use crate::adversary::{AdversaryEvent, Attacker};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};

/// An honest host or an attacker.
pub enum Mixed<H> {
    /// A node of the honest population.
    Honest(H),
    /// A host of an attacker group.
    Attacker(Box<dyn Attacker>),
}

/// An event of either kind of host.
pub enum MixedEvent<E> {
    /// From an honest host.
    Honest(E),
    /// From an attacker.
    Attacker(AdversaryEvent),
}

impl<E: fmt::Debug> fmt::Debug for MixedEvent<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MixedEvent::Honest(e) => e.fmt(f),
            MixedEvent::Attacker(e) => write!(f, "Attacker({e:?})"),
        }
    }
}

impl<H> Mixed<H> {
    /// The attacker, if this is one.
    pub fn attacker(&self) -> Option<&dyn Attacker> {
        match self {
            Mixed::Honest(_) => None,
            Mixed::Attacker(a) => Some(a.as_ref()),
        }
    }
}

impl<H: SimHost> SimHost for Mixed<H> {
    type Event = MixedEvent<H::Event>;

    fn handle_datagram(&mut self, now: SimTime, from: std::net::SocketAddr, bytes: &[u8]) {
        match self {
            Mixed::Honest(h) => h.handle_datagram(now, from, bytes),
            Mixed::Attacker(a) => a.handle_datagram(now, from, bytes),
        }
    }

    fn handle_timeout(&mut self, now: SimTime) {
        match self {
            Mixed::Honest(h) => h.handle_timeout(now),
            Mixed::Attacker(a) => a.handle_timeout(now),
        }
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        match self {
            Mixed::Honest(h) => h.poll_transmit(buf),
            Mixed::Attacker(a) => a.poll_transmit(buf),
        }
    }

    fn poll_timeout(&mut self) -> Option<SimTime> {
        match self {
            Mixed::Honest(h) => h.poll_timeout(),
            Mixed::Attacker(a) => a.poll_timeout(),
        }
    }

    fn poll_event(&mut self) -> Option<Self::Event> {
        match self {
            Mixed::Honest(h) => h.poll_event().map(MixedEvent::Honest),
            Mixed::Attacker(a) => a.poll_event().map(MixedEvent::Attacker),
        }
    }
}

/// Honest nodes are created, written to, read from and observed as `H`; attackers take no
/// workload and report no peer table.
impl<H: ScenarioHost> ScenarioHost for Mixed<H> {
    type Backup = H::Backup;
    const SUPPORTS_WORKLOAD: bool = H::SUPPORTS_WORKLOAD;

    fn create(ctx: &HostContext<'_>, backup: Option<&H::Backup>) -> Self {
        Mixed::Honest(H::create(ctx, backup))
    }

    fn write(&mut self, now: SimTime, request: &WriteRequest<'_>) -> Option<WriteTicket> {
        match self {
            Mixed::Honest(h) => h.write(now, request),
            Mixed::Attacker(_) => None,
        }
    }

    fn read(&mut self, now: SimTime, pubkey: &[u8; 32], key: &[u8]) -> Option<u64> {
        match self {
            Mixed::Honest(h) => h.read(now, pubkey, key),
            Mixed::Attacker(_) => None,
        }
    }

    fn observe(event: &Self::Event, backup: &mut H::Backup) -> Observation {
        match event {
            MixedEvent::Honest(e) => H::observe(e, backup),
            MixedEvent::Attacker(_) => Observation::Other,
        }
    }

    fn peer_summary(&self, classify: &dyn Fn(&std::net::SocketAddr) -> PeerClass) -> PeerSummary {
        match self {
            Mixed::Honest(h) => h.peer_summary(classify),
            Mixed::Attacker(_) => PeerSummary::default(),
        }
    }

    fn held_distances(&self) -> Vec<u64> {
        match self {
            Mixed::Honest(h) => h.held_distances(),
            Mixed::Attacker(_) => Vec::new(),
        }
    }

    fn node_id(&self) -> Option<u64> {
        match self {
            Mixed::Honest(h) => h.node_id(),
            Mixed::Attacker(_) => None,
        }
    }

    fn table_ids(&self, out: &mut Vec<u64>) {
        match self {
            Mixed::Honest(h) => h.table_ids(out),
            Mixed::Attacker(_) => out.clear(),
        }
    }
}
