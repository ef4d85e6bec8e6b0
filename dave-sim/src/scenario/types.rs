//! The scenario format (SIMULATOR.md §"Scenario file").
//!
//! Every struct rejects unknown fields, so a misspelt field is an error and never a silent
//! default. Value ranges are checked while deserializing (see `values`), cross-field rules in
//! `validate`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::SimDuration;
use super::values::{Bound, NodeSet, Positive, Probability};
use crate::metrics::names::MetricName;

/// One simulation: the network, the population, what happens to it, and what must hold at the end.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the scenario; the default output folder is `reports/<name>/`.
    pub name: String,
    /// Free text for readers: what the scenario studies and why its values were chosen
    /// (JSON has no comments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Root seed of every random stream (overridden by `--seed`).
    #[serde(default)]
    pub seed: u64,
    /// Virtual time to simulate.
    pub duration: SimDuration,
    /// How often time series and peer tables are sampled.
    #[serde(default = "default_sample_every")]
    pub sample_every: SimDuration,
    /// The virtual network: latency, loss, bandwidth, topology, clocks.
    #[serde(default)]
    pub network: NetworkSpec,
    /// The honest population.
    pub nodes: NodesSpec,
    /// How nodes bootstrap.
    #[serde(default)]
    pub edges: EdgesSpec,
    /// Nodes leaving and rejoining.
    #[serde(default)]
    pub churn: Option<ChurnSpec>,
    /// A timeline of partitions, heals, crashes and restarts.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Writers and readers.
    #[serde(default)]
    pub workload: Option<WorkloadSpec>,
    /// Attackers: not supported by this version of dave-sim; present only to give a clear error.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub adversaries: Option<Unsupported>,
    /// Bounds on named metrics checked at the end (exit 1 if one misses).
    #[serde(default)]
    pub expect: BTreeMap<MetricName, Bound>,
}

fn default_sample_every() -> SimDuration {
    SimDuration::from_secs(5)
}

/// A section this version parses only to refuse with a clear message.
#[derive(Debug, Clone)]
pub struct Unsupported;

impl<'de> Deserialize<'de> for Unsupported {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "adversaries are not supported yet by this version of dave-sim (only the network side, spoofed sources, exists); remove the section",
        ))
    }
}

/// The virtual network (SIMULATOR.md §"The virtual network").
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency added to every datagram, on top of the topology's latency.
    #[serde(default = "default_latency")]
    pub latency: LatencySpec,
    /// Extra uniform delay in `[0, jitter]` per datagram; reorders datagrams.
    #[serde(default)]
    pub jitter: SimDuration,
    /// Loss model.
    #[serde(default)]
    pub loss: LossSpec,
    /// Probability that a datagram is delivered twice (the copy has its own latency).
    #[serde(default)]
    pub duplication: Probability,
    /// Per-node uplink bandwidth with a bounded queue; unlimited when absent.
    #[serde(default)]
    pub bandwidth: Option<BandwidthSpec>,
    /// Where nodes sit and the latency between places.
    #[serde(default)]
    pub topology: TopologySpec,
    /// Per-node clock offset and drift.
    #[serde(default)]
    pub clock: ClockSpec,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency: default_latency(),
            jitter: SimDuration(0),
            loss: LossSpec::None,
            duplication: Probability(0.0),
            bandwidth: None,
            topology: TopologySpec::Full,
            clock: ClockSpec::default(),
        }
    }
}

fn default_latency() -> LatencySpec {
    LatencySpec::Constant(SimDuration::from_millis(50))
}

/// A one-way latency distribution. Samples are clamped to `[0, 60 s]`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LatencySpec {
    /// Always the same.
    Constant(SimDuration),
    /// Uniform in `[min, max]`.
    Uniform {
        /// Lower end.
        min: SimDuration,
        /// Upper end.
        max: SimDuration,
    },
    /// Normal (truncated at 0).
    Normal {
        /// Mean.
        mean: SimDuration,
        /// Standard deviation.
        sd: SimDuration,
    },
    /// Log-normal with the given median and sigma of the underlying normal.
    LogNormal {
        /// Median.
        median: SimDuration,
        /// Sigma of ln(latency).
        sigma: Positive,
    },
    /// Pareto (heavy tail) with minimum `scale` and tail index `shape`.
    Pareto {
        /// Minimum value.
        scale: SimDuration,
        /// Tail index (smaller: heavier tail).
        shape: Positive,
    },
}

/// Datagram loss.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LossSpec {
    /// No loss.
    #[default]
    None,
    /// Each datagram lost independently with this probability.
    Bernoulli(Probability),
    /// Bursty two-state loss; the state belongs to the sender's access link and steps once
    /// per datagram it sends.
    GilbertElliott {
        /// Probability of moving from the good to the bad state, per datagram.
        p_good_to_bad: Probability,
        /// Probability of moving from the bad to the good state, per datagram.
        p_bad_to_good: Probability,
        /// Loss probability in the good state.
        #[serde(default)]
        loss_good: Probability,
        /// Loss probability in the bad state.
        loss_bad: Probability,
    },
}

