//! The adversary driver: puts the scenario's attacker groups into the run.
//!
//! - Before the engine is built, [`Adversaries::new`] adds every group's addresses to the
//!   [`Roster`] after the honest nodes, from the attackers' own address range
//!   (`network::addr::ATTACKER_FIRST_SLASH16`), and picks each group's targets (victims,
//!   contacts) among the honest nodes from the group's own stream.
//! - At a group's `start` it builds one host per address ([`build`]) with a key and a random
//!   stream keyed by purposes no honest consumer uses (`adversary-key`, `adversary-rng`), so
//!   adding a group shifts no honest node's randomness.
//! - At every sample it records the share of each eclipse victim's active table held by
//!   attackers; at the end it sums every host's [`AttackCounters`] per group.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

use rand::RngExt;
use serde::Serialize;

use dave_core::config::Config;
use dave_core::id::{NodeId, RecordId};
use dave_core::node::Node;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;

use super::eclipse::eclipse;
use super::liar::Liar;
use super::poisoner::{Mix, poisoner};
use super::reflector::{Mark, ReflectPlan, ReflectionMeter, Reflector};
use super::spammer::{SpamPlan, Spammer};
use super::sybil::{Sybil, grind};
use super::{AttackCounters, Attacker, AttackerContext};
use crate::engine::SimTime;
use crate::metrics::stats::quantile;
use crate::network::addr;
use crate::scenario::{AdversarySpec, Behaviour, RestartFrom, Scenario};
use crate::sim::host::{PeerClass, ScenarioHost};
use crate::sim::mixed::Mixed;
use crate::sim::population::Population;
use crate::sim::{Action, Roster, Stage, workload};

/// An adversary action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// Start every host of group `g`.
    Start(u32),
    /// Crash and restart group `g`'s victims from their backups (eclipse restart variant).
    RestartVictims(u32),
}

/// One attacker group in the run.
struct Group {
    hosts: Range<u32>,
    addrs: Arc<Vec<SocketAddr>>,
    /// Honest node indices the group aims at.
    targets: Vec<u32>,
    /// Records the group aims at (sybils: the first record of writer slots 0..targets).
    records: Vec<u64>,
}

/// One eclipse victim's table over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VictimTrack {
    /// Attacker group.
    pub group: u32,
    /// Honest node index.
    pub node: u32,
    /// Its address.
    pub addr: String,
    /// `(s, honest share of its active table)` at each sample from the attack's start on
    /// (samples where the victim is down or has no active peer are skipped).
    pub honest_share: Vec<(f64, f64)>,
}

/// What one group did, for `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    /// Behaviour name.
    pub behaviour: String,
    /// Hosts (addresses).
    pub addresses: u32,
    /// Honest node indices it aimed at.
    pub targets: Vec<u32>,
    /// Its hosts' counters, summed.
    pub counters: AttackCounters,
}

/// The attacker groups of a run.
#[derive(Default)]
pub struct Adversaries {
    groups: Vec<Group>,
    victims: Vec<VictimTrack>,
    /// Counts answers delivered to reflection victims (shared with the delivery tap).
    meter: RefCell<Option<Rc<RefCell<ReflectionMeter>>>>,
}

impl Adversaries {
    /// Adds every group of `s` to the roster (whose honest part must be complete).
    pub fn new(s: &Scenario, seed: u64, roster: &mut Roster) -> Adversaries {
        let mut next16 = addr::ATTACKER_FIRST_SLASH16;
        let mut out = Adversaries::default();
        for (g, spec) in s.adversaries.iter().enumerate() {
            let n24 = spec.ipv4_24s.unwrap_or(spec.addresses);
            let n16 = spec.ipv4_16s.unwrap_or(n24);
            let addrs = addr::plan_from(next16, spec.addresses, n24, n16);
            next16 += n16;
            let hosts = roster.add_group(addrs.clone());
            let targets = pick_targets(s, seed, g as u32, spec);
            for &node in targets
                .iter()
                .filter(|_| spec.behaviour.name() == "eclipse")
            {
                out.victims.push(VictimTrack {
                    group: g as u32,
                    node,
                    addr: roster.addrs[node as usize].to_string(),
                    honest_share: Vec::new(),
                });
            }
            let records = match (&spec.behaviour, &s.workload) {
                (Behaviour::Sybil(y), Some(w)) => (0..y.targets.min(w.writers))
                    .map(|slot| workload::first_record(seed, w, slot).0)
                    .collect(),
                _ => Vec::new(),
            };
            out.groups.push(Group {
                hosts,
                addrs: Arc::new(addrs),
                targets,
                records,
            });
        }
        out
    }

