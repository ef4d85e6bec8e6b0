//! What the scenario runner needs from a host beyond the network interface: creation from the
//! scenario, writes and reads for the workload, and a translation of its events into the
//! observations metrics are built from. `dave_core::Node` implements it through
//! `sim::dave_host`; the echo host implements the network part only (no workload).

use std::net::SocketAddr;
use std::sync::Arc;

use dave_core::config::Config;

use crate::crypto_model::SimCrypto;
use crate::engine::SimTime;
use crate::engine::host::{EchoHost, SimHost};
use crate::scenario::ConfigOverrides;

/// Everything needed to create (or re-create) a node.
pub struct HostContext<'a> {
    /// Node index.
    pub index: u32,
    /// Its address.
    pub addr: SocketAddr,
    /// Its bootstrap edges.
    pub edges: &'a [SocketAddr],
    /// 32 bytes of key material (the node's identity is stable across restarts).
    pub key_seed: [u8; 32],
    /// Seed of the node's RNG for this incarnation.
    pub rng_seed: [u8; 32],
    /// Protocol constants from the scenario.
    pub config: &'a ConfigOverrides,
    /// The honest nodes' configuration built from them, once: every node shares it.
    pub node_config: &'a Arc<Config>,
    /// The shared crypto provider.
    pub crypto: Arc<SimCrypto>,
    /// Local time at start.
    pub now: SimTime,
}

/// A write the workload asks for.
pub struct WriteRequest<'a> {
    /// Writer's key material (a writer signs with its own key).
    pub signing_seed: [u8; 32],
    /// Record key.
    pub key: &'a [u8],
    /// Record value.
    pub value: &'a [u8],
    /// Proof-of-work bits.
    pub work_bits: u32,
    /// Where the miner starts counting salts.
    pub salt_start: [u8; 16],
}

/// The result of starting a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteTicket {
    /// Lookup id of the PUT.
    pub lookup: u64,
    /// RecordId of the record written.
    pub record: u64,
    /// Owner public key, for readers to ask for it.
    pub pubkey: [u8; 32],
}

/// Who sits at an address, as the simulator knows it (a node does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerClass {
    /// An honest node of the scenario.
    Honest,
    /// A host of an attacker group.
    Adversary,
    /// No host at all: a fake address (routable-looking or not) that someone advertised.
    Unknown,
}

/// A node's peer table at a sample time. Counts are over every entry; the `_adversarial` and
/// `_unknown` ones split them by [`PeerClass`] of the entry's address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerSummary {
    /// Unverified candidate addresses.
    pub candidates: u32,
    /// Verified, not yet active.
    pub verified: u32,
    /// Active peers.
    pub active: u32,
    /// Edge peers among them.
    pub edges: u32,
    /// Active peers at attacker addresses.
    pub active_adversarial: u32,
    /// Verified or active peers at attacker addresses.
    pub table_adversarial: u32,
    /// Verified or active peers at addresses no host has (should stay 0: such an address
    /// cannot answer a ping).
    pub table_unknown: u32,
    /// Candidates at attacker addresses.
    pub candidates_adversarial: u32,
    /// Candidates at addresses no host has (fake advertisements).
    pub candidates_unknown: u32,
    /// Entries of any state at unroutable addresses (§5: never added, so should stay 0).
    pub unroutable: u32,
    /// Reliability scores this node holds of its verified and active honest peers.
    pub reliability: Vec<f64>,
    /// The same, only of peers challenged at least once.
    pub reliability_challenged: Vec<f64>,
    /// Reliability scores of verified and active peers at attacker addresses.
    pub reliability_adversarial: Vec<f64>,
    /// The same, only of peers challenged at least once.
    pub reliability_adversarial_challenged: Vec<f64>,
    /// Records in its store.
    pub records: u32,
}

/// What a node event means for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// A lookup started by the driver ended.
    LookupDone {
        /// Lookup id.
        lookup: u64,
        /// Whether a GET found its record (PUTs: whether it reached any replica).
        found: bool,
        /// Hops (rounds of referrals) the lookup took.
        hops: u32,
        /// Queries sent.
        queries: u32,
    },
    /// The node now stores this record (persist).
    Stored {
        /// RecordId.
        record: u64,
    },
    /// The node dropped this record (forget).
    Forgotten {
        /// RecordId.
        record: u64,
        /// Pushed out of a full store by a newcomer (not expired).
        pushed_out: bool,
    },
    /// A storage challenge this node sent had its outcome (§9).
    Challenge {
        /// The challenged peer.
        peer: SocketAddr,
        /// Whether it proved it holds the record.
        passed: bool,
    },
    /// Nothing the metrics track.
    Other,
}

/// A host the scenario runner can create, drive with a workload and observe.
pub trait ScenarioHost: SimHost + Sized {
    /// The backup log the simulator keeps for a node from its events (docs/protocol.md §7).
    type Backup: Default;
    /// Whether this host can write and read records.
    const SUPPORTS_WORKLOAD: bool;

    /// Creates a node, restoring `backup` when restarting from one.
    fn create(ctx: &HostContext<'_>, backup: Option<&Self::Backup>) -> Self;
    /// Starts a write; `None` if refused (e.g. the record could not be built).
    fn write(&mut self, now: SimTime, request: &WriteRequest<'_>) -> Option<WriteTicket>;
    /// Starts a read of (pubkey, key); returns the lookup id.
    fn read(&mut self, now: SimTime, pubkey: &[u8; 32], key: &[u8]) -> Option<u64>;
    /// Interprets an event, updating the backup log.
    fn observe(event: &Self::Event, backup: &mut Self::Backup) -> Observation;
    /// The peer table now, its entries classified by `classify`.
    fn peer_summary(&self, classify: &dyn Fn(&SocketAddr) -> PeerClass) -> PeerSummary;
    /// Replaces `out` with the NodeIds this node's table holds verified (edges included).
    fn table_ids(&self, out: &mut Vec<u64>) {
        out.clear();
    }
    /// XOR distance from this node to each record it stores, for the storage chart; hosts
    /// without a store hold nothing.
    fn held_distances(&self) -> Vec<u64> {
        Vec::new()
    }
    /// The node's NodeId, for `records_misplaced`; hosts without one have none.
    fn node_id(&self) -> Option<u64> {
        None
    }
}

/// Echo hosts ping their edges once a second: a network-only scenario (no workload).
impl ScenarioHost for EchoHost {
    type Backup = ();
    const SUPPORTS_WORKLOAD: bool = false;

    fn create(ctx: &HostContext<'_>, _: Option<&()>) -> Self {
        EchoHost::new(ctx.edges.to_vec(), 1_000_000, 64, ctx.now.0)
    }

    fn write(&mut self, _: SimTime, _: &WriteRequest<'_>) -> Option<WriteTicket> {
        None
    }

    fn read(&mut self, _: SimTime, _: &[u8; 32], _: &[u8]) -> Option<u64> {
        None
    }

    fn observe(_: &Self::Event, _: &mut ()) -> Observation {
        Observation::Other
    }

    fn peer_summary(&self, _: &dyn Fn(&SocketAddr) -> PeerClass) -> PeerSummary {
        PeerSummary::default()
    }
}