/// A node's uplink: datagrams leave one after another at `uplink_kbps`; a datagram that finds
/// more than `queue_bytes` waiting is dropped (tail drop).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BandwidthSpec {
    /// Uplink rate in kilobits per second (1 kbit = 1000 bits).
    pub uplink_kbps: u64,
    /// Queue limit in bytes.
    #[serde(default = "default_queue_bytes")]
    pub queue_bytes: u64,
}

fn default_queue_bytes() -> u64 {
    64 * 1024
}

/// Topology: where nodes sit, from which pairwise latency is derived. Places ("sites") are
/// few, so the site-to-site latency table stays small however many nodes there are.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TopologySpec {
    /// Everyone reaches everyone; latency comes only from the latency model.
    #[default]
    Full,
    /// Named regions with a one-way latency matrix; nodes are spread over regions by weight.
    Regions {
        /// Relative share of nodes in each region.
        weights: Vec<Positive>,
        /// `latency[i][j]`: one-way latency from region i to region j.
        latency: Vec<Vec<SimDuration>>,
    },
    /// Sites at random points of the unit square, linked when closer than `radius`; latency is
    /// the shortest path length times `per_unit`. Unlinked sites cannot reach each other.
    RandomGeometric {
        /// Number of sites (nodes are assigned to sites at random).
        sites: u32,
        /// Link radius in the unit square.
        radius: Positive,
        /// Latency per unit of distance.
        per_unit: SimDuration,
    },
    /// Sites linked by the given edges `[from, to, latency]` (undirected); latency is the
    /// shortest path. Sites with no path cannot reach each other.
    EdgeList {
        /// Number of sites.
        sites: u32,
        /// Links between sites.
        edges: Vec<(u32, u32, SimDuration)>,
    },
}

/// Clock offset and drift per node, uniform in `[-max, +max]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// Largest offset of a node's clock from true virtual time.
    #[serde(default)]
    pub max_offset: SimDuration,
    /// Largest drift rate in parts per million.
    #[serde(default)]
    pub max_drift_ppm: u32,
}

/// The honest population.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodesSpec {
    /// Number of honest nodes.
    pub count: u32,
    /// Address packing; by default every node sits in its own /24 and /16.
    #[serde(default)]
    pub groups: GroupsSpec,
    /// Nodes start at random times in `[0, join_over]`; seed nodes (see `edges`) start at 0.
    #[serde(default = "default_join_over")]
    pub join_over: SimDuration,
    /// Overrides of the protocol constants (PROTOCOL.md §11).
    #[serde(default)]
    pub config: ConfigOverrides,
}

fn default_join_over() -> SimDuration {
    SimDuration::from_secs(10)
}

/// How many IPv4 /24 and /16 prefixes the population is packed into.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupsSpec {
    /// Number of /24 prefixes; nodes are dealt round-robin into them (default: one per node).
    #[serde(default)]
    pub ipv4_24s: Option<u32>,
    /// Number of /16 prefixes the /24s are dealt into (default: one per /24).
    #[serde(default)]
    pub ipv4_16s: Option<u32>,
}

/// Overrides of protocol constants; absent fields keep the spec defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ConfigOverrides {
    pub min_work: Option<u32>,
    pub max_clock_skew: Option<SimDuration>,
    pub ttl: Option<SimDuration>,
    pub shard_capacity: Option<u64>,
    pub entry_overhead: Option<u64>,
    pub replicas: Option<u32>,
    pub alpha: Option<u32>,
    pub referrals: Option<u32>,
    pub lookup_budget: Option<u32>,
    pub lookup_timeout: Option<SimDuration>,
    pub challenge_every: Option<SimDuration>,
    pub challenge_min: Option<SimDuration>,
    pub reliability_decay: Option<Probability>,
    pub reliability_min: Option<Probability>,
    pub k: Option<u32>,
    pub group_limit: Option<u32>,
    pub group_limit_table: Option<u32>,
    pub npeer_limit: Option<u32>,
    pub max_candidates: Option<u32>,
    pub ping_every: Option<SimDuration>,
    pub reauth_every: Option<SimDuration>,
    pub activate_after: Option<SimDuration>,
    pub deactivate_after: Option<SimDuration>,
    pub drop_after: Option<SimDuration>,
    pub addr_every: Option<SimDuration>,
    pub republish_every: Option<SimDuration>,
}

