//! The scenario runner: builds the world a scenario describes and drives the engine to the
//! end, with one driver per job beside it:
//!
//! - [`roster`]: who the hosts are (addresses and clocks by engine index);
//! - [`population`]: joins, churn leaves and rejoins, restarts from a backup or empty;
//! - [`workload`]: writes, reads and the replica checks after each write;
//! - [`faults`]: partitions, heals, crashes and restarts at their scheduled times;
//! - [`sampling`]: the time series and the sampled peer tables;
//! - [`join_probe`]: the tables of freshly started nodes, for the join time;
//! - [`summary`]: turns what the drivers counted into a [`RunOutput`].
//!
//! Every random choice draws from its own stream (`engine::rng`), keyed by purpose and
//! node/writer/reader index: changing the number of writers does not change the network's
//! draws, and so on.
//!
//! # Adding a driver
//!
//! A driver is a struct in its own file holding its state, with an action enum of its own and
//! three methods: a constructor, `schedule(&mut self, stage)` that puts its first actions in
//! the engine's queue (each wrapped in its [`Action`] variant), and
//! `handle(&mut self, stage, t, action) -> String` that performs one and returns the text the
//! trace records (empty for none). Plugging it in takes one variant in [`Action`], one field
//! in `World`, one call in `World::schedule_start` and one arm in `World::handle`; what it
//! counts goes to the summary through a field of [`summary::Tally`]. Shared state (the
//! engine, the scenario, the seed, the crypto provider, the collector) is in [`Stage`], which
//! every driver borrows; a driver that acts on nodes another driver owns borrows that driver
//! (as [`faults`] borrows [`population`] to crash and restart nodes).
//!
//! A driver with hosts of its own (an attacker group) adds them to the [`Roster`] before the
//! engine is built: they get indices after the honest nodes and addresses of their own, and
//! honest-only measures stop at [`Stage::honest_count`]. It seeds their keys and random
//! streams with purposes of its own ([`Stage::seed_bytes`], [`Stage::stream`]), so adding it
//! shifts no honest node's randomness (every honest stream is keyed by the honest node's
//! purpose and index). The engine runs one host type, [`mixed::Mixed`]: an honest host or a
//! boxed `adversary::Attacker`; [`crate::adversary::driver`] is the driver that does all
//! this for the scenario's `adversaries`. Scheduling order is part of the trace: a new driver
//! schedules after the existing ones.

pub mod dave_host;
pub mod faults;
pub mod host;
pub mod join_probe;
pub mod mixed;
pub mod net_params;
pub mod output;
pub mod population;
pub mod roster;
pub mod sampling;
pub mod summary;
pub mod workload;

use std::sync::Arc;
use std::time::Instant;

use rand_chacha::ChaCha12Rng;

use crate::adversary::driver::{self as adversary, Adversaries};
use crate::crypto_model::SimCrypto;
use crate::engine::rng;
use crate::engine::trace::Trace;
use crate::engine::{DeliveryTap, Emitted, Engine, SimTime};
use crate::metrics::collector::Collector;
use crate::network::Network;
use crate::scenario::Scenario;
use faults::Faults;
use host::{Observation, ScenarioHost};
use mixed::{Mixed, MixedEvent};
pub use output::{
    ExpectationResult, FaultReport, OpTraffic, RunOutput, Summary, TheoryRow, Timing,
};
use population::Population;
pub use roster::Roster;
use workload::Workload;

/// The host type the command line runs: `dave_core::Node`.
pub type DefaultHost = dave_host::DaveHost;

/// Options of one run.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// The trace to extend (a capturing one when locating a divergence).
    pub trace: Trace,
    /// Called at each sample with virtual time and events processed.
    pub progress: Option<&'a mut dyn FnMut(SimTime, u64)>,
    /// Called for every delivered datagram (e.g. the `--pcap` writer).
    pub tap: Option<DeliveryTap>,
}

/// A scheduled driver action: one variant per driver.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// Joins, leaves and rejoins.
    Population(population::Act),
    /// Fault number.
    Fault(u32),
    /// Writes, reads and replica checks.
    Workload(workload::Act),
    /// Sample time series and peer tables.
    Sample,
    /// Attacker groups start, victims restart.
    Adversary(adversary::Act),
    /// Probe the tables of freshly started nodes (join time).
    JoinProbe,
}

