//! Population driver: who is up. Schedules every node's first join, draws churn sessions and
//! downtimes for the churning nodes, and (re)creates hosts, from their backup log or empty.
//!
//! Each node has a life counter: a crash or fault restart bumps it, so churn actions scheduled
//! in an earlier life are ignored rather than stopping or starting the node out of turn.

use std::net::SocketAddr;
use std::sync::Arc;

use dave_core::config::Config;
use rand::RngExt;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, Exp, Weibull};

use super::host::{HostContext, ScenarioHost};
use super::{Action, Stage};
use crate::engine::SimTime;
use crate::engine::rng::{seed_bytes, stream};
use crate::scenario::{LifetimeSpec, RestartFrom, Scenario};

/// A population action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// First start of a node.
    Join(u32),
    /// Churn: node leaves (valid only in the given life).
    Leave(u32, u32),
    /// Churn: node comes back (valid only in the given life).
    Rejoin(u32, u32),
}

/// The honest nodes' lives: edges, backups, incarnations and churn streams.
pub struct Population<H: ScenarioHost> {
    /// The honest nodes' configuration, shared by all of them.
    node_config: Arc<Config>,
    edges: Vec<Vec<SocketAddr>>,
    backups: Vec<H::Backup>,
    incarnation: Vec<u32>,
    life: Vec<u32>,
    /// Each churning node's stream, boxed: a `ChaCha12Rng` is 304 bytes, and every node that
    /// never churns (all of them in most runs) would hold that much for nothing (300 MB at a
    /// million nodes).
    churn_rng: Vec<Option<Box<ChaCha12Rng>>>,
    /// Churn leaves so far.
    pub leaves: u64,
    /// Churn rejoins so far.
    pub joins: u64,
}

impl<H: ScenarioHost> Population<H> {
    /// The scenario's nodes, none started; `addrs` are the roster's (honest first).
    pub fn new(s: &Scenario, seed: u64, addrs: &[SocketAddr]) -> Self {
        let n = s.nodes.count as usize;
        Population {
            node_config: Arc::new(s.nodes.config.to_config()),
            edges: make_edges(s, seed, addrs),
            backups: (0..n).map(|_| H::Backup::default()).collect(),
            incarnation: vec![0; n],
            life: vec![0; n],
            churn_rng: vec![None; n],
            leaves: 0,
            joins: 0,
        }
    }

    /// Schedules every join and picks the churning nodes (seed nodes never churn).
    pub fn schedule(&mut self, stage: &mut Stage<'_, H>) {
        let s = stage.scenario;
        let n = s.nodes.count;
        for i in 0..n {
            let at = join_time(s, stage.seed, i);
            stage
                .engine
                .schedule(SimTime(at), Action::Population(Act::Join(i)));
        }
        if let Some(c) = &s.churn {
            let mut pick = stage.stream("churn", 0);
            for i in s.edges.seeds..n {
                if c.fraction.0 > 0.0 && pick.random_bool(c.fraction.0) {
                    self.churn_rng[i as usize] =
                        Some(Box::new(stage.stream("churn", u64::from(i) + 1)));
                }
            }
        }
    }

    /// Performs one action; returns its trace text.
    pub fn handle(&mut self, stage: &mut Stage<'_, H>, t: SimTime, act: Act) -> String {
        match act {
            Act::Join(i) => {
                self.start_node(stage, i, RestartFrom::Empty);
                self.schedule_leave(stage, i, t.0);
                format!("join {i}")
            }
            Act::Leave(i, life) if life == self.life[i as usize] && stage.engine.is_up(i) => {
                stage.engine.stop(i);
                self.leaves += 1;
                if let (Some(c), Some(r)) = (
                    &stage.scenario.churn,
                    self.churn_rng[i as usize].as_deref_mut(),
                ) {
                    let at = t.0 + lifetime(&c.downtime, r);
                    stage
                        .engine
                        .schedule(SimTime(at), Action::Population(Act::Rejoin(i, life)));
                }
                format!("leave {i}")
            }
            Act::Rejoin(i, life) if life == self.life[i as usize] && !stage.engine.is_up(i) => {
                let from = stage
                    .scenario
                    .churn
                    .as_ref()
                    .map_or(RestartFrom::Backup, |c| c.restart);
                self.start_node(stage, i, from);
                self.joins += 1;
                self.schedule_leave(stage, i, t.0);
                format!("rejoin {i}")
            }
            Act::Leave(..) | Act::Rejoin(..) => String::new(),
        }
    }