    /// Schedules each group's start (and its victims' restart).
    pub fn schedule<H: ScenarioHost>(&mut self, stage: &mut Stage<'_, Mixed<H>>) {
        for g in &self.groups {
            stage.collector.add_targets(g.records.iter().copied());
        }
        for (g, spec) in stage.scenario.adversaries.iter().enumerate() {
            let g = g as u32;
            stage
                .engine
                .schedule(SimTime(spec.start.0), Action::Adversary(Act::Start(g)));
            if let Behaviour::Eclipse(e) = &spec.behaviour
                && e.force_victim_restart
            {
                let at = spec.start.0.saturating_add(e.restart_after.0);
                stage
                    .engine
                    .schedule(SimTime(at), Action::Adversary(Act::RestartVictims(g)));
            }
        }
    }

    /// Performs one action; returns its trace text.
    pub fn handle<H: ScenarioHost>(
        &mut self,
        stage: &mut Stage<'_, Mixed<H>>,
        population: &mut Population<Mixed<H>>,
        act: Act,
    ) -> String {
        match act {
            Act::Start(g) => {
                let group = &self.groups[g as usize];
                let spec = &stage.scenario.adversaries[g as usize];
                let config = stage.scenario.nodes.config.to_config();
                let honest: Vec<SocketAddr> = (0..stage.honest_count())
                    .map(|i| stage.engine.addr(i))
                    .collect();
                let targets: Vec<SocketAddr> =
                    group.targets.iter().map(|&i| honest[i as usize]).collect();
                let records = closest_honest(stage, &group.records);
                for (member, index) in group.hosts.clone().enumerate() {
                    let ctx = AttackerContext {
                        index,
                        member: member as u32,
                        addr: stage.engine.addr(index),
                        group: &group.addrs,
                        targets: &targets,
                        honest: &honest,
                        key_seed: stage.seed_bytes("adversary-key", u64::from(index)),
                        rng_seed: stage.seed_bytes("adversary-rng", u64::from(index)),
                        config: &config,
                        crypto: stage.crypto.clone(),
                        now: stage.engine.local_now(index),
                        records: &records,
                    };
                    if let Some(host) = build(spec, &ctx) {
                        stage.engine.start(index, Mixed::Attacker(host));
                    }
                }
                format!("adversary group {g} ({}) starts", spec.behaviour.name())
            }
            Act::RestartVictims(g) => {
                let mut restarted = Vec::new();
                for &v in &self.groups[g as usize].targets {
                    if population.crash(stage, v)
                        && population.restart(stage, v, RestartFrom::Backup)
                    {
                        restarted.push(v.to_string());
                    }
                }
                format!(
                    "adversary group {g} restarts victims [{}]",
                    restarted.join(",")
                )
            }
        }
    }

    /// Records every eclipse victim's honest share at `t` (from its group's start on).
    pub fn sample<H: ScenarioHost>(&mut self, stage: &Stage<'_, Mixed<H>>, t: SimTime) {
        for v in &mut self.victims {
            if t.0 < stage.scenario.adversaries[v.group as usize].start.0 {
                continue;
            }
            let Some(host) = stage.engine.host(v.node) else {
                continue;
            };
            let s = host.peer_summary(&|a| classify(stage, a));
            if s.active > 0 {
                let share = f64::from(s.active - s.active_adversarial) / f64::from(s.active);
                v.honest_share.push((t.0 as f64 / 1e6, share));
            }
        }
    }

    /// Per eclipse group: its victims and its start, from which they read (the workload
    /// makes them readers so that `victim_get_success_rate` has GETs to measure).
    pub fn victim_readers(&self, s: &Scenario) -> Vec<(Vec<u32>, SimTime)> {
        self.groups
            .iter()
            .zip(&s.adversaries)
            .filter(|(_, spec)| matches!(spec.behaviour, Behaviour::Eclipse(_)))
            .map(|(g, spec)| (g.targets.clone(), SimTime(spec.start.0)))
            .collect()
    }

