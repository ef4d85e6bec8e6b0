//! Sampling driver: at every `sample_every` (and at the end) appends one time-series row
//! (`timeseries.csv`) and the peer tables of a few evenly spaced nodes (`peers.csv`).

use super::host::{PeerClass, PeerSummary, ScenarioHost};
use super::{Action, Stage};
use crate::engine::SimTime;
use crate::metrics::collector::{Collector, PeerRow, SampleRow};
use crate::metrics::stats::{mean, quantile};

/// Nodes whose peer tables are written to `peers.csv` at each sample (evenly spaced).
const SAMPLED_NODES: u32 = 16;

/// Schedules a sample at 0, `sample_every`, … before the end (the end's is taken by the run).
pub fn schedule<H: ScenarioHost>(stage: &mut Stage<'_, H>) {
    let every = stage.scenario.sample_every.0;
    let mut t = 0;
    while t < stage.end {
        stage.engine.schedule(SimTime(t), Action::Sample);
        t += every;
    }
}

/// Takes one sample of the honest nodes at `t`.
pub fn sample<H: ScenarioHost>(stage: &mut Stage<'_, H>, t: SimTime) {
    let n = stage.honest_count();
    let engine = &stage.engine;
    let collector = &mut stage.collector;
    let stats = engine.stats().clone();
    let mut up = 0u32;
    let mut records_held = 0u64;
    let mut active = Vec::new();
    let mut reliability = Vec::new();
    let mut adversary_reliability = Vec::new();
    let mut adversary_reliability_all = Vec::new();
    let mut tables = TableTotals::default();
    let step = (n / SAMPLED_NODES).max(1);
    let classify = |a: &std::net::SocketAddr| match engine.index_of(a) {
        Some(i) if i < n => PeerClass::Honest,
        Some(_) => PeerClass::Adversary,
        None => PeerClass::Unknown,
    };
    for i in 0..n {
        let summary = engine.host(i).map(|h| h.peer_summary(&classify));
        if let Some(s) = &summary {
            up += 1;
            records_held += u64::from(s.records);
            active.push(f64::from(s.active));
            reliability.extend_from_slice(&s.reliability_challenged);
            adversary_reliability.extend_from_slice(&s.reliability_adversarial_challenged);
            adversary_reliability_all.extend_from_slice(&s.reliability_adversarial);
            tables.add(s);
        }
        if i % step == 0 && i / step < SAMPLED_NODES {
            let s = summary.unwrap_or_default();
            let mut rel = s.reliability.clone();
            let rel_adversarial = mean(s.reliability_adversarial.iter().copied());
            collector.peers.push(PeerRow {
                time_s: t.0 as f64 / 1e6,
                node: i,
                up: engine.is_up(i),
                candidates: s.candidates,
                verified: s.verified,
                active: s.active,
                edges: s.edges,
                records: s.records,
                reliability_mean: mean(rel.iter().copied()),
                reliability_min: quantile(&mut rel, 0.0),
                active_adversarial: s.active_adversarial,
                table_adversarial: s.table_adversarial,
                candidates_unknown: s.candidates_unknown,
                reliability_mean_adversarial: rel_adversarial,
            });
        }
    }
    let active_mean = mean(active.iter().copied());
    collector.last_active_mean = active_mean;
    collector.last_reliability = reliability.clone();
    collector.last_adversary_reliability = adversary_reliability;
    collector.last_adversary_reliability_all = adversary_reliability_all;
    let (gets_finished, gets_found, puts_finished) = lookup_counts(collector);
    collector.samples.push(SampleRow {
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
        datagrams_by_op: stats.delivered_by_op,
        bytes_by_op: stats.bytes_by_op,
        table_entries: tables.entries,
        table_adversarial: tables.adversarial,
        table_unknown: tables.unknown,
        candidates: tables.candidates,
        candidates_unknown: tables.candidates_unknown,
        unroutable_entries: tables.unroutable,
    });
}

