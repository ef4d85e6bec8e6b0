//! The scenario format (docs/simulator.md §"Scenario file").
//!
//! Every struct rejects unknown fields, so a misspelt field is an error and never a silent
//! default. Value ranges are checked while deserializing (see `values`), cross-field rules in
//! `validate`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::adversary::AdversarySpec;
use super::duration::SimDuration;
use super::network::NetworkSpec;
use super::values::{Bound, NodeSet, Positive, Probability};
pub use crate::crypto_model::CryptoMode;
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
    /// Signature scheme of every node: `"modeled"` (default: unforgeable keyed-BLAKE3 stand-ins,
    /// same protocol behaviour, a thousand times cheaper) or `"ed25519"` (real signatures, to
    /// measure their cost). See `crypto_model` for why modeled is the default.
    #[serde(default)]
    pub crypto: CryptoMode,
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
    /// Attacker groups (see `scenario::adversary`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adversaries: Vec<AdversarySpec>,
    /// Bounds on named metrics checked at the end (exit 1 if one misses).
    #[serde(default)]
    pub expect: BTreeMap<MetricName, Bound>,
    /// How `dave-sim check --baseline` compares this scenario's metrics with a stored baseline:
    /// extra metrics, directions, tolerances (see `scenario::regression`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression: Option<super::regression::RegressionSpec>,
}

fn default_sample_every() -> SimDuration {
    SimDuration::from_secs(5)
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
    /// Overrides of the protocol constants (docs/protocol.md §11).
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
    /// Defence: proven peers a restart begins from (§5 anchors); 0 keeps none.
    pub anchors: Option<u32>,
    /// Defence switch: test-before-evict (§5); `false` evicts the worst incumbent at once.
    pub test_before_evict: Option<bool>,
    /// Defence switch: storage challenges (§9).
    pub challenges: Option<bool>,
    /// Defence switch: the 3× anti-amplification budget (§8).
    pub anti_amplification: Option<bool>,
    /// Defence switch of both group limits at once (§5): `false` sets `group_limit` and
    /// `group_limit_table` to 0 (no limit), whatever else says. One switch so that a sweep can
    /// put "with and without group limits" on one axis (`--param nodes.config.group_limits=true,false`).
    pub group_limits: Option<bool>,
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

/// Writers and readers (docs/simulator.md §"Workload").
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