    /// Whether the run has any attacker group.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Each eclipse victim's track.
    pub fn victims(&self) -> &[VictimTrack] {
        &self.victims
    }

    /// Every group's report and the attack metrics.
    pub fn finish<H: ScenarioHost>(
        &self,
        stage: &Stage<'_, Mixed<H>>,
        metrics: &mut BTreeMap<String, f64>,
    ) -> Vec<GroupReport> {
        let reports: Vec<GroupReport> = self
            .groups
            .iter()
            .zip(&stage.scenario.adversaries)
            .map(|(g, spec)| {
                let mut counters = AttackCounters::default();
                for i in g.hosts.clone() {
                    if let Some(a) = stage.engine.host(i).and_then(Mixed::attacker) {
                        counters.add(a.counters());
                    }
                }
                GroupReport {
                    behaviour: spec.behaviour.name().to_string(),
                    addresses: spec.addresses,
                    targets: g.targets.clone(),
                    counters,
                }
            })
            .collect();
        let mut total = AttackCounters::default();
        for r in &reports {
            total.add(&r.counters);
        }
        for (name, value) in [
            ("attacker_datagrams", total.datagrams_sent),
            ("attacker_bytes", total.bytes_sent),
            ("attacker_spoofed_datagrams", total.spoofed_datagrams),
            ("attacker_keys_ground", total.keys_ground),
            ("attacker_records_dropped", total.records_dropped),
        ] {
            metrics.insert(name.into(), value as f64);
        }
        let shares = |pick: fn(&VictimTrack) -> Option<f64>| {
            let v: Vec<f64> = self.victims.iter().filter_map(pick).collect();
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().copied().fold(f64::INFINITY, f64::min)
            }
        };
        metrics.insert(
            "victim_honest_fraction_min".into(),
            shares(|v| v.honest_share.iter().map(|p| p.1).reduce(f64::min)),
        );
        metrics.insert(
            "victim_honest_fraction_end".into(),
            shares(|v| v.honest_share.last().map(|p| p.1)),
        );
        self.victim_gets(stage, metrics);
        self.poisoning(stage, metrics);
        self.storage_attacks(stage, &reports, metrics);
        reports
    }

    /// A meter for the answers reflection victims receive, when a group reflects.
    pub fn reflection_meter(
        &self,
        s: &Scenario,
        honest: &[SocketAddr],
    ) -> Option<Rc<RefCell<ReflectionMeter>>> {
        let mut meter = ReflectionMeter::default();
        let mut any = false;
        for (g, spec) in self.groups.iter().zip(&s.adversaries) {
            if matches!(spec.behaviour, Behaviour::Reflector(_)) {
                for &v in &g.targets {
                    meter.watch(honest[v as usize], group_mark(&g.addrs));
                    any = true;
                }
            }
        }
        self.meter_slot(any.then(|| Rc::new(RefCell::new(meter))))
    }

    fn meter_slot(
        &self,
        meter: Option<Rc<RefCell<ReflectionMeter>>>,
    ) -> Option<Rc<RefCell<ReflectionMeter>>> {
        *self.meter.borrow_mut() = meter.clone();
        meter
    }

    /// Liar detection as measured, for the liar-detection chart: `None` without liars.
    pub fn liar_detection<H: ScenarioHost>(
        &self,
        stage: &Stage<'_, Mixed<H>>,
    ) -> Option<LiarCurve> {
        let (kept, liars) = self.liars(stage.scenario)?;
        Some(LiarCurve {
            kept,
            measured: stage
                .collector
                .detection_curve(|a| liars.contains(a), DETECTION_MIN_PAIRS),
        })
    }

    /// The keep fraction of the first liar group and every liar address.
    fn liars(&self, s: &Scenario) -> Option<(f64, BTreeSet<SocketAddr>)> {
        let mut kept = None;
        let mut addrs = BTreeSet::new();
        for (g, spec) in self.groups.iter().zip(&s.adversaries) {
            if let Behaviour::Liar(l) = &spec.behaviour {
                kept.get_or_insert(l.keep.0);
                addrs.extend(g.addrs.iter().copied());
            }
        }
        kept.map(|k| (k, addrs))
    }

    /// `liar_*`, `spam_*` and `amplification_max`, for runs with those groups.
    fn storage_attacks<H: ScenarioHost>(
        &self,
        stage: &Stage<'_, Mixed<H>>,
        reports: &[GroupReport],
        metrics: &mut BTreeMap<String, f64>,
    ) {
        let s = stage.scenario;
        // Every run reports every metric; those of an attack the run does not have are NaN.
        let (mut liar_median, mut liar_detected) = (f64::NAN, f64::NAN);
        if self.liars(s).is_some() {
            let c = &stage.collector;
            let mut challenged = c.last_adversary_reliability.clone();
            liar_median = quantile(&mut challenged, 0.5);
            let min = s.nodes.config.to_config().reliability_min;
            let all = &c.last_adversary_reliability_all;
            let below = all.iter().filter(|&&r| r < min).count();
            if !all.is_empty() {
                liar_detected = below as f64 / all.len() as f64;
            }
        }
        metrics.insert("liar_reliability_median".into(), liar_median);
        metrics.insert("liar_detected_fraction".into(), liar_detected);
        let spam: Vec<&GroupReport> = reports
            .iter()
            .filter(|r| r.behaviour == "spammer")
            .collect();
        let (mut spam_sent, mut spam_accepted) = (f64::NAN, f64::NAN);
        if !spam.is_empty() {
            spam_sent = spam.iter().map(|r| r.counters.puts_sent).sum::<u64>() as f64;
            spam_accepted = stage.collector.foreign_stored as f64;
        }
        metrics.insert("spam_puts_sent".into(), spam_sent);
        metrics.insert("spam_puts_accepted".into(), spam_accepted);
        let mut amplification = f64::NAN;
        if let Some(meter) = self.meter.borrow().as_ref() {
            let meter = meter.borrow();
            for (g, spec) in self.groups.iter().zip(&s.adversaries) {
                if !matches!(spec.behaviour, Behaviour::Reflector(_)) || g.targets.is_empty() {
                    continue;
                }
                for (k, &v) in g.targets.iter().enumerate() {
                    // Member m of the group spoofs victim m % victims.
                    let spent: u64 = g
                        .hosts
                        .clone()
                        .enumerate()
                        .filter(|(m, _)| m % g.targets.len() == k)
                        .filter_map(|(_, i)| stage.engine.host(i).and_then(Mixed::attacker))
                        .map(|a| a.counters().bytes_sent)
                        .sum();
                    if spent > 0 {
                        let ratio = meter.bytes_to(&stage.engine.addr(v)) as f64 / spent as f64;
                        amplification = if amplification.is_nan() {
                            ratio
                        } else {
                            amplification.max(ratio)
                        };
                    }
                }
            }
        }
        metrics.insert("amplification_max".into(), amplification);
    }
}

