//! Topologies (SIMULATOR.md: "a petgraph graph ... from which pairwise latency is derived").
//!
//! Nodes are assigned to a few *sites*; the graph is over sites, and shortest-path latency
//! between sites is precomputed once into a sites × sites table. Per-pair cost for nodes is
//! therefore one lookup, and memory does not grow with the square of the node count.

use petgraph::algo::dijkstra;
use petgraph::graph::{NodeIndex, UnGraph};
use rand::RngExt;

use crate::engine::rng;

/// How nodes are placed on sites and what the sites' links cost, in plain numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TopologyParams {
    /// One site: no topology latency.
    #[default]
    Full,
    /// Sites drawn by weight, with a full site-to-site latency matrix (µs).
    Regions {
        /// Relative weight of each site.
        weights: Vec<f64>,
        /// `latency_us[a][b]`: µs from site a to site b.
        latency_us: Vec<Vec<u64>>,
    },
    /// Sites at random points of the unit square, linked when closer than `radius`.
    RandomGeometric {
        /// Number of sites.
        sites: u32,
        /// Link radius (unit square).
        radius: f64,
        /// µs per unit of distance.
        per_unit_us: u64,
    },
    /// Explicit site graph.
    EdgeList {
        /// Number of sites.
        sites: u32,
        /// (site, site, µs) links.
        edges: Vec<(u32, u32, u64)>,
    },
}

/// Site of every node and the site-to-site latency table.
#[derive(Debug, Clone)]
pub struct Topology {
    site: Vec<u32>,
    sites: usize,
    /// `latency[a * sites + b]`: µs from site a to site b, `None` if unreachable.
    latency: Vec<Option<u64>>,
}

impl Topology {
    /// Builds the topology for `nodes` nodes; random placement uses its own stream.
    pub fn new(params: &TopologyParams, nodes: usize, root_seed: u64) -> Topology {
        let mut r = rng::stream(root_seed, "topology", 0);
        match params {
            TopologyParams::Full => Topology {
                site: vec![0; nodes],
                sites: 1,
                latency: vec![Some(0)],
            },
            TopologyParams::Regions {
                weights,
                latency_us,
            } => {
                let total: f64 = weights.iter().sum();
                let site = (0..nodes)
                    .map(|_| {
                        let mut x = r.random::<f64>() * total;
                        for (i, w) in weights.iter().enumerate() {
                            if x < *w {
                                return i as u32;
                            }
                            x -= w;
                        }
                        weights.len() as u32 - 1
                    })
                    .collect();
                let k = weights.len();
                let table = (0..k * k).map(|i| Some(latency_us[i / k][i % k])).collect();
                Topology {
                    site,
                    sites: k,
                    latency: table,
                }
            }
            TopologyParams::RandomGeometric {
                sites,
                radius,
                per_unit_us,
            } => {
                let k = *sites as usize;
                let points: Vec<(f64, f64)> = (0..k)
                    .map(|_| (r.random::<f64>(), r.random::<f64>()))
                    .collect();
                let mut g = UnGraph::<(), u64>::new_undirected();
                let idx: Vec<NodeIndex> = (0..k).map(|_| g.add_node(())).collect();
                for a in 0..k {
                    for b in a + 1..k {
                        let d = ((points[a].0 - points[b].0).powi(2)
                            + (points[a].1 - points[b].1).powi(2))
                        .sqrt();
                        if d <= *radius {
                            g.add_edge(idx[a], idx[b], (d * *per_unit_us as f64).round() as u64);
                        }
                    }
                }
                let site = (0..nodes).map(|_| r.random_range(0..*sites)).collect();
                Topology {
                    site,
                    sites: k,
                    latency: all_pairs(&g, &idx),
                }
            }
            TopologyParams::EdgeList { sites, edges } => {
                let k = *sites as usize;
                let mut g = UnGraph::<(), u64>::new_undirected();
                let idx: Vec<NodeIndex> = (0..k).map(|_| g.add_node(())).collect();
                for (a, b, d) in edges {
                    g.add_edge(idx[*a as usize], idx[*b as usize], *d);
                }
                let site = (0..nodes).map(|_| r.random_range(0..*sites)).collect();
                Topology {
                    site,
                    sites: k,
                    latency: all_pairs(&g, &idx),
                }
            }
        }
    }

    /// Latency (µs) from node `a` to node `b` due to the topology, `None` if unreachable.
    pub fn latency_us(&self, a: usize, b: usize) -> Option<u64> {
        let (sa, sb) = (self.site[a] as usize, self.site[b] as usize);
        self.latency[sa * self.sites + sb]
    }

    /// The site of a node.
    pub fn site(&self, node: usize) -> u32 {
        self.site[node]
    }
}

fn all_pairs(g: &UnGraph<(), u64>, idx: &[NodeIndex]) -> Vec<Option<u64>> {
    let k = idx.len();
    let mut table = vec![None; k * k];
    for a in 0..k {
        let dist = dijkstra(g, idx[a], None, |e| *e.weight());
        for b in 0..k {
            table[a * k + b] = dist.get(&idx[b]).copied();
        }
    }
    table
}
