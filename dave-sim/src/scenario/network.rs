//! The scenario's `network` section (SIMULATOR.md §"The virtual network"): latency, loss,
//! bandwidth, topology and clocks. `sim::net_params` turns it into the network models'
//! parameters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::duration::SimDuration;
use super::values::{Positive, Probability};

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
