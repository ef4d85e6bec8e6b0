//! The virtual network (SIMULATOR.md §"The virtual network").
//!
//! Nothing here is per pair of nodes: every pairwise property (latency, reachability) is
//! derived from per-node attributes (site, partition side, uplink, loss state) and from the
//! small site-to-site table of the topology. Each sending node has its own random stream, so
//! adding a node does not change the draws of the others.

pub mod addr;
pub mod bandwidth;
pub mod clock;
pub mod latency;
pub mod loss;
pub mod partition;
pub mod topology;

use rand_chacha::ChaCha12Rng;

use crate::engine::rng;
use bandwidth::Uplink;
use latency::LatencyModel;
use loss::{LossModel, LossState};
use partition::Partitions;
use topology::{Topology, TopologyParams};

/// Largest datagram the network carries (PROTOCOL.md §4); larger ones are dropped.
pub const MAX_DATAGRAM: usize = 1424;

/// Names of the datagram kinds by op byte (PROTOCOL.md §4), for traffic counters; the last
/// entry counts anything else (empty datagrams, unknown ops).
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

/// Index into [`OPS`] for a datagram's first byte.
pub fn op_index(first_byte: u8) -> usize {
    usize::from(first_byte).min(OPS.len() - 1)
}

/// Why the network did not deliver a datagram. Names are stable: they appear in
/// `summary.json` as `datagrams_dropped_<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// Over [`MAX_DATAGRAM`] bytes.
    Oversize,
    /// No node has the destination address.
    NoRoute,
    /// The sender's uplink queue was full.
    QueueFull,
    /// Sender and receiver are on different sides of a partition.
    Partition,
    /// The topology has no path between their sites.
    Unreachable,
    /// Random loss (Bernoulli or Gilbert–Elliott).
    Loss,
    /// The receiver was down when the datagram arrived.
    NodeDown,
}

impl DropReason {
    /// Every reason, in report order.
    pub const ALL: [DropReason; 7] = [
        DropReason::Oversize,
        DropReason::NoRoute,
        DropReason::QueueFull,
        DropReason::Partition,
        DropReason::Unreachable,
        DropReason::Loss,
        DropReason::NodeDown,
    ];

    /// The stable name used in metrics.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Oversize => "oversize",
            DropReason::NoRoute => "no_route",
            DropReason::QueueFull => "queue_full",
            DropReason::Partition => "partition",
            DropReason::Unreachable => "unreachable",
            DropReason::Loss => "loss",
            DropReason::NodeDown => "node_down",
        }
    }

    /// Index into per-reason counters.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What the network decided for one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Dropped before delivery.
    Drop(DropReason),
    /// Delivered at this virtual time (µs), and a second time if duplicated.
    Deliver {
        /// Arrival of the datagram.
        at: u64,
        /// Arrival of a duplicate, if any.
        duplicate_at: Option<u64>,
    },
}

/// Everything the network is built from, in plain numbers (`sim::net_params` derives it from
/// a scenario's `network` section; the network knows nothing of scenarios).
#[derive(Debug, Clone)]
pub struct NetworkParams {
    /// One-way latency added to every datagram, on top of the topology's.
    pub latency: LatencyModel,
    /// Extra uniform delay in `[0, jitter_us]` per datagram.
    pub jitter_us: u64,
    /// Loss model of every access link.
    pub loss: LossModel,
    /// Probability that a datagram is delivered twice.
    pub duplication: f64,
    /// Per-node uplink; unlimited when `None`.
    pub uplink: Option<Uplink>,
    /// Sites and their latencies.
    pub topology: TopologyParams,
}

/// Network models and per-node link state.
pub struct Network {
    latency: LatencyModel,
    jitter_us: u64,
    loss: LossModel,
    duplication: f64,
    uplink: Option<Uplink>,
    /// Per node: busy-until time of its uplink (µs).
    uplink_busy: Vec<u64>,
    /// Per node: Gilbert–Elliott state of its access link.
    loss_state: Vec<LossState>,
    /// Per node: its random stream for network decisions on what it sends.
    rngs: Vec<ChaCha12Rng>,
    /// Topology and site of every node.
    pub topology: Topology,
    /// Partition sides.
    pub partitions: Partitions,
}

impl Network {
    /// Builds the network for `nodes` nodes from its parameters and the root seed.
    pub fn new(params: NetworkParams, nodes: usize, root_seed: u64) -> Network {
        Network {
            latency: params.latency,
            jitter_us: params.jitter_us,
            loss: params.loss,
            duplication: params.duplication,
            uplink: params.uplink,
            uplink_busy: vec![0; nodes],
            loss_state: vec![LossState::default(); nodes],
            rngs: (0..nodes)
                .map(|i| rng::stream(root_seed, "network", i as u64))
                .collect(),
            topology: Topology::new(&params.topology, nodes, root_seed),
            partitions: Partitions::new(nodes),
        }
    }

    /// Decides the fate of a datagram of `len` bytes sent by node `from` to node `to` at `now`.
    ///
    /// Order: the uplink queue first (a datagram occupies the sender's link even if the
    /// network loses it later), then partitions, topology, loss, and finally latency.
    pub fn route(&mut self, now: u64, from: usize, to: usize, len: usize) -> Route {
        let mut depart = now;
        if let Some(uplink) = &self.uplink {
            match uplink.enqueue(now, self.uplink_busy[from], len) {
                Some((leaves, busy_until)) => {
                    depart = leaves;
                    self.uplink_busy[from] = busy_until;
                }
                None => return Route::Drop(DropReason::QueueFull),
            }
        }
        if !self.partitions.connected(from, to) {
            return Route::Drop(DropReason::Partition);
        }
        let Some(base) = self.topology.latency_us(from, to) else {
            return Route::Drop(DropReason::Unreachable);
        };
        let rng = &mut self.rngs[from];
        if self.loss.lose(&mut self.loss_state[from], rng) {
            return Route::Drop(DropReason::Loss);
        }
        let arrival = |rng: &mut ChaCha12Rng| {
            let jitter = if self.jitter_us > 0 {
                rand::RngExt::random_range(rng, 0..=self.jitter_us)
            } else {
                0
            };
            depart + base + self.latency.sample(rng) + jitter
        };
        let at = arrival(rng);
        let duplicate_at = (self.duplication > 0.0
            && rand::RngExt::random_bool(rng, self.duplication))
        .then(|| arrival(rng));
        Route::Deliver { at, duplicate_at }
    }

    /// Whether any random loss is configured (for "fault never fired" warnings).
    pub fn has_loss(&self) -> bool {
        !matches!(self.loss, LossModel::None)
    }
}