/// Table composition summed over the live honest nodes.
#[derive(Default)]
struct TableTotals {
    entries: u64,
    adversarial: u64,
    unknown: u64,
    candidates: u64,
    candidates_unknown: u64,
    unroutable: u64,
}

impl TableTotals {
    fn add(&mut self, s: &PeerSummary) {
        self.entries += u64::from(s.verified + s.active);
        self.adversarial += u64::from(s.table_adversarial);
        self.unknown += u64::from(s.table_unknown);
        self.candidates += u64::from(s.candidates);
        self.candidates_unknown += u64::from(s.candidates_unknown);
        self.unroutable += u64::from(s.unroutable);
    }
}

/// GETs finished, GETs that found their record, PUTs finished.
fn lookup_counts(c: &Collector) -> (u64, u64, u64) {
    let count = |kind: &str, f: fn(bool, bool) -> bool| {
        c.lookups
            .iter()
            .filter(|l| l.kind == kind && f(l.finished, l.success))
            .count() as u64
    };
    (
        count("get", |finished, _| finished),
        count("get", |_, success| success),
        count("put", |finished, _| finished),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::host::EchoHost;
    use crate::sim::Roster;
    use crate::sim::population::Population;
    use crate::sim::testing::{drain, scenario, stage};

    const ECHO: &str = r#"{
      "name": "s", "duration": "10s", "sample_every": "3s",
      "network": { "latency": { "constant": "10ms" } },
      "nodes": { "count": 40, "join_over": "0s" },
      "edges": { "count": 2, "seeds": 3 }
    }"#;

    #[test]
    fn samples_at_each_interval_and_sixteen_spread_peer_tables() {
        let s = scenario(ECHO);
        let mut st = stage::<EchoHost>(&s);
        let mut p = Population::<EchoHost>::new(&s, s.seed, &Roster::honest(&s, s.seed).addrs);
        p.schedule(&mut st);
        schedule(&mut st);
        drain(&mut st, 10_000_000, |st, t, a| match a {
            Action::Population(act) => {
                p.handle(st, t, act);
            }
            Action::Sample => sample(st, t),
            _ => {}
        });
        let times: Vec<f64> = st.collector.samples.iter().map(|r| r.time_s).collect();
        assert_eq!(times, vec![0.0, 3.0, 6.0, 9.0]);
        assert!(st.collector.samples[1..].iter().all(|r| r.nodes_up == 40));
        let delivered: Vec<u64> = st
            .collector
            .samples
            .iter()
            .map(|r| r.datagrams_delivered)
            .collect();
        assert!(delivered.windows(2).all(|w| w[0] <= w[1]) && delivered[3] > 0);
        let last = &st.collector.samples[3];
        let by_op: u64 = last.datagrams_by_op.iter().sum();
        assert_eq!(by_op, last.datagrams_delivered, "per-op counters add up");
        let nodes: Vec<u32> = st.collector.peers[16..32].iter().map(|r| r.node).collect();
        assert_eq!(
            nodes,
            (0..16).map(|k| k * 2).collect::<Vec<_>>(),
            "every second of 40"
        );
    }

    #[test]
    fn lookups_are_counted_by_kind_and_outcome() {
        let mut c = Collector::new(5);
        c.lookup_started(SimTime(0), 1, 1, "get", 9);
        c.lookup_started(SimTime(0), 1, 2, "get", 9);
        c.lookup_started(SimTime(0), 1, 3, "put", 9);
        c.lookup_started(SimTime(0), 1, 4, "get", 9);
        c.lookup_done(SimTime(1), 1, 1, true, 2, 3);
        c.lookup_done(SimTime(1), 1, 2, false, 2, 3);
        c.lookup_done(SimTime(1), 1, 3, true, 2, 3);
        assert_eq!(lookup_counts(&c), (2, 1, 1));
    }
}
