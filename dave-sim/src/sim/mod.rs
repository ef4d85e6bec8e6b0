//! The scenario runner: builds the world a scenario describes (addresses, clocks, network,
//! edges), schedules joins, churn, faults, workload and samples, drives the engine to the end
//! and gathers a [`RunOutput`].
//!
//! Every random choice here draws from its own stream (`engine::rng`), keyed by purpose and
//! node/writer/reader index: changing the number of writers does not change the network's
//! draws, and so on.

pub mod dave_host;
pub mod host;
pub mod output;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use rand::RngExt;
use rand_chacha::ChaCha12Rng;
use rand_distr::{Distribution, Exp, Weibull, Zipf};

use crate::crypto_memo::MemoCrypto;
use crate::engine::rng::{seed_bytes, stream};
use crate::engine::trace::Trace;
use crate::engine::{DeliveryTap, Emitted, Engine, SimTime};
use crate::metrics::collector::{Collector, PROPAGATION_WINDOW_US, PeerRow, SampleRow};
use crate::metrics::stats::{mean, quantile};
use crate::network::clock::Clock;
use crate::network::{DropReason, Network, OPS, addr};
use crate::scenario::{FaultSpec, LifetimeSpec, Popularity, RestartFrom, Scenario, WorkloadSpec};
use host::{HostContext, Observation, ScenarioHost, WriteRequest};
pub use output::{ExpectationResult, FaultReport, OpTraffic, RunOutput, Summary, Timing};

/// Nodes whose peer tables are written to `peers.csv` at each sample (evenly spaced).
const SAMPLED_NODES: u32 = 16;
/// Replicas per record when the scenario does not override it (PROTOCOL.md §11).
const DEFAULT_REPLICAS: u32 = 5;

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

#[derive(Debug, Clone, Copy)]
enum Action {
    /// First start of a node.
    Join(u32),
    /// Churn: node leaves (valid only in the given life).
    Leave(u32, u32),
    /// Churn: node comes back (valid only in the given life).
    Rejoin(u32, u32),
    /// Fault number.
    Fault(u32),
    /// Writer number writes.
    Write(u32),
    /// Reader number reads.
    Read(u32),
    /// Count replicas of a record.
    CheckRecord(u64),
    /// Sample time series and peer tables.
    Sample,
}

struct CatalogEntry {
    record: u64,
    pubkey: [u8; 32],
    key: Vec<u8>,
    written: u64,
}

struct FaultState {
    fired: u64,
}

struct World<'s, H: ScenarioHost> {
    scenario: &'s Scenario,
    seed: u64,
    engine: Engine<H, Action>,
    crypto: Arc<MemoCrypto>,
    edges: Vec<Vec<std::net::SocketAddr>>,
    backups: Vec<H::Backup>,
    incarnation: Vec<u32>,
    /// Per node: life counter invalidating stale churn actions after a crash or restart.
    life: Vec<u32>,
    churn_rng: Vec<Option<ChaCha12Rng>>,
    writers: Vec<(u32, ChaCha12Rng, u64)>,
    readers: Vec<(u32, ChaCha12Rng)>,
    catalog: Vec<CatalogEntry>,
    collector: Collector,
    faults: Vec<FaultState>,
    active_partition: Option<(usize, u64)>,
    churn_leaves: u64,
    churn_joins: u64,
    writes_skipped: u64,
    events: Vec<Emitted<H::Event>>,
    end: u64,
}

