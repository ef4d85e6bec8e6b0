//! The population both networks run: one scenario, built in code, and what a node needs to be
//! started outside the simulator (its address, first start and config), taken from the
//! runner's own functions so the turmoil hosts are the very nodes dave-sim would create.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use dave_core::config::Config;
use dave_sim::crypto_model::SimCrypto;
use dave_sim::scenario::{self, Override, Scenario};
use dave_sim::sim::Roster;
use dave_sim::sim::population::{FirstStart, first_starts};

/// One-way latency of every link in both networks. Constant, so turmoil (which draws a delay
/// between a minimum and a maximum) can be given exactly the same: minimum = maximum.
pub const LATENCY: Duration = Duration::from_millis(20);

/// The comparison scenario: the baseline's bootstrap (3 edges drawn from 8 seed nodes, joins
/// spread over 20 s, min_work 8) on a clean network — constant latency, no loss, jitter,
/// bandwidth limit or clock skew, none of which turmoil models the same way — with modeled
/// crypto, so both runs measure the network simulator rather than ed25519.
const SCENARIO: &str = r#"{
  "name": "turmoil-comparison",
  "seed": 1,
  "duration": "60s",
  "sample_every": "5s",
  "crypto": "modeled",
  "network": { "latency": { "constant": "20ms" } },
  "nodes": { "count": 50, "join_over": "20s", "config": { "min_work": 8 } },
  "edges": { "count": 3, "seeds": 8 }
}"#;

/// The scenario at `nodes` nodes for `duration` of virtual time (whole milliseconds).
pub fn scenario(nodes: u32, duration: Duration) -> Result<Scenario, String> {
    let overrides = [
        format!("nodes.count={nodes}").parse::<Override>()?,
        format!("duration={}ms", duration.as_millis()).parse::<Override>()?,
    ];
    scenario::parse("turmoil-comparison", SCENARIO, &overrides).map_err(|e| e.to_string())
}

/// One node as the runner would start it.
pub struct NodeSpec {
    /// Its address (the roster's plan: public space, one /24 each).
    pub addr: SocketAddr,
    /// Join time, edges, key and RNG seed.
    pub start: FirstStart,
}

/// Everything the turmoil side needs to start the scenario's nodes.
pub struct Population {
    /// Every honest node, in index order.
    pub nodes: Vec<NodeSpec>,
    /// Protocol constants (the scenario's overrides over the defaults).
    pub config: Config,
    /// The provider dave-sim gives its nodes for this seed (modeled: keyed BLAKE3).
    pub crypto: Arc<SimCrypto>,
}

impl Population {
    /// The honest population of `s`, as `dave_sim::sim::run` would start it.
    pub fn of(s: &Scenario) -> Population {
        let addrs = Roster::honest(s, s.seed).addrs;
        let starts = first_starts(s, s.seed, &addrs);
        Population {
            nodes: addrs
                .into_iter()
                .zip(starts)
                .map(|(addr, start)| NodeSpec { addr, start })
                .collect(),
            config: s.nodes.config.to_config(),
            crypto: Arc::new(SimCrypto::new(s.crypto, s.seed)),
        }
    }
}