/// Fewest (challenger, liar) pairs a point of the measured detection curve stands on.
const DETECTION_MIN_PAIRS: usize = 20;

/// Liar detection measured in a run (drawn against `1 − s^n`).
#[derive(Debug, Clone, PartialEq)]
pub struct LiarCurve {
    /// The liars' keep fraction s.
    pub kept: f64,
    /// `(n, fraction of (challenger, liar) pairs caught within their first n challenges)`.
    pub measured: Vec<(u32, f64)>,
}

impl Adversaries {
    /// `victim_get_success_rate`: found ÷ finished over the GETs eclipse victims started
    /// after their group's start (unfinished ones count as failed, as in `get_success_rate`).
    fn victim_gets<H: ScenarioHost>(
        &self,
        stage: &Stage<'_, Mixed<H>>,
        metrics: &mut BTreeMap<String, f64>,
    ) {
        let starts: BTreeMap<u32, f64> = self
            .victims
            .iter()
            .map(|v| {
                let start = stage.scenario.adversaries[v.group as usize].start.0;
                (v.node, start as f64 / 1e6)
            })
            .collect();
        let end_s = stage.end as f64 / 1e6;
        let grace_s = crate::metrics::collector::UNFINISHED_GRACE_US as f64 / 1e6;
        let (mut counted, mut found) = (0u64, 0u64);
        for l in &stage.collector.lookups {
            let Some(&start) = starts.get(&l.node) else {
                continue;
            };
            if l.kind != "get" || l.time_s < start {
                continue;
            }
            if l.finished || end_s - l.time_s >= grace_s {
                counted += 1;
                found += u64::from(l.finished && l.success);
            }
        }
        let rate = if counted == 0 {
            f64::NAN
        } else {
            found as f64 / counted as f64
        };
        metrics.insert("victim_get_success_rate".into(), rate);
    }