/// Runs a scenario with hosts of type `H`.
pub fn run<H: ScenarioHost>(scenario: &Scenario, mut options: RunOptions<'_>) -> RunOutput {
    let started = Instant::now();
    let seed = options.seed.unwrap_or(scenario.seed);
    let n = scenario.nodes.count;
    let n24 = scenario.nodes.groups.ipv4_24s.unwrap_or(n);
    let n16 = scenario.nodes.groups.ipv4_16s.unwrap_or(n24);
    let addrs = addr::plan(n, n24, n16);
    let clocks = make_clocks(scenario, seed);
    let network = Network::new(&scenario.network, n as usize, seed);
    let mut engine = Engine::new(
        network,
        addrs.clone(),
        clocks,
        std::mem::take(&mut options.trace),
    );
    if let Some(tap) = options.tap.take() {
        engine.set_delivery_tap(tap);
    }
    let edges = make_edges(scenario, seed, &addrs);
    let replicas = scenario.nodes.config.replicas.unwrap_or(DEFAULT_REPLICAS);
    let mut world = World::<H> {
        scenario,
        seed,
        engine,
        crypto: Arc::new(MemoCrypto::default()),
        edges,
        backups: (0..n).map(|_| H::Backup::default()).collect(),
        incarnation: vec![0; n as usize],
        life: vec![0; n as usize],
        churn_rng: vec![None; n as usize],
        writers: Vec::new(),
        readers: Vec::new(),
        catalog: Vec::new(),
        collector: Collector::new(replicas as usize),
        faults: scenario
            .faults
            .iter()
            .map(|_| FaultState { fired: 0 })
            .collect(),
        active_partition: None,
        churn_leaves: 0,
        churn_joins: 0,
        writes_skipped: 0,
        events: Vec::new(),
        end: scenario.duration.0,
    };
    world.schedule_start();
    let end = SimTime(world.end);
    while let Some((t, action)) = world.engine.next_action(end) {
        world.drain_events();
        world.handle(t, action, &mut options);
        world.drain_events();
    }
    world.drain_events();
    world.sample(end);
    world.finish(started)
}

