//! Faults driver: fires the scenario's partitions, heals, crashes and restarts at their times,
//! and counts what each did (`summary.json` `faults[].fired`): nodes crashed or restarted; for
//! a partition, the datagrams it blocked while it was the active split; for a heal, 1 if it
//! ended a partition (a heal with nothing to heal did nothing, and is warned about).

use super::host::ScenarioHost;
use super::output::FaultReport;
use super::population::Population;
use super::{Action, Stage};
use crate::engine::{Engine, SimTime};
use crate::network::DropReason;
use crate::scenario::{FaultSpec, Scenario};

/// Fault counters.
pub struct Faults {
    fired: Vec<u64>,
    /// The partition in force: its fault number and the partition drop count when it began.
    active_partition: Option<(usize, u64)>,
}

impl Faults {
    /// No fault fired yet.
    pub fn new(s: &Scenario) -> Faults {
        Faults {
            fired: vec![0; s.faults.len()],
            active_partition: None,
        }
    }

    /// Schedules every fault at its time.
    pub fn schedule<H: ScenarioHost>(&mut self, stage: &mut Stage<'_, H>) {
        for (i, f) in stage.scenario.faults.iter().enumerate() {
            stage
                .engine
                .schedule(SimTime(f.at().0), Action::Fault(i as u32));
        }
    }

    /// Fires fault `k`; returns its trace text.
    pub fn fire<H: ScenarioHost>(
        &mut self,
        stage: &mut Stage<'_, H>,
        population: &mut Population<H>,
        k: usize,
    ) -> String {
        let spec = &stage.scenario.faults[k];
        let n = stage.honest_count();
        let partitioned = self.active_partition.is_some();
        self.close_partition(&stage.engine);
        match spec {
            FaultSpec::Partition { groups, .. } => {
                let sets: Vec<Vec<u32>> = groups.iter().map(|g| g.indices(n)).collect();
                stage.engine.network_mut().partitions.split(&sets);
                self.active_partition = Some((k, partition_drops(&stage.engine)));
            }
            FaultSpec::Heal { .. } => {
                stage.engine.network_mut().partitions.heal();
                if partitioned {
                    self.fired[k] += 1;
                }
                stage.collector.healed(stage.engine.now());
            }
            FaultSpec::Crash { nodes, .. } => {
                for i in nodes.indices(n) {
                    if population.crash(stage, i) {
                        self.fired[k] += 1;
                    }
                }
            }
            FaultSpec::Restart { nodes, from, .. } => {
                for i in nodes.indices(n) {
                    if population.restart(stage, i, *from) {
                        self.fired[k] += 1;
                    }
                }
            }
        }
        format!("fault {k} {}", spec.kind())
    }

    /// Credits the active partition with the datagrams it blocked (any next fault, a heal
    /// included, ends it; so does the end of the run).
    pub fn close_partition<H: ScenarioHost, A>(&mut self, engine: &Engine<H, A>) {
        if let Some((p, since)) = self.active_partition.take() {
            self.fired[p] += partition_drops(engine) - since;
        }
    }

    /// One report per scenario fault.
    pub fn reports(&self, s: &Scenario) -> Vec<FaultReport> {
        s.faults
            .iter()
            .zip(&self.fired)
            .map(|(spec, &fired)| FaultReport {
                kind: spec.kind().to_string(),
                at: spec.at().to_string(),
                fired,
            })
            .collect()
    }
}

fn partition_drops<H: ScenarioHost, A>(engine: &Engine<H, A>) -> u64 {
    engine.stats().dropped[DropReason::Partition.index()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::host::EchoHost;
    use crate::sim::Roster;
    use crate::sim::testing::{drain, scenario, stage};

    const FAULTS: &str = r#"{
      "name": "f", "duration": "40s",
      "network": { "latency": { "constant": "10ms" } },
      "nodes": { "count": 6 },
      "edges": { "count": 2, "seeds": 3 },
      "faults": [
        { "partition": { "at": "5s", "groups": ["0..3"] } },
        { "heal": { "at": "10s" } },
        { "crash": { "at": "15s", "nodes": "0..2" } },
        { "crash": { "at": "16s", "nodes": "0..2" } },
        { "restart": { "at": "20s", "nodes": "all", "from": "backup" } },
        { "heal": { "at": "25s" } }
      ]
    }"#;

    #[test]
    fn each_fault_fires_once_and_counts_what_it_did() {
        let s = scenario(FAULTS);
        let mut st = stage::<EchoHost>(&s);
        let mut p = Population::<EchoHost>::new(&s, s.seed, &Roster::honest(&s, s.seed).addrs);
        let mut f = Faults::new(&s);
        p.schedule(&mut st);
        f.schedule(&mut st);
        let mut texts = Vec::new();
        drain(&mut st, 40_000_000, |st, t, a| match a {
            Action::Population(act) => {
                p.handle(st, t, act);
            }
            Action::Fault(k) => {
                texts.push((t.0, f.fire(st, &mut p, k as usize)));
                if k == 2 {
                    assert!(!st.engine.is_up(0) && !st.engine.is_up(1) && st.engine.is_up(2));
                }
            }
            _ => {}
        });
        f.close_partition(&st.engine);
        assert_eq!(
            texts,
            vec![
                (5_000_000, "fault 0 partition".to_string()),
                (10_000_000, "fault 1 heal".to_string()),
                (15_000_000, "fault 2 crash".to_string()),
                (16_000_000, "fault 3 crash".to_string()),
                (20_000_000, "fault 4 restart".to_string()),
                (25_000_000, "fault 5 heal".to_string()),
            ]
        );
        let fired: Vec<u64> = f.reports(&s).iter().map(|r| r.fired).collect();
        assert!(
            fired[0] > 0,
            "echo pings crossed the split and were blocked"
        );
        assert_eq!(
            fired[0],
            partition_drops(&st.engine),
            "all partition drops during it"
        );
        assert_eq!(
            &fired[1..],
            &[1, 2, 0, 2, 0],
            "heal of the partition, crash, crash of down nodes, restart, heal of nothing"
        );
        assert!((0..6).all(|i| st.engine.is_up(i)));
    }
}