    /// Poisoning measures over the honest nodes' tables at the samples from the first
    /// poisoner's start on (none without a poisoner group):
    /// - `poisoned_table_fraction_max`: the largest share of verified and active entries
    ///   at attacker or fake addresses;
    /// - `fake_table_entries`: the most verified or active entries at fake addresses at any
    ///   sample (a fake address cannot answer a ping, so this must stay 0);
    /// - `unroutable_entries`: the most entries of any state, candidates included, at
    ///   unroutable addresses at any sample (§5 never adds one: 0);
    /// - `fake_candidate_fraction`: the largest share of candidates at fake addresses (the
    ///   pollution a poisoner does achieve: candidates are unverified by definition).
    fn poisoning<H: ScenarioHost>(
        &self,
        stage: &Stage<'_, Mixed<H>>,
        metrics: &mut BTreeMap<String, f64>,
    ) {
        let Some(start) = stage
            .scenario
            .adversaries
            .iter()
            .filter(|g| matches!(g.behaviour, Behaviour::Poisoner(_)))
            .map(|g| g.start.0 as f64 / 1e6)
            .reduce(f64::min)
        else {
            return;
        };
        let rows: Vec<_> = stage
            .collector
            .samples
            .iter()
            .filter(|r| r.time_s >= start)
            .collect();
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let max = |f: &dyn Fn(&crate::metrics::collector::SampleRow) -> f64| {
            rows.iter().map(|r| f(r)).fold(f64::NAN, f64::max)
        };
        metrics.insert(
            "poisoned_table_fraction_max".into(),
            max(&|r| ratio(r.table_adversarial + r.table_unknown, r.table_entries)),
        );
        metrics.insert(
            "fake_table_entries".into(),
            max(&|r| r.table_unknown as f64),
        );
        metrics.insert(
            "unroutable_entries".into(),
            max(&|r| r.unroutable_entries as f64),
        );
        metrics.insert(
            "fake_candidate_fraction".into(),
            max(&|r| ratio(r.candidates_unknown, r.candidates)),
        );
    }
}

/// Who sits at `addr` in this run.
pub fn classify<H: ScenarioHost>(stage: &Stage<'_, H>, addr: &SocketAddr) -> PeerClass {
    match stage.engine.index_of(addr) {
        Some(i) if i < stage.honest_count() => PeerClass::Honest,
        Some(_) => PeerClass::Adversary,
        None => PeerClass::Unknown,
    }
}

/// The honest nodes group `g` aims at: `victims` distinct non-seed nodes for eclipse and
/// reflection, `contacts` distinct nodes for poisoning; none for the rest.
fn pick_targets(s: &Scenario, seed: u64, g: u32, spec: &AdversarySpec) -> Vec<u32> {
    let (pool_start, want) = match &spec.behaviour {
        Behaviour::Eclipse(e) => (s.edges.seeds, e.victims),
        Behaviour::Reflector(r) => (s.edges.seeds, r.victims),
        Behaviour::Poisoner(p) => (0, p.contacts),
        Behaviour::Sybil(_) | Behaviour::Liar(_) | Behaviour::Spammer(_) => return Vec::new(),
    };
    let mut pool: Vec<u32> = (pool_start.min(s.nodes.count)..s.nodes.count).collect();
    let mut r = crate::engine::rng::stream(seed, "adversary-targets", u64::from(g));
    let take = (want as usize).min(pool.len());
    for k in 0..take {
        let j = r.random_range(k..pool.len());
        pool.swap(k, j);
    }
    pool.truncate(take);
    pool
}