/// What every driver shares: the engine and the run's fixed inputs.
pub struct Stage<'s, H: ScenarioHost> {
    /// The scenario being run.
    pub scenario: &'s Scenario,
    /// Root seed of the run.
    pub seed: u64,
    /// The engine (hosts, network, queue, trace).
    pub engine: Engine<H, Action>,
    /// The crypto provider every host shares.
    pub crypto: Arc<SimCrypto>,
    /// Metrics gathered from events and samples.
    pub collector: Collector,
    /// End of the run, µs of virtual time.
    pub end: u64,
    /// The honest nodes up, as (NodeId, node) sorted, and the engine's population count it
    /// was built at: the join probe's view of who is up, rebuilt only when that changes.
    pub join_up: (u64, Vec<(u64, u32)>),
    /// K of the honest nodes' configuration, which the join probe needs (a full bucket).
    pub bucket_size: usize,
}

impl<'s, H: ScenarioHost> Stage<'s, H> {
    /// Builds the engine over the roster's hosts and the scenario's network.
    pub fn new(scenario: &'s Scenario, seed: u64, roster: Roster, trace: Trace) -> Self {
        let network = Network::new(
            net_params::network_params(&scenario.network),
            roster.len(),
            seed,
        );
        let config = scenario.nodes.config.to_config();
        Stage {
            scenario,
            seed,
            engine: Engine::new(network, roster.addrs, roster.clocks, trace),
            crypto: Arc::new(SimCrypto::new(scenario.crypto, seed)),
            collector: Collector::new(config.replicas),
            end: scenario.duration.0,
            join_up: (u64::MAX, Vec::new()),
            bucket_size: config.k,
        }
    }

    /// A random stream of this run for `purpose` and `index`.
    pub fn stream(&self, purpose: &str, index: u64) -> ChaCha12Rng {
        rng::stream(self.seed, purpose, index)
    }

    /// 32 seed bytes of this run for `purpose` and `index` (keys, host RNGs).
    pub fn seed_bytes(&self, purpose: &str, index: u64) -> [u8; 32] {
        rng::seed_bytes(self.seed, purpose, index)
    }

    /// Honest nodes in the scenario (engine indices `0..count`).
    pub fn honest_count(&self) -> u32 {
        self.scenario.nodes.count
    }
}

struct World<'s, H: ScenarioHost> {
    stage: Stage<'s, Mixed<H>>,
    population: Population<Mixed<H>>,
    workload: Workload,
    faults: Faults,
    adversaries: Adversaries,
    events: Vec<Emitted<MixedEvent<H::Event>>>,
}

/// Runs a scenario with honest hosts of type `H` and the scenario's attacker groups.
pub fn run<H: ScenarioHost>(scenario: &Scenario, mut options: RunOptions<'_>) -> RunOutput {
    let started = Instant::now();
    let seed = options.seed.unwrap_or(scenario.seed);
    let mut roster = Roster::honest(scenario, seed);
    let population = Population::<Mixed<H>>::new(scenario, seed, &roster.addrs);
    let adversaries = Adversaries::new(scenario, seed, &mut roster);
    let honest = &roster.addrs[..scenario.nodes.count as usize];
    let meter = adversaries.reflection_meter(scenario, honest);
    let mut stage = Stage::new(scenario, seed, roster, std::mem::take(&mut options.trace));
    // The caller's tap (a pcap) and the reflection meter both see every delivery.
    let mut caller_tap = options.tap.take();
    if caller_tap.is_some() || meter.is_some() {
        stage
            .engine
            .set_delivery_tap(Box::new(move |t, from, to, bytes| {
                if let Some(tap) = caller_tap.as_mut() {
                    tap(t, from, to, bytes);
                }
                if let Some(meter) = &meter {
                    meter.borrow_mut().delivered(to, bytes);
                }
            }));
    }
    let mut world = World {
        faults: Faults::new(scenario),
        stage,
        population,
        workload: Workload::default(),
        adversaries,
        events: Vec::new(),
    };
    world.schedule_start();
    let end = SimTime(world.stage.end);
    while let Some((t, action)) = world.stage.engine.next_action(end) {
        world.drain_events();
        world.handle(t, action, &mut options);
        world.drain_events();
    }
    world.drain_events();
    sampling::sample(&mut world.stage, end);
    world.adversaries.sample(&world.stage, end);
    world.faults.close_partition(&world.stage.engine);
    let mut attack_metrics = std::collections::BTreeMap::new();
    let groups = world.adversaries.finish(&world.stage, &mut attack_metrics);
    let liar_detection = world.adversaries.liar_detection(&world.stage);
    summary::finish(
        world.stage,
        summary::Tally {
            churn_leaves: world.population.leaves,
            churn_joins: world.population.joins,
            writes_skipped: world.workload.skipped,
            faults: world.faults.reports(scenario),
            attack_metrics,
            groups,
            victims: world.adversaries.victims().to_vec(),
            liar_detection,
        },
        started,
    )
}