/// Bootstrap: nodes `0..seeds` are seed nodes; every node is given `count` distinct random seed
/// nodes (other than itself) as its edges.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EdgesSpec {
    /// Edges per node.
    #[serde(default = "default_edge_count")]
    pub count: u32,
    /// Number of seed nodes.
    #[serde(default = "default_seed_nodes")]
    pub seeds: u32,
}

impl Default for EdgesSpec {
    fn default() -> Self {
        EdgesSpec {
            count: default_edge_count(),
            seeds: default_seed_nodes(),
        }
    }
}

fn default_edge_count() -> u32 {
    3
}

fn default_seed_nodes() -> u32 {
    8
}

/// Nodes that leave and rejoin, alternating sessions and downtimes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChurnSpec {
    /// Share of non-seed nodes that churn.
    pub fraction: Probability,
    /// Session length (time up).
    pub session: LifetimeSpec,
    /// Time down between sessions.
    pub downtime: LifetimeSpec,
    /// What a rejoining node starts from.
    #[serde(default)]
    pub restart: RestartFrom,
    /// No node leaves before this time.
    #[serde(default)]
    pub start: SimDuration,
}

/// A random duration.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LifetimeSpec {
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean: SimDuration,
    },
    /// Weibull with scale and shape (shape < 1: many short sessions, a few long ones).
    Weibull {
        /// Scale.
        scale: SimDuration,
        /// Shape.
        shape: Positive,
    },
}

/// What a restarting node's store starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestartFrom {
    /// The backup log the simulator kept from the node's persist/forget outputs.
    #[default]
    Backup,
    /// An empty store.
    Empty,
}

/// One fault on the timeline.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultSpec {
    /// Split the network: nodes in different groups cannot reach each other; nodes in no group
    /// form one more group together.
    Partition {
        /// When.
        at: SimDuration,
        /// The sides.
        groups: Vec<NodeSet>,
    },
    /// End every partition.
    Heal {
        /// When.
        at: SimDuration,
    },
    /// Stop nodes (they lose in-flight datagrams and timers, keep their backup log).
    Crash {
        /// When.
        at: SimDuration,
        /// Which nodes.
        nodes: NodeSet,
    },
    /// Start crashed nodes again.
    Restart {
        /// When.
        at: SimDuration,
        /// Which nodes.
        nodes: NodeSet,
        /// From the backup log or empty.
        #[serde(default)]
        from: RestartFrom,
    },
}

impl FaultSpec {
    /// When the fault happens.
    pub fn at(&self) -> SimDuration {
        match self {
            FaultSpec::Partition { at, .. }
            | FaultSpec::Heal { at }
            | FaultSpec::Crash { at, .. }
            | FaultSpec::Restart { at, .. } => *at,
        }
    }

    /// A short name for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultSpec::Partition { .. } => "partition",
            FaultSpec::Heal { .. } => "heal",
            FaultSpec::Crash { .. } => "crash",
            FaultSpec::Restart { .. } => "restart",
        }
    }
}

/// Writers and readers (SIMULATOR.md `workload`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Number of writer nodes (chosen at random among non-seed nodes when possible).
    pub writers: u32,
    /// Mean time between two writes of one writer (exponential).
    pub put_every: SimDuration,
    /// Number of reader nodes.
    pub readers: u32,
    /// Mean time between two reads of one reader (exponential).
    pub get_every: SimDuration,
    /// Key length in bytes (1..=255).
    #[serde(default = "default_key_bytes")]
    pub key_bytes: u32,
    /// Value length in bytes.
    #[serde(default = "default_value_bytes")]
    pub value_bytes: u32,
    /// Which written record a read asks for.
    #[serde(default)]
    pub popularity: Popularity,
    /// Proof-of-work bits mined into each record (real CPU: keep it small).
    #[serde(default = "default_work_bits")]
    pub work_bits: u32,
    /// First write or read.
    #[serde(default = "default_workload_start")]
    pub start: SimDuration,
    /// Reads only ask for records written at least this long ago.
    #[serde(default = "default_read_after")]
    pub read_after: SimDuration,
    /// Writes and reads stop this long before the end, so every lookup can finish.
    #[serde(default = "default_quiet_tail")]
    pub quiet_tail: SimDuration,
}

fn default_key_bytes() -> u32 {
    16
}
fn default_value_bytes() -> u32 {
    200
}
fn default_work_bits() -> u32 {
    8
}
fn default_workload_start() -> SimDuration {
    SimDuration::from_secs(30)
}
fn default_read_after() -> SimDuration {
    SimDuration::from_secs(10)
}
fn default_quiet_tail() -> SimDuration {
    SimDuration::from_secs(10)
}

/// Popularity of records among reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Popularity {
    /// Every readable record equally likely.
    #[default]
    Uniform,
    /// Zipf with this exponent over records ranked newest first.
    Zipf(Positive),
}