    /// Stops a running node and ends its life (a fault crash); whether it was up.
    pub fn crash(&mut self, stage: &mut Stage<'_, H>, i: u32) -> bool {
        let was_up = stage.engine.stop(i).is_some();
        if was_up {
            self.life[i as usize] += 1;
        }
        was_up
    }

    /// Starts a stopped node in a new life (a fault restart); whether it was down.
    pub fn restart(&mut self, stage: &mut Stage<'_, H>, i: u32, from: RestartFrom) -> bool {
        if stage.engine.is_up(i) {
            return false;
        }
        self.life[i as usize] += 1;
        self.start_node(stage, i, from);
        let now = stage.engine.now().0;
        self.schedule_leave(stage, i, now);
        true
    }

    /// The backup log the simulator keeps for node `i` from its events.
    pub fn backup_mut(&mut self, i: u32) -> &mut H::Backup {
        &mut self.backups[i as usize]
    }

    fn start_node(&mut self, stage: &mut Stage<'_, H>, i: u32, from: RestartFrom) {
        let idx = i as usize;
        self.incarnation[idx] += 1;
        if from == RestartFrom::Empty {
            self.backups[idx] = H::Backup::default();
            stage.collector.node_wiped(i);
        }
        let ctx = HostContext {
            index: i,
            addr: stage.engine.addr(i),
            edges: &self.edges[idx],
            key_seed: key_seed(stage.seed, i),
            rng_seed: rng_seed(stage.seed, i, self.incarnation[idx]),
            config: &stage.scenario.nodes.config,
            node_config: &self.node_config,
            crypto: stage.crypto.clone(),
            now: stage.engine.local_now(i),
        };
        let backup =
            (from == RestartFrom::Backup && self.incarnation[idx] > 1).then(|| &self.backups[idx]);
        let host = H::create(&ctx, backup);
        stage.engine.start(i, host);
        let now = stage.engine.now().0;
        stage
            .collector
            .joins
            .started(i, now, self.incarnation[idx] > 1);
    }

    fn schedule_leave(&mut self, stage: &mut Stage<'_, H>, i: u32, now: u64) {
        let (Some(c), Some(r)) = (
            &stage.scenario.churn,
            self.churn_rng[i as usize].as_deref_mut(),
        ) else {
            return;
        };
        let at = (now + lifetime(&c.session, r)).max(c.start.0);
        stage.engine.schedule(
            SimTime(at),
            Action::Population(Act::Leave(i, self.life[i as usize])),
        );
    }
}

/// How honest node `i` starts the first time in a run of `s` with root seed `seed`: the same
/// join time, edges, key and RNG seed the runner gives it. Public so that a harness driving the
/// same `dave_core` nodes over another network (`benches/turmoil.rs`) starts an identical
/// population rather than a look-alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstStart {
    /// Virtual time of the first join, µs.
    pub join_at: u64,
    /// Bootstrap edges.
    pub edges: Vec<SocketAddr>,
    /// Key material of the node's identity.
    pub key_seed: [u8; 32],
    /// Seed of the node's RNG in its first incarnation.
    pub rng_seed: [u8; 32],
}

/// Every honest node's [`FirstStart`]; `addrs` are the roster's (honest first).
pub fn first_starts(s: &Scenario, seed: u64, addrs: &[SocketAddr]) -> Vec<FirstStart> {
    make_edges(s, seed, addrs)
        .into_iter()
        .zip(0..)
        .map(|(edges, i)| FirstStart {
            join_at: join_time(s, seed, i),
            edges,
            key_seed: key_seed(seed, i),
            rng_seed: rng_seed(seed, i, 1),
        })
        .collect()
}