impl<H: ScenarioHost> World<'_, H> {
    fn schedule_start(&mut self) {
        self.population.schedule(&mut self.stage);
        self.faults.schedule(&mut self.stage);
        self.workload.schedule(&mut self.stage);
        sampling::schedule(&mut self.stage);
        self.adversaries.schedule(&mut self.stage);
        for (nodes, from) in self.adversaries.victim_readers(self.stage.scenario) {
            self.workload.add_readers(&mut self.stage, &nodes, from);
        }
        join_probe::schedule(&mut self.stage);
    }

    fn drain_events(&mut self) {
        self.stage.engine.take_events(&mut self.events);
        let collector = &mut self.stage.collector;
        for e in self.events.drain(..) {
            // Attackers keep no backup; what they do is in their counters.
            if matches!(e.event, MixedEvent::Attacker(_)) {
                continue;
            }
            match Mixed::<H>::observe(&e.event, self.population.backup_mut(e.node)) {
                Observation::LookupDone {
                    lookup,
                    found,
                    hops,
                    queries,
                } => collector.lookup_done(e.time, e.node, lookup, found, hops, queries),
                Observation::Stored { record } => collector.stored(e.time, e.node, record),
                Observation::Forgotten { record, pushed_out } => {
                    collector.forgotten(e.node, record, pushed_out)
                }
                Observation::Challenge { peer, passed } => {
                    collector.challenged(e.node, peer, passed)
                }
                Observation::Other => {}
            }
        }
    }

    fn handle(&mut self, t: SimTime, action: Action, options: &mut RunOptions<'_>) {
        let stage = &mut self.stage;
        let text = match action {
            Action::Population(act) => self.population.handle(stage, t, act),
            Action::Fault(k) => self.faults.fire(stage, &mut self.population, k as usize),
            Action::Workload(act) => self.workload.handle(stage, t, act),
            Action::Adversary(act) => self.adversaries.handle(stage, &mut self.population, act),
            Action::Sample => {
                sampling::sample(stage, t);
                self.adversaries.sample(stage, t);
                if let Some(p) = options.progress.as_mut() {
                    p(t, stage.engine.events_processed());
                }
                String::new()
            }
            Action::JoinProbe => {
                join_probe::probe(stage, t);
                String::new()
            }
        };
        if !text.is_empty() {
            stage.engine.trace_action(u32::MAX, &text);
        }
    }
}

/// Helpers for the drivers' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::scenario;

    /// Parses a scenario written inline in a test.
    pub fn scenario(json: &str) -> Scenario {
        match scenario::parse("test.json", json, &[]) {
            Ok(s) => s,
            Err(e) => panic!("test scenario: {e}"),
        }
    }

    /// A stage over the scenario's honest nodes, none started yet.
    pub fn stage<H: ScenarioHost>(s: &Scenario) -> Stage<'_, H> {
        Stage::new(s, s.seed, Roster::honest(s, s.seed), Trace::default())
    }

    /// Drains every action due up to `until`, handing each to `f`.
    pub fn drain<H: ScenarioHost>(
        stage: &mut Stage<'_, H>,
        until: u64,
        mut f: impl FnMut(&mut Stage<'_, H>, SimTime, Action),
    ) {
        while let Some((t, a)) = stage.engine.next_action(SimTime(until)) {
            f(stage, t, a);
        }
    }
}
