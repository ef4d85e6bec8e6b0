//! The adapter that runs an unchanged `dave_core::Node` inside the simulator: time
//! conversion, scenario config overrides, workload writes (mining real records) and reads,
//! the backup log kept from Persist/Forget events, and peer-table summaries for metrics.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use dave_core::addr::CompactAddr;
use dave_core::crypto::Crypto;
use dave_core::dat::Dat;
use dave_core::event::{Event, LookupKind};
use dave_core::node::Node;
use dave_core::peers::PeerState;
use dave_core::store::EvictReason;
use dave_core::time::Time;
use ed25519_dalek::SigningKey;

use super::host::{
    HostContext, Observation, PeerClass, PeerSummary, ScenarioHost, WriteRequest, WriteTicket,
};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};

/// A Dave node as a simulator host.
pub struct DaveHost {
    node: Node,
    /// The run's provider, which also signs the records this node's writer creates.
    crypto: Arc<dyn Crypto>,
}

/// The backup of one node: what its Persist and Forget events say it stores, and the
/// anchors its last Anchors event named (§5 anchors).
#[derive(Debug, Clone, Default)]
pub struct BackupLog {
    /// Stored records by RecordId.
    pub records: BTreeMap<u64, Dat>,
    /// Proven peers a restart begins from, at exact size in 20 bytes an address (a
    /// `Vec<SocketAddr>` kept 1 KB in every node of a large run).
    pub anchors: Box<[CompactAddr]>,
}

fn time(t: SimTime) -> Time {
    Time::from_micros(t.0)
}

impl SimHost for DaveHost {
    type Event = Event;

    fn handle_datagram(&mut self, now: SimTime, from: SocketAddr, bytes: &[u8]) {
        self.node.handle_datagram(time(now), from, bytes);
    }

    fn handle_timeout(&mut self, now: SimTime) {
        self.node.handle_timeout(time(now));
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        self.node.poll_transmit(buf).map(|t| HostTransmit {
            to: t.to,
            len: t.len,
            spoofed_source: None,
        })
    }

    fn poll_timeout(&mut self) -> Option<SimTime> {
        self.node.poll_timeout().map(|t| SimTime(t.as_micros()))
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.node.poll_event()
    }
}

impl ScenarioHost for DaveHost {
    type Backup = BackupLog;
    const SUPPORTS_WORKLOAD: bool = true;

    fn create(ctx: &HostContext<'_>, backup: Option<&BackupLog>) -> Self {
        let key = SigningKey::from_bytes(&ctx.key_seed);
        let crypto: Arc<dyn Crypto> = ctx.crypto.clone();
        let mut node = Node::new(
            Arc::clone(ctx.node_config),
            key,
            ctx.edges.to_vec(),
            ctx.rng_seed,
            crypto.clone(),
            time(ctx.now),
        );
        if let Some(log) = backup {
            node.restore(time(ctx.now), log.records.values().cloned());
            node.restore_anchors(time(ctx.now), log.anchors.iter().map(|a| a.get()));
        }
        DaveHost { node, crypto }
    }

    fn write(&mut self, now: SimTime, r: &WriteRequest<'_>) -> Option<WriteTicket> {
        let key = SigningKey::from_bytes(&r.signing_seed);
        let dat = Dat::new_with(
            self.crypto.as_ref(),
            &key,
            r.key,
            r.value,
            now.0 / 1000,
            r.work_bits,
            1,
            r.salt_start,
        )
        .ok()?;
        let record = dat.record_id().0;
        let pubkey = dat.pubkey;
        let lookup = self.node.put(time(now), dat).ok()?;
        Some(WriteTicket {
            lookup: lookup.0,
            record,
            pubkey,
        })
    }

    fn read(&mut self, now: SimTime, pubkey: &[u8; 32], key: &[u8]) -> Option<u64> {
        self.node.get(time(now), *pubkey, key).ok().map(|id| id.0)
    }

    fn observe(event: &Event, backup: &mut BackupLog) -> Observation {
        match event {
            Event::LookupFinished(r) => Observation::LookupDone {
                lookup: r.id.0,
                found: match r.kind {
                    LookupKind::Put => r.replicas > 0 || r.stored_locally,
                    // GETs; table refreshes are the node's own and match no driver lookup.
                    _ => r.found.is_some(),
                },
                hops: r.hops,
                queries: r.queries,
            },
            Event::Persist(dat) => {
                backup.records.insert(dat.record_id().0, dat.clone());
                Observation::Other
            }
            Event::Forget(record) => {
                backup.records.remove(&record.0);
                Observation::Other
            }
            Event::Anchors(anchors) => {
                backup.anchors = anchors.iter().map(CompactAddr::new).collect();
                Observation::Other
            }
            Event::RecordStored { record, .. } => Observation::Stored { record: record.0 },
            Event::RecordEvicted { record, reason } => Observation::Forgotten {
                record: record.0,
                pushed_out: *reason == EvictReason::Capacity,
            },
            Event::ChallengePassed { addr, .. } => Observation::Challenge {
                peer: *addr,
                passed: true,
            },
            Event::ChallengeFailed { addr, .. } => Observation::Challenge {
                peer: *addr,
                passed: false,
            },
            _ => Observation::Other,
        }
    }

    fn node_id(&self) -> Option<u64> {
        Some(self.node.node_id().0)
    }

    fn table_ids(&self, out: &mut Vec<u64>) {
        out.clear();
        out.extend(self.node.verified_peer_ids().map(|id| id.0));
    }

    fn held_distances(&self) -> Vec<u64> {
        let id = self.node.node_id();
        self.node
            .records()
            .map(|d| d.record_id().distance(id))
            .collect()
    }

    fn peer_summary(&self, classify: &dyn Fn(&SocketAddr) -> PeerClass) -> PeerSummary {
        let mut s = PeerSummary {
            records: self.node.record_count() as u32,
            ..PeerSummary::default()
        };
        for p in self.node.peers() {
            let class = classify(&p.addr);
            if !dave_core::addr::is_routable(&p.addr) {
                s.unroutable += 1;
            }
            if p.is_edge {
                s.edges += 1;
            }
            match p.state {
                PeerState::Candidate => {
                    s.candidates += 1;
                    match class {
                        PeerClass::Honest => {}
                        PeerClass::Adversary => s.candidates_adversarial += 1,
                        PeerClass::Unknown => s.candidates_unknown += 1,
                    }
                    continue;
                }
                PeerState::Verified => s.verified += 1,
                PeerState::Active => {
                    s.active += 1;
                    if class == PeerClass::Adversary {
                        s.active_adversarial += 1;
                    }
                }
            }
            let (all, challenged) = match class {
                PeerClass::Honest => (&mut s.reliability, &mut s.reliability_challenged),
                PeerClass::Adversary => {
                    s.table_adversarial += 1;
                    (
                        &mut s.reliability_adversarial,
                        &mut s.reliability_adversarial_challenged,
                    )
                }
                PeerClass::Unknown => {
                    s.table_unknown += 1;
                    continue;
                }
            };
            all.push(p.reliability);
            if p.challenged {
                challenged.push(p.reliability);
            }
        }
        s
    }
}
