//! What the running node tells its operator: one log line per notable event, and a periodic
//! one-line status (`status peers=… active=… records=… bytes=…`) that scripts and tests can parse.

use dave_core::event::Event;
use dave_core::node::Node;
use tracing::{debug, info, trace};

use crate::driver::Traffic;

/// Logs an event at a level fitting how often it happens: peer churn and lookups at debug,
/// per-datagram rejections at trace, own-address adoption at info.
pub fn log_event(event: &Event) {
    match event {
        Event::AddressAdopted { addr } => info!(%addr, "own public address adopted"),
        Event::LookupFinished(report) => debug!(
            id = report.id.0,
            kind = ?report.kind,
            end = ?report.end,
            found = report.found.is_some(),
            hops = report.hops,
            queries = report.queries,
            replicas = report.replicas,
            latency_ms = report.latency.as_millis() as u64,
            "lookup finished"
        ),
        Event::PeerAdded {
            addr,
            node_id,
            edge,
        } => {
            debug!(%addr, node_id = node_id.0, edge, "peer added")
        }
        Event::PeerActivated { addr, node_id } => debug!(%addr, node_id = node_id.0, "peer active"),
        Event::PeerDeactivated { addr, node_id } => {
            debug!(%addr, node_id = node_id.0, "peer inactive")
        }
        Event::PeerDropped { addr, node_id } => debug!(%addr, node_id = node_id.0, "peer dropped"),
        Event::PeerEvicted {
            addr,
            node_id,
            reliability,
        } => debug!(%addr, node_id = node_id.0, reliability, "peer evicted"),
        Event::ChallengeFailed {
            addr,
            record,
            reason,
            reliability,
            ..
        } => debug!(%addr, record = record.0, ?reason, reliability, "storage challenge failed"),
        Event::ChallengePassed {
            addr,
            record,
            reliability,
            ..
        } => trace!(%addr, record = record.0, reliability, "storage challenge passed"),
        Event::RecordStored { record, replaced } => {
            debug!(record = record.0, replaced, "record stored")
        }
        Event::RecordEvicted { record, reason } => {
            debug!(record = record.0, ?reason, "record evicted")
        }
        Event::RecordRefused { record, reason } => {
            debug!(record = record.0, ?reason, "record refused")
        }
        Event::DatagramRejected { from, reason } => trace!(%from, ?reason, "datagram rejected"),
        // Not yet written to dave-node's backup file (the simulator keeps them): see §5 anchors.
        Event::Anchors(anchors) => debug!(anchors = anchors.len(), "anchors changed"),
        Event::Persist(_) | Event::Forget(_) => {}
    }
}

/// The periodic one-line status. Field names are stable: tests and scripts parse them.
pub fn log_status(node: &Node, traffic: Traffic) {
    info!(
        "status peers={} active={} records={} bytes={} lookups={} rx={} tx={} rejected={} send_dropped={} rx_dropped={}",
        node.peer_count(),
        node.active_peer_count(),
        node.record_count(),
        node.stored_bytes(),
        node.lookups_in_progress(),
        traffic.received,
        traffic.sent,
        node.rejections().total(),
        traffic.send_dropped + traffic.send_failed,
        traffic.rx_dropped,
    );
}