/// Per-op counters as one CSV cell, `;`-separated in `OPS` order.
fn join_counts(counts: &[u64]) -> String {
    counts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

fn make_clocks(s: &Scenario, seed: u64) -> Vec<Clock> {
    let max_offset = s.network.clock.max_offset.0.min(i64::MAX as u64) as i64;
    let max_drift = s.network.clock.max_drift_ppm.min(i32::MAX as u32) as i32;
    (0..s.nodes.count)
        .map(|i| {
            let mut r = stream(seed, "clock", u64::from(i));
            Clock {
                offset_us: if max_offset > 0 {
                    r.random_range(-max_offset..=max_offset)
                } else {
                    0
                },
                drift_ppm: if max_drift > 0 {
                    r.random_range(-max_drift..=max_drift)
                } else {
                    0
                },
            }
        })
        .collect()
}

/// Each node gets `count` distinct seed nodes other than itself (partial Fisher–Yates).
fn make_edges(
    s: &Scenario,
    seed: u64,
    addrs: &[std::net::SocketAddr],
) -> Vec<Vec<std::net::SocketAddr>> {
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

fn exp_interval(mean_us: u64, r: &mut ChaCha12Rng) -> u64 {
    let x = Exp::new(1.0 / (mean_us.max(1) as f64))
        .map(|d| d.sample(r))
        .unwrap_or(mean_us as f64);
    (x.max(1.0) as u64).min(u64::MAX / 4)
}

impl<H: ScenarioHost> World<'_, H> {
    fn schedule_start(&mut self) {
        let s = self.scenario;
        let n = s.nodes.count;
        for i in 0..n {
            let at = if i < s.edges.seeds || s.nodes.join_over.0 == 0 {
                0
            } else {
                stream(self.seed, "join", u64::from(i)).random_range(0..=s.nodes.join_over.0)
            };
            self.engine.schedule(SimTime(at), Action::Join(i));
        }
        if let Some(c) = &s.churn {
            let mut pick = stream(self.seed, "churn", 0);
            for i in s.edges.seeds..n {
                if c.fraction.0 > 0.0 && pick.random_bool(c.fraction.0) {
                    self.churn_rng[i as usize] = Some(stream(self.seed, "churn", u64::from(i) + 1));
                }
            }
        }
        for (i, f) in s.faults.iter().enumerate() {
            self.engine
                .schedule(SimTime(f.at().0), Action::Fault(i as u32));
        }
        if let Some(w) = &s.workload
            && H::SUPPORTS_WORKLOAD
        {
            self.schedule_workload(w);
        }
        let mut t = 0;
        while t < self.end {
            self.engine.schedule(SimTime(t), Action::Sample);
            t += s.sample_every.0;
        }
    }

    fn schedule_workload(&mut self, w: &WorkloadSpec) {
        let n = self.scenario.nodes.count;
        let seeds = self.scenario.edges.seeds.min(n);
        // Non-seed nodes first, each group in a random order, so seeds write only when needed.
        let order = |purpose: &str| {
            let mut r = stream(self.seed, purpose, 0);
            let mut v: Vec<u32> = (seeds..n).collect();
            let mut tail: Vec<u32> = (0..seeds).collect();
            for list in [&mut v, &mut tail] {
                for k in (1..list.len()).rev() {
                    let j = r.random_range(0..=k);
                    list.swap(k, j);
                }
            }
            v.extend(tail);
            v
        };
        for (slot, node) in order("writers")
            .into_iter()
            .take(w.writers as usize)
            .enumerate()
        {
            let mut r = stream(self.seed, "writer", slot as u64);
            let first = w.start.0 + exp_interval(w.put_every.0, &mut r);
            self.writers.push((node, r, 0));
            self.engine
                .schedule(SimTime(first), Action::Write(slot as u32));
        }
        for (slot, node) in order("readers")
            .into_iter()
            .take(w.readers as usize)
            .enumerate()
        {
            let mut r = stream(self.seed, "reader", slot as u64);
            let first = w.start.0 + exp_interval(w.get_every.0, &mut r);
            self.readers.push((node, r));
            self.engine
                .schedule(SimTime(first), Action::Read(slot as u32));
        }
    }

    fn drain_events(&mut self) {
        self.engine.take_events(&mut self.events);
        for e in self.events.drain(..) {
            match H::observe(&e.event, &mut self.backups[e.node as usize]) {
                Observation::LookupDone {
                    lookup,
                    found,
                    hops,
                    queries,
                } => {
                    self.collector
                        .lookup_done(e.time, e.node, lookup, found, hops, queries);
                }
                Observation::Stored { record } => self.collector.stored(e.time, e.node, record),
                Observation::Forgotten { record } => self.collector.forgotten(e.node, record),
                Observation::Other => {}
            }
        }
    }

    fn start_node(&mut self, i: u32, from: RestartFrom) {
        let idx = i as usize;
        self.incarnation[idx] += 1;
        if from == RestartFrom::Empty {
            self.backups[idx] = H::Backup::default();
            self.collector.node_wiped(i);
        }
        let ctx = HostContext {
            index: i,
            addr: self.engine.addr(i),
            edges: &self.edges[idx],
            key_seed: seed_bytes(self.seed, "node-key", u64::from(i)),
            rng_seed: seed_bytes(
                self.seed,
                "node-rng",
                u64::from(i) << 32 | u64::from(self.incarnation[idx]),
            ),
            config: &self.scenario.nodes.config,
            crypto: self.crypto.clone(),
            now: self.engine.local_now(i),
        };
        let backup =
            (from == RestartFrom::Backup && self.incarnation[idx] > 1).then(|| &self.backups[idx]);
        let host = H::create(&ctx, backup);
        self.engine.start(i, host);
    }

    fn schedule_leave(&mut self, i: u32, now: u64) {
        let (Some(c), Some(r)) = (&self.scenario.churn, self.churn_rng[i as usize].as_mut()) else {
            return;
        };
        let at = (now + lifetime(&c.session, r)).max(c.start.0);
        self.engine
            .schedule(SimTime(at), Action::Leave(i, self.life[i as usize]));
    }

    fn handle(&mut self, t: SimTime, action: Action, options: &mut RunOptions<'_>) {
        let mut text = String::new();
        match action {
            Action::Join(i) => {
                self.start_node(i, RestartFrom::Empty);
                self.schedule_leave(i, t.0);
                text = format!("join {i}");
            }
            Action::Leave(i, life) if life == self.life[i as usize] && self.engine.is_up(i) => {
                self.engine.stop(i);
                self.churn_leaves += 1;
                if let (Some(c), Some(r)) =
                    (&self.scenario.churn, self.churn_rng[i as usize].as_mut())
                {
                    let at = t.0 + lifetime(&c.downtime, r);
                    self.engine.schedule(SimTime(at), Action::Rejoin(i, life));
                }
                text = format!("leave {i}");
            }
            Action::Rejoin(i, life) if life == self.life[i as usize] && !self.engine.is_up(i) => {
                let from = self
                    .scenario
                    .churn
                    .as_ref()
                    .map_or(RestartFrom::Backup, |c| c.restart);
                self.start_node(i, from);
                self.churn_joins += 1;
                self.schedule_leave(i, t.0);
                text = format!("rejoin {i}");
            }
            Action::Leave(..) | Action::Rejoin(..) => {}
            Action::Fault(k) => text = self.fault(k as usize),
            Action::Write(slot) => text = self.write(t, slot),
            Action::Read(slot) => text = self.read(t, slot),
            Action::CheckRecord(record) => {
                let engine = &self.engine;
                self.collector.check_replicas(record, |n| engine.is_up(n));
            }
            Action::Sample => {
                self.sample(t);
                if let Some(p) = options.progress.as_mut() {
                    p(t, self.engine.events_processed());
                }
            }
        }
        if !text.is_empty() {
            self.engine.trace_action(u32::MAX, &text);
        }
    }

    fn fault(&mut self, k: usize) -> String {
        let spec = &self.scenario.faults[k];
        let n = self.scenario.nodes.count;
        let partition_drops = self.engine.stats().dropped[DropReason::Partition.index()];
        self.close_partition(partition_drops);
        match spec {
            FaultSpec::Partition { groups, .. } => {
                let sets: Vec<Vec<u32>> = groups.iter().map(|g| g.indices(n)).collect();
                self.engine.network_mut().partitions.split(&sets);
                self.active_partition = Some((k, partition_drops));
            }
            FaultSpec::Heal { .. } => {
                self.engine.network_mut().partitions.heal();
            }
            FaultSpec::Crash { nodes, .. } => {
                for i in nodes.indices(n) {
                    if self.engine.stop(i).is_some() {
                        self.life[i as usize] += 1;
                        self.faults[k].fired += 1;
                    }
                }
            }
            FaultSpec::Restart { nodes, from, .. } => {
                for i in nodes.indices(n) {
                    if !self.engine.is_up(i) {
                        self.life[i as usize] += 1;
                        self.start_node(i, *from);
                        self.schedule_leave(i, self.engine.now().0);
                        self.faults[k].fired += 1;
                    }
                }
            }
        }
        format!("fault {k} {}", spec.kind())
    }

    /// Credits the active partition with the datagrams it blocked, and a heal with ending it.
    fn close_partition(&mut self, partition_drops: u64) {
        if let Some((p, since)) = self.active_partition.take() {
            self.faults[p].fired += partition_drops - since;
        }
    }

    fn write(&mut self, t: SimTime, slot: u32) -> String {
        let Some(w) = &self.scenario.workload else {
            return String::new();
        };
        let (node, rng, seq) = &mut self.writers[slot as usize];
        let (node, seq_now) = (*node, *seq);
        *seq += 1;
        let next = t.0 + exp_interval(w.put_every.0, rng);
        let mut key = vec![0u8; w.key_bytes as usize];
        let mut tag = [0u8; 8];
        tag[..4].copy_from_slice(&slot.to_le_bytes());
        tag[4..].copy_from_slice(&(seq_now as u32).to_le_bytes());
        for (i, b) in key.iter_mut().enumerate() {
            *b = if i < 8 { tag[i] } else { rng.random() };
        }
        let mut value = vec![0u8; w.value_bytes as usize];
        value.iter_mut().for_each(|b| *b = rng.random());
        let mut salt_start = [0u8; 16];
        salt_start.iter_mut().for_each(|b| *b = rng.random());
        if next + w.quiet_tail.0 < self.end {
            self.engine.schedule(SimTime(next), Action::Write(slot));
        }
        let request = WriteRequest {
            signing_seed: seed_bytes(self.seed, "writer-key", u64::from(slot)),
            key: &key,
            value: &value,
            work_bits: w.work_bits,
            salt_start,
        };
        let Some(Some(ticket)) = self.engine.with_host(node, |h, now| h.write(now, &request))
        else {
            self.writes_skipped += 1;
            return format!("write skipped by node {node}");
        };
        self.collector.record_written(t, node, ticket.record);
        self.collector
            .lookup_started(t, node, ticket.lookup, "put", ticket.record);
        self.catalog.push(CatalogEntry {
            record: ticket.record,
            pubkey: ticket.pubkey,
            key,
            written: t.0,
        });
        if t.0 + PROPAGATION_WINDOW_US <= self.end {
            self.engine.schedule(
                SimTime(t.0 + PROPAGATION_WINDOW_US),
                Action::CheckRecord(ticket.record),
            );
        }
        format!("write {:016x} by node {node}", ticket.record)
    }

    fn read(&mut self, t: SimTime, slot: u32) -> String {
        let Some(w) = &self.scenario.workload else {
            return String::new();
        };
        let (node, rng) = &mut self.readers[slot as usize];
        let node = *node;
        let next = t.0 + exp_interval(w.get_every.0, rng);
        if next + w.quiet_tail.0 < self.end {
            self.engine.schedule(SimTime(next), Action::Read(slot));
        }
        let readable = self
            .catalog
            .partition_point(|e| e.written + w.read_after.0 <= t.0);
        if readable == 0 {
            return String::new();
        }
        let index = match &w.popularity {
            Popularity::Uniform => rng.random_range(0..readable),
            Popularity::Zipf(s) => match Zipf::new(readable as f64, s.0) {
                // Rank 1 is the newest readable record.
                Ok(z) => readable - (z.sample(rng) as usize).clamp(1, readable),
                Err(_) => rng.random_range(0..readable),
            },
        };
        let entry = &self.catalog[index];
        let (record, pubkey, key) = (entry.record, entry.pubkey, entry.key.clone());
        let Some(Some(lookup)) = self
            .engine
            .with_host(node, |h, now| h.read(now, &pubkey, &key))
        else {
            return String::new();
        };
        self.collector
            .lookup_started(t, node, lookup, "get", record);
        format!("read {record:016x} by node {node}")
    }

    fn sample(&mut self, t: SimTime) {
        let n = self.scenario.nodes.count;
        let stats = self.engine.stats().clone();
        let mut up = 0u32;
        let mut records_held = 0u64;
        let mut active = Vec::new();
        let mut reliability = Vec::new();
        let step = (n / SAMPLED_NODES).max(1);
        for i in 0..n {
            let summary = self.engine.host(i).map(|h| h.peer_summary());
            if let Some(s) = &summary {
                up += 1;
                records_held += u64::from(s.records);
                active.push(f64::from(s.active));
                reliability.extend_from_slice(&s.reliability);
            }
            if i % step == 0 && i / step < SAMPLED_NODES {
                let s = summary.unwrap_or_default();
                let mut rel = s.reliability.clone();
                self.collector.peers.push(PeerRow {
                    time_s: t.0 as f64 / 1e6,
                    node: i,
                    up: self.engine.is_up(i),
                    candidates: s.candidates,
                    verified: s.verified,
                    active: s.active,
                    edges: s.edges,
                    records: s.records,
                    reliability_mean: mean(rel.iter().copied()),
                    reliability_min: quantile(&mut rel, 0.0),
                });
            }
        }
        let gets_finished = self
            .collector
            .lookups
            .iter()
            .filter(|l| l.kind == "get" && l.finished)
            .count() as u64;
        let gets_found = self
            .collector
            .lookups
            .iter()
            .filter(|l| l.kind == "get" && l.success)
            .count() as u64;
        let puts_finished = self
            .collector
            .lookups
            .iter()
            .filter(|l| l.kind == "put" && l.finished)
            .count() as u64;
        let active_mean = mean(active.iter().copied());
        self.collector.last_active_mean = active_mean;
        self.collector.last_reliability = reliability.clone();
        self.collector.samples.push(SampleRow {
            time_s: t.0 as f64 / 1e6,
            class: "honest",
            nodes_up: up,
            datagrams_delivered: stats.delivered,
            datagrams_dropped: stats.dropped_total(),
            bytes_delivered: stats.bytes_delivered,
            gets_finished,
            gets_found,
            puts_finished,
            records_held,
            active_peers_mean: active_mean,
            reliability_median: quantile(&mut reliability, 0.5),
            datagrams_by_op: join_counts(&stats.delivered_by_op),
            bytes_by_op: join_counts(&stats.bytes_by_op),
        });
    }

    fn finish(mut self, started: Instant) -> RunOutput {
        let partition_drops = self.engine.stats().dropped[DropReason::Partition.index()];
        self.close_partition(partition_drops);
        let engine = &self.engine;
        self.collector.finish(|n| engine.is_up(n));
        let stats = engine.stats().clone();
        let mut metrics = BTreeMap::new();
        self.collector.metrics(SimTime(self.end), &mut metrics);
        metrics.insert("events".into(), engine.events_processed() as f64);
        metrics.insert("datagrams_delivered".into(), stats.delivered as f64);
        metrics.insert("datagrams_dropped".into(), stats.dropped_total() as f64);
        metrics.insert("datagrams_duplicated".into(), stats.duplicated as f64);
        metrics.insert("bytes_delivered".into(), stats.bytes_delivered as f64);
        for r in DropReason::ALL {
            metrics.insert(
                format!("datagrams_dropped_{}", r.name()),
                stats.dropped[r.index()] as f64,
            );
        }
        metrics.insert(
            "verifications_computed".into(),
            self.crypto.computed() as f64,
        );
        metrics.insert("verifications_cached".into(), self.crypto.cached() as f64);
        metrics.insert("churn_leaves".into(), self.churn_leaves as f64);
        metrics.insert("churn_joins".into(), self.churn_joins as f64);
        let up = (0..self.scenario.nodes.count)
            .filter(|&i| engine.is_up(i))
            .count();
        metrics.insert("nodes_up_end".into(), up as f64);

        let s = self.scenario;
        let mut warnings = Vec::new();
        let faults: Vec<FaultReport> = s
            .faults
            .iter()
            .zip(&self.faults)
            .map(|(spec, st)| FaultReport {
                kind: spec.kind().to_string(),
                at: spec.at().to_string(),
                fired: st.fired,
            })
            .collect();
        for (i, f) in faults.iter().enumerate() {
            if f.fired == 0 && f.kind != "heal" {
                warnings.push(format!("fault {i} ({} at {}) never fired", f.kind, f.at));
            }
        }
        if engine.network().has_loss() && stats.dropped[DropReason::Loss.index()] == 0 {
            warnings.push("network loss is configured but no datagram was lost".to_string());
        }
        if s.network.duplication.0 > 0.0 && stats.duplicated == 0 {
            warnings.push("duplication is configured but no datagram was duplicated".to_string());
        }
        if s.churn.as_ref().is_some_and(|c| c.fraction.0 > 0.0) && self.churn_leaves == 0 {
            warnings.push("churn is configured but no node left".to_string());
        }
        if s.workload.is_some() && !H::SUPPORTS_WORKLOAD {
            warnings
                .push("the workload was ignored: this host type cannot read or write".to_string());
        }
        if self.writes_skipped > 0 {
            warnings.push(format!(
                "{} writes were skipped (writer down or record refused)",
                self.writes_skipped
            ));
        }
        let expectations: Vec<ExpectationResult> = s
            .expect
            .iter()
            .map(|(name, bound)| {
                let measured = metrics.get(&name.0).copied().unwrap_or(f64::NAN);
                ExpectationResult {
                    metric: name.0.clone(),
                    bound: bound.to_string(),
                    measured,
                    pass: bound.holds(measured),
                }
            })
            .collect();
        let traffic = OPS
            .iter()
            .enumerate()
            .map(|(i, op)| {
                (
                    op.to_string(),
                    OpTraffic {
                        datagrams: stats.delivered_by_op[i],
                        bytes: stats.bytes_by_op[i],
                    },
                )
            })
            .collect();
        let mut effective = s.clone();
        effective.seed = self.seed;
        let summary = Summary {
            scenario: s.name.clone(),
            seed: self.seed,
            version: env!("CARGO_PKG_VERSION").to_string(),
            trace_hash: engine.trace().hash_hex(),
            virtual_duration_s: self.end as f64 / 1e6,
            passed: expectations.iter().all(|e| e.pass),
            metrics,
            datagrams_dropped: DropReason::ALL
                .iter()
                .map(|r| (r.name().to_string(), stats.dropped[r.index()]))
                .collect(),
            traffic,
            expectations,
            // Filled below from the finished output: the models compare against its CSV data.
            theory: Vec::new(),
            faults,
            warnings,
            scenario_config: effective,
        };
        let wall = started.elapsed().as_secs_f64();
        let timing = Timing {
            wall_s: wall,
            events_per_wall_s: engine.events_processed() as f64 / wall.max(1e-9),
            datagrams_per_wall_s: stats.delivered as f64 / wall.max(1e-9),
            peak_rss_bytes: output::peak_rss_bytes(),
            datagram_buffers: engine.buffers_allocated() as u64,
        };
        let held_distances = (0..self.scenario.nodes.count)
            .filter_map(|i| self.engine.host(i))
            .flat_map(|h| h.held_distances())
            .collect();
        let c = self.collector;
        let mut output = RunOutput {
            summary,
            timing,
            samples: c.samples,
            records: c.records,
            lookups: c.lookups,
            peers: c.peers,
            held_distances,
            trace: self.engine.trace().clone(),
        };
        output.summary.theory = crate::report::from_run::theory(&output);
        output
    }
}
