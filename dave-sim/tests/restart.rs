//! Crash and restart (docs/simulator.md §"Faults"): a node restarting from the backup log the
//! simulator kept from its Persist/Forget events still serves its records; one restarting
//! empty does not.

use dave_sim::scenario::{self, Scenario};
use dave_sim::sim::dave_host::DaveHost;
use dave_sim::sim::{RunOptions, RunOutput, run};

fn scenario(restart_from: &str) -> Scenario {
    let text = format!(
        r#"{{
  "name": "restart",
  "duration": "80s",
  "network": {{ "latency": {{ "constant": "20ms" }} }},
  "nodes": {{ "count": 10, "join_over": "2s", "config": {{ "min_work": 2 }} }},
  "edges": {{ "count": 2, "seeds": 3 }},
  "faults": [
    {{ "crash": {{ "at": "40s", "nodes": "all" }} }},
    {{ "restart": {{ "at": "45s", "nodes": "all", "from": "{restart_from}" }} }}
  ],
  "workload": {{ "writers": 3, "put_every": "4s", "readers": 1, "get_every": "1000s",
                 "work_bits": 2, "start": "10s", "read_after": "1s", "quiet_tail": "45s" }}
}}"#
    );
    scenario::parse("restart.json", &text, &[]).unwrap()
}

fn go(s: &Scenario) -> RunOutput {
    run::<DaveHost>(s, RunOptions::default())
}

#[test]
fn restart_from_backup_keeps_records_and_restart_empty_loses_them() {
    let backup = go(&scenario("backup"));
    let written = backup.summary.metrics["records_written"];
    assert!(written >= 3.0, "writes before the crash: {written}");
    assert_eq!(backup.summary.faults[0].fired, 10, "all ten nodes crashed");
    assert_eq!(backup.summary.faults[1].fired, 10, "all ten restarted");
    assert_eq!(backup.summary.metrics["records_lost"], 0.0);
    let held_end: u64 = backup.samples.last().map(|s| s.records_held).unwrap_or(0);
    assert!(held_end > 0);

    let empty = go(&scenario("empty"));
    assert_eq!(
        empty.summary.metrics["records_written"], written,
        "same writes before the crash"
    );
    assert_eq!(
        empty.summary.metrics["records_lost"], written,
        "an empty restart loses every record"
    );
    assert_eq!(empty.samples.last().map(|s| s.records_held), Some(0));
}