/// When node `i` first joins, µs: seed nodes at once, the rest uniformly over `join_over`.
fn join_time(s: &Scenario, seed: u64, i: u32) -> u64 {
    if i < s.edges.seeds || s.nodes.join_over.0 == 0 {
        0
    } else {
        stream(seed, "join", u64::from(i)).random_range(0..=s.nodes.join_over.0)
    }
}

/// Node `i`'s identity key material, the same in every incarnation.
fn key_seed(seed: u64, i: u32) -> [u8; 32] {
    seed_bytes(seed, "node-key", u64::from(i))
}

/// The RNG seed of node `i`'s `incarnation` (1 for the first start).
fn rng_seed(seed: u64, i: u32, incarnation: u32) -> [u8; 32] {
    seed_bytes(
        seed,
        "node-rng",
        u64::from(i) << 32 | u64::from(incarnation),
    )
}

/// Each node gets `count` distinct seed nodes other than itself (partial Fisher–Yates).
fn make_edges(s: &Scenario, seed: u64, addrs: &[SocketAddr]) -> Vec<Vec<SocketAddr>> {
    (0..s.nodes.count)
        .map(|i| {
            let mut r = stream(seed, "edges", u64::from(i));
            let mut pool: Vec<u32> = (0..s.edges.seeds).filter(|&j| j != i).collect();
            let take = (s.edges.count as usize).min(pool.len());
            for k in 0..take {
                let j = r.random_range(k..pool.len());
                pool.swap(k, j);
            }
            pool[..take].iter().map(|&j| addrs[j as usize]).collect()
        })
        .collect()
}