/// The host of one attacker of a group, or `None` for a behaviour this version does not
/// implement (validation refuses those, so a run never reaches it with one). A new behaviour
/// adds its arm here, its targets in `pick_targets` if it aims at honest nodes, and leaves the
/// refusal list in `scenario::validate`.
pub fn build(spec: &AdversarySpec, ctx: &AttackerContext<'_>) -> Option<Box<dyn Attacker>> {
    match &spec.behaviour {
        Behaviour::Eclipse(e) => Some(Box::new(eclipse(ctx, e.ping_every.0))),
        Behaviour::Poisoner(p) => Some(Box::new(poisoner(
            ctx,
            p.ping_every.0,
            Mix {
                fake: p.fake.0,
                unroutable: p.unroutable.0,
            },
        ))),
        Behaviour::Liar(l) => Some(Box::new(Liar::new(
            attacker_node(ctx, None),
            l.keep.0,
            ctx.rng_seed,
            ctx.crypto.clone(),
        ))),
        Behaviour::Sybil(y) => {
            let &(target, within) = ctx
                .records
                .get(ctx.member as usize % ctx.records.len().max(1))?;
            let mut rng = rand_chacha::ChaCha12Rng::from_seed(ctx.rng_seed);
            let ground = grind(&mut rng, RecordId(target), within, u64::from(y.identities));
            let targets = ctx.records.iter().map(|r| r.0).collect();
            Some(Box::new(Sybil::new(
                attacker_node(ctx, Some(ground.key)),
                targets,
                ground.keys_ground,
            )))
        }
        Behaviour::Spammer(p) => Some(Box::new(Spammer::new(
            SpamPlan {
                kind: p.mode,
                puts_per_sec: p.rate,
                value_bytes: SPAM_VALUE_BYTES,
                min_work: ctx.config.min_work,
                distinct_keys: p.distinct_keys,
                targets: ctx.honest.to_vec(),
                start: ctx.now,
            },
            ctx.rng_seed,
            ctx.crypto.clone(),
        ))),
        Behaviour::Reflector(r) => {
            let victim = *ctx
                .targets
                .get(ctx.member as usize % ctx.targets.len().max(1))?;
            let reflectors = ctx
                .honest
                .iter()
                .filter(|a| !ctx.targets.contains(a))
                .copied()
                .collect();
            Some(Box::new(Reflector::new(
                ReflectPlan {
                    victim,
                    reflectors,
                    per_sec: r.rate,
                    ping_share: 0.5,
                    mark: group_mark(ctx.group),
                    start: ctx.now,
                },
                ctx.rng_seed,
            )))
        }
    }
}

/// Bytes of a spam record's value: a typical small record.
const SPAM_VALUE_BYTES: usize = 200;

/// Edges of an attacker that runs a real node: a few honest nodes from its own stream.
const ATTACKER_EDGES: usize = 3;

/// A real `dave_core::Node` for an attacker (with its group key unless `key` is given), the
/// honest nodes' config without backup events, and a few random honest edges.
fn attacker_node(ctx: &AttackerContext<'_>, key: Option<SigningKey>) -> Node {
    let mut rng = rand_chacha::ChaCha12Rng::from_seed(ctx.rng_seed);
    let edges: Vec<SocketAddr> = (0..ATTACKER_EDGES.min(ctx.honest.len()))
        .map(|_| ctx.honest[rng.random_range(0..ctx.honest.len())])
        .collect();
    let config = Config {
        persist_events: false,
        ..ctx.config.clone()
    };
    Node::new(
        config,
        key.unwrap_or_else(|| SigningKey::from_bytes(&ctx.key_seed)),
        edges,
        rng.random(),
        ctx.crypto.clone() as Arc<dyn dave_core::crypto::Crypto>,
        dave_core::time::Time::from_micros(ctx.now.0),
    )
}

/// The mark a reflector group puts on its datagrams, from its first address.
pub fn group_mark(group: &[SocketAddr]) -> Mark {
    let mut h = blake3::Hasher::new_derive_key("dave-sim v1 reflector mark");
    h.update(
        group
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    Mark::from_seed(*h.finalize().as_bytes())
}

/// Each record with the XOR distance of the closest honest node to it (honest identities are
/// functions of the seed; a real attacker learns them by crawling).
fn closest_honest<H: ScenarioHost>(
    stage: &Stage<'_, Mixed<H>>,
    records: &[u64],
) -> Vec<(u64, u64)> {
    if records.is_empty() {
        return Vec::new();
    }
    let ids: Vec<NodeId> = (0..stage.honest_count())
        .map(|i| {
            let key = SigningKey::from_bytes(&stage.seed_bytes("node-key", u64::from(i)));
            NodeId::from_public_key(&key.verifying_key().to_bytes())
        })
        .collect();
    records
        .iter()
        .map(|&r| {
            let closest = ids.iter().map(|&id| RecordId(r).distance(id)).min();
            (r, closest.unwrap_or(u64::MAX))
        })
        .collect()
}
