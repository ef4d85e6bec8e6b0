//! A real `dave_core::Node` inside an attacker: the behaviour decides which datagrams reach it,
//! may queue datagrams of its own ahead of the node's, and every datagram that leaves is
//! counted in the attacker's [`AttackCounters`]. The node's own events are drained and
//! discarded (an attacker reports [`AdversaryEvent`]s only), so its queue never grows.

use std::collections::VecDeque;
use std::net::SocketAddr;

use dave_core::node::Node;
use dave_core::time::Time;
use dave_core::wire::Message;

use super::{AdversaryEvent, AttackCounters};
use crate::engine::SimTime;
use crate::engine::host::HostTransmit;

/// A node whose inputs the behaviour filters and whose outputs it adds to.
pub(crate) struct NodeShell {
    node: Node,
    /// Datagrams the behaviour sends itself, before the node's own.
    injected: VecDeque<(SocketAddr, Vec<u8>)>,
    events: VecDeque<AdversaryEvent>,
    counters: AttackCounters,
}

/// The node's clock value for a host-local simulator time.
pub(crate) fn core_time(t: SimTime) -> Time {
    Time::from_micros(t.0)
}

impl NodeShell {
    pub(crate) fn new(node: Node) -> NodeShell {
        NodeShell {
            node,
            injected: VecDeque::new(),
            events: VecDeque::new(),
            counters: AttackCounters::default(),
        }
    }

    pub(crate) fn node(&self) -> &Node {
        &self.node
    }

    pub(crate) fn counters(&self) -> &AttackCounters {
        &self.counters
    }

    pub(crate) fn counters_mut(&mut self) -> &mut AttackCounters {
        &mut self.counters
    }

    /// Hands a datagram to the node.
    pub(crate) fn deliver(&mut self, now: SimTime, from: SocketAddr, bytes: &[u8]) {
        self.node.handle_datagram(core_time(now), from, bytes);
        self.discard_node_events();
    }

    pub(crate) fn handle_timeout(&mut self, now: SimTime) {
        self.node.handle_timeout(core_time(now));
        self.discard_node_events();
    }

    /// Queues a message of the behaviour's own; a message that does not encode is not sent.
    pub(crate) fn inject(&mut self, to: SocketAddr, msg: &Message<'_>) {
        let mut buf = vec![0u8; dave_core::wire::MAX_DATAGRAM];
        if let Ok(len) = msg.encode(&mut buf) {
            buf.truncate(len);
            self.injected.push_back((to, buf));
        }
    }

    pub(crate) fn report(&mut self, event: AdversaryEvent) {
        self.events.push_back(event);
    }

    pub(crate) fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        // Encoded messages never exceed MAX_DATAGRAM, the size of the engine's buffers.
        let (to, len) = match self.injected.pop_front() {
            Some((to, bytes)) => {
                let len = bytes.len().min(buf.len());
                buf[..len].copy_from_slice(&bytes[..len]);
                (to, len)
            }
            None => {
                let t = self.node.poll_transmit(buf)?;
                (t.to, t.len)
            }
        };
        self.counters.count_sent(len, false);
        Some(HostTransmit {
            to,
            len,
            spoofed_source: None,
        })
    }

    pub(crate) fn poll_timeout(&self) -> Option<SimTime> {
        self.node.poll_timeout().map(|t| SimTime(t.as_micros()))
    }

    pub(crate) fn poll_event(&mut self) -> Option<AdversaryEvent> {
        self.events.pop_front()
    }

    fn discard_node_events(&mut self) {
        while self.node.poll_event().is_some() {}
    }
}