/// A session or downtime length, µs (at least 1).
fn lifetime(spec: &LifetimeSpec, r: &mut ChaCha12Rng) -> u64 {
    let sample = match spec {
        LifetimeSpec::Exponential { mean } => Exp::new(1.0 / (mean.0.max(1) as f64))
            .map(|d| d.sample(r))
            .unwrap_or(mean.0 as f64),
        LifetimeSpec::Weibull { scale, shape } => Weibull::new(scale.0.max(1) as f64, shape.0)
            .map(|d| d.sample(r))
            .unwrap_or(scale.0 as f64),
    };
    (sample.max(1.0) as u64).min(u64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::host::EchoHost;
    use crate::sim::testing::{drain, scenario, stage};

    const CHURN: &str = r#"{
      "name": "p", "duration": "100s",
      "network": { "latency": { "constant": "10ms" } },
      "nodes": { "count": 8, "join_over": "10s" },
      "edges": { "count": 2, "seeds": 2 },
      "churn": { "fraction": 1.0, "session": { "exponential": { "mean": "5s" } },
                 "downtime": { "exponential": { "mean": "2s" } } }
    }"#;

    use crate::sim::Roster;

    const STEADY: &str = r#"{
      "name": "p", "duration": "100s",
      "network": { "latency": { "constant": "10ms" } },
      "nodes": { "count": 8, "join_over": "10s" },
      "edges": { "count": 2, "seeds": 2 }
    }"#;

    #[test]
    fn seeds_join_at_zero_and_the_rest_within_join_over() {
        let s = scenario(STEADY);
        let mut st = stage::<EchoHost>(&s);
        let mut p = Population::<EchoHost>::new(&s, s.seed, &Roster::honest(&s, s.seed).addrs);
        p.schedule(&mut st);
        let mut joins = Vec::new();
        drain(&mut st, 100_000_000, |st, t, a| {
            if let Action::Population(act) = a {
                assert!(matches!(act, Act::Join(_)), "no churn configured: {act:?}");
                p.handle(st, t, act);
                joins.push((t.0, act));
            }
        });
        assert_eq!(joins.len(), 8);
        for (t, act) in joins {
            let Act::Join(i) = act else { unreachable!() };
            if i < 2 {
                assert_eq!(t, 0, "seed node {i} joins at once");
            }
            assert!(t <= 10_000_000, "node {i} joined at {t}");
        }
        assert_eq!((0..8).filter(|&i| st.engine.is_up(i)).count(), 8);
    }

    #[test]
    fn churning_nodes_leave_and_rejoin_and_seeds_stay() {
        let s = scenario(CHURN);
        let mut st = stage::<EchoHost>(&s);
        let mut p = Population::<EchoHost>::new(&s, s.seed, &Roster::honest(&s, s.seed).addrs);
        p.schedule(&mut st);
        drain(&mut st, 100_000_000, |st, t, a| {
            if let Action::Population(act) = a {
                let text = p.handle(st, t, act);
                if let Act::Leave(i, _) | Act::Rejoin(i, _) = act {
                    assert!(i >= 2, "seed node {i} churned");
                    assert!(!text.is_empty(), "valid churn action {act:?} is traced");
                }
            }
        });
        assert!(p.leaves > 10, "leaves: {}", p.leaves);
        assert!(p.joins + 6 >= p.leaves && p.joins <= p.leaves);
        assert!(st.engine.is_up(0) && st.engine.is_up(1));
    }

    #[test]
    fn a_crash_ends_the_life_so_stale_churn_is_ignored() {
        let s = scenario(CHURN);
        let mut st = stage::<EchoHost>(&s);
        let mut p = Population::<EchoHost>::new(&s, s.seed, &Roster::honest(&s, s.seed).addrs);
        p.handle(&mut st, SimTime(0), Act::Join(5));
        assert!(st.engine.is_up(5));
        assert!(p.crash(&mut st, 5));
        assert!(!p.crash(&mut st, 5), "already down");
        assert_eq!(p.handle(&mut st, SimTime(1), Act::Rejoin(5, 0)), "");
        assert!(
            !st.engine.is_up(5),
            "a rejoin from the old life does nothing"
        );
        assert!(p.restart(&mut st, 5, RestartFrom::Backup));
        assert!(!p.restart(&mut st, 5, RestartFrom::Backup), "already up");
        assert_eq!(p.handle(&mut st, SimTime(2), Act::Leave(5, 0)), "");
        assert!(st.engine.is_up(5), "a leave from the old life does nothing");
        assert_eq!(p.handle(&mut st, SimTime(3), Act::Leave(5, 2)), "leave 5");
        assert!(!st.engine.is_up(5));
    }

    #[test]
    fn first_starts_are_the_joins_the_runner_schedules() {
        let s = scenario(STEADY);
        let addrs = Roster::honest(&s, s.seed).addrs;
        let starts = first_starts(&s, s.seed, &addrs);
        let mut st = stage::<EchoHost>(&s);
        let mut p = Population::<EchoHost>::new(&s, s.seed, &addrs);
        p.schedule(&mut st);
        let mut joined = vec![None; 8];
        drain(&mut st, 100_000_000, |_, t, a| {
            if let Action::Population(Act::Join(i)) = a {
                joined[i as usize] = Some(t.0);
            }
        });
        let expected: Vec<_> = starts.iter().map(|f| Some(f.join_at)).collect();
        assert_eq!(joined, expected);
        assert!(starts.iter().skip(2).any(|f| f.join_at > 0), "joins spread");
        let edges: Vec<_> = starts.iter().map(|f| f.edges.clone()).collect();
        assert_eq!(edges, p.edges);
        assert_eq!(starts[3].key_seed, st.seed_bytes("node-key", 3));
        assert_eq!(starts[3].rng_seed, st.seed_bytes("node-rng", 3 << 32 | 1));
        assert_ne!(starts[3].key_seed, starts[4].key_seed);
    }

    #[test]
    fn edges_are_distinct_seeds_other_than_the_node() {
        let s = scenario(CHURN);
        let addrs = Roster::honest(&s, 7).addrs;
        let edges = make_edges(&s, 7, &addrs);
        for (i, e) in edges.iter().enumerate() {
            let expect = if i < 2 { 1 } else { 2 };
            assert_eq!(e.len(), expect, "node {i}");
            assert!(!e.contains(&addrs[i]));
            assert!(e.iter().all(|a| addrs[..2].contains(a)));
        }
        assert_eq!(
            edges,
            make_edges(&s, 7, &addrs),
            "a pure function of the seed"
        );
    }
}
