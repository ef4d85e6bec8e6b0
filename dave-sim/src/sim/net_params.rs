//! From a scenario's `network` section to the network models' plain parameters: the one place
//! that knows both, so the network takes numbers and the scenario types stay a leaf.

use rand_distr::{LogNormal, Normal, Pareto};

use crate::network::NetworkParams;
use crate::network::bandwidth::Uplink;
use crate::network::latency::LatencyModel;
use crate::network::loss::LossModel;
use crate::network::topology::TopologyParams;
use crate::scenario::{LatencySpec, LossSpec, NetworkSpec, TopologySpec};

/// The network parameters of a scenario's `network` section.
pub fn network_params(spec: &NetworkSpec) -> NetworkParams {
    NetworkParams {
        latency: latency_model(&spec.latency),
        jitter_us: spec.jitter.0,
        loss: loss_model(&spec.loss),
        duplication: spec.duplication.0,
        uplink: spec
            .bandwidth
            .as_ref()
            .map(|b| Uplink::new(b.uplink_kbps, b.queue_bytes)),
        topology: topology_params(&spec.topology),
    }
}

/// The latency model of a scenario's `latency`. Parameters were range-checked when the scenario was parsed; a
/// degenerate one (e.g. zero spread) falls back to a constant.
pub fn latency_model(spec: &LatencySpec) -> LatencyModel {
    match spec {
        LatencySpec::Constant(d) => LatencyModel::Constant(d.0),
        LatencySpec::Uniform { min, max } => {
            LatencyModel::Uniform(min.0.min(max.0), max.0.max(min.0))
        }
        LatencySpec::Normal { mean, sd } => match Normal::new(mean.0 as f64, sd.0 as f64) {
            Ok(n) => LatencyModel::Normal(n),
            Err(_) => LatencyModel::Constant(mean.0),
        },
        LatencySpec::LogNormal { median, sigma } => {
            match LogNormal::new((median.0.max(1) as f64).ln(), sigma.0) {
                Ok(n) => LatencyModel::LogNormal(n),
                Err(_) => LatencyModel::Constant(median.0),
            }
        }
        LatencySpec::Pareto { scale, shape } => match Pareto::new(scale.0.max(1) as f64, shape.0) {
            Ok(p) => LatencyModel::Pareto(p),
            Err(_) => LatencyModel::Constant(scale.0),
        },
    }
}

/// The loss model of a scenario's `loss`.
pub fn loss_model(spec: &LossSpec) -> LossModel {
    match spec {
        LossSpec::None => LossModel::None,
        LossSpec::Bernoulli(p) => LossModel::Bernoulli(p.0),
        LossSpec::GilbertElliott {
            p_good_to_bad,
            p_bad_to_good,
            loss_good,
            loss_bad,
        } => LossModel::GilbertElliott {
            p_gb: p_good_to_bad.0,
            p_bg: p_bad_to_good.0,
            loss_good: loss_good.0,
            loss_bad: loss_bad.0,
        },
    }
}

/// The topology of a scenario's `topology`.
pub fn topology_params(spec: &TopologySpec) -> TopologyParams {
    match spec {
        TopologySpec::Full => TopologyParams::Full,
        TopologySpec::Regions { weights, latency } => TopologyParams::Regions {
            weights: weights.iter().map(|w| w.0).collect(),
            latency_us: latency
                .iter()
                .map(|row| row.iter().map(|d| d.0).collect())
                .collect(),
        },
        TopologySpec::RandomGeometric {
            sites,
            radius,
            per_unit,
        } => TopologyParams::RandomGeometric {
            sites: *sites,
            radius: radius.0,
            per_unit_us: per_unit.0,
        },
        TopologySpec::EdgeList { sites, edges } => TopologyParams::EdgeList {
            sites: *sites,
            edges: edges.iter().map(|(a, b, d)| (*a, *b, d.0)).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::testing::scenario;

    #[test]
    fn the_network_section_maps_to_plain_numbers() {
        let s = scenario(
            r#"{
          "name": "n", "duration": "1s",
          "network": {
            "latency": { "constant": "25ms" }, "jitter": "3ms", "duplication": 0.25,
            "loss": { "bernoulli": 0.1 },
            "bandwidth": { "uplink_kbps": 800 },
            "topology": { "edge_list": { "sites": 2, "edges": [[0, 1, "40ms"]] } }
          },
          "nodes": { "count": 2 }, "edges": { "count": 1, "seeds": 1 }
        }"#,
        );
        let p = network_params(&s.network);
        assert!(matches!(p.latency, LatencyModel::Constant(25_000)));
        assert_eq!(p.jitter_us, 3_000);
        assert_eq!(p.loss, LossModel::Bernoulli(0.1));
        assert_eq!(p.duplication, 0.25);
        assert!(p.uplink.is_some());
        assert_eq!(
            p.topology,
            TopologyParams::EdgeList {
                sites: 2,
                edges: vec![(0, 1, 40_000)]
            }
        );
    }

    #[test]
    fn degenerate_latency_falls_back_to_a_constant() {
        let spec = LatencySpec::Pareto {
            scale: crate::scenario::SimDuration(7_000),
            shape: crate::scenario::Positive(0.0),
        };
        assert!(matches!(
            latency_model(&spec),
            LatencyModel::Constant(7_000)
        ));
    }
}
