//! Attacker groups (issue 9): adding one shifts no honest node's randomness, every group's
//! actions are counted, and the eclipse and poisoning attacks meet the defences they should.

use dave_sim::scenario::{self, Scenario};
use dave_sim::sim::dave_host::DaveHost;
use dave_sim::sim::{RunOptions, RunOutput, run};

/// 60 honest nodes with a workload; `{adversaries}` and `{config}` are filled per test.
const BASE: &str = r#"{
  "name": "adv",
  "seed": 5,
  "duration": "{duration}",
  "network": { "latency": { "log_normal": { "median": "30ms", "sigma": 0.4 } },
               "loss": { "bernoulli": 0.01 } },
  "nodes": { "count": 60, "join_over": "5s", "config": { "min_work": 4 {config} } },
  "edges": { "count": 3, "seeds": 4 },
  "workload": { "writers": 6, "put_every": "10s", "readers": 10, "get_every": "5s",
                "work_bits": 4, "start": "15s", "read_after": "5s" },
  "adversaries": [ {adversaries} ]
}"#;

fn scenario(duration: &str, config: &str, adversaries: &str) -> Scenario {
    let text = BASE
        .replace("{duration}", duration)
        .replace("{config}", config)
        .replace("{adversaries}", adversaries);
    scenario::parse("adv.json", &text, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn text<T: std::fmt::Debug>(rows: &[T]) -> Vec<String> {
    rows.iter().map(|r| format!("{r:?}")).collect()
}

fn run_it(s: &Scenario) -> RunOutput {
    run::<DaveHost>(s, RunOptions::default())
}

#[test]
fn an_attacker_group_that_never_acts_changes_nothing_honest() {
    let plain = run_it(&scenario("40s", "", ""));
    // The group is in the roster from the start (addresses, clocks, engine slots), but starts
    // only at the very end: its first datagrams would arrive after the run.
    let inert = run_it(&scenario(
        "40s",
        "",
        r#"{ "behaviour": { "poisoner": { "contacts": 10 } }, "addresses": 30, "ipv4_24s": 2, "start": "40s" }"#,
    ));
    // Rows hold NaN for "no data", so they are compared by their exact Debug text.
    assert_eq!(text(&plain.lookups), text(&inert.lookups));
    assert_eq!(text(&plain.records), text(&inert.records));
    assert_eq!(text(&plain.samples), text(&inert.samples));
    assert_eq!(text(&plain.peers), text(&inert.peers));
    assert!(plain.samples.last().unwrap().gets_finished > 5);
    let m = &inert.summary.metrics;
    assert_eq!(
        m["attacker_datagrams"], 0.0,
        "each host pings first at a random phase"
    );
    assert_eq!(inert.summary.adversaries.len(), 1);
    assert_eq!(inert.summary.adversaries[0].targets.len(), 10);
}

#[test]
fn honest_events_before_the_attack_are_those_of_the_run_without_it() {
    let plain = run_it(&scenario("40s", "", ""));
    let attacked = run_it(&scenario(
        "40s",
        "",
        r#"{ "behaviour": { "eclipse": { "victims": 2 } }, "addresses": 50, "ipv4_24s": 2, "start": "22s" }"#,
    ));
    let before = |o: &RunOutput| -> Vec<_> {
        o.samples
            .iter()
            .filter(|r| r.time_s < 22.0)
            .cloned()
            .collect()
    };
    assert_eq!(before(&plain).len(), 5, "samples at 0, 5, .. 20 s");
    assert_eq!(text(&before(&plain)), text(&before(&attacked)));
    let after = |o: &RunOutput| o.samples.last().unwrap().datagrams_delivered;
    assert!(after(&attacked) > after(&plain), "the attack did send");
}

/// The eclipse victim's lowest honest share over a 90 s attack by 200 addresses in 2 /24s.
fn eclipse_min(config: &str) -> (f64, RunOutput) {
    let s = scenario(
        "150s",
        config,
        r#"{ "behaviour": { "eclipse": { "victims": 1, "ping_every": "5s" } }, "addresses": 200, "ipv4_24s": 2, "start": "50s" }"#,
    );
    let out = run_it(&s);
    (out.summary.metrics["victim_honest_fraction_min"], out)
}

#[test]
fn group_limits_and_test_before_evict_keep_the_eclipse_victim_mostly_honest() {
    let (defended, out) = eclipse_min("");
    let (undefended, _) =
        eclipse_min(r#", "group_limit": 0, "group_limit_table": 0, "test_before_evict": false"#);
    assert!(defended >= 0.5, "defended victim kept {defended}");
    assert!(
        undefended < defended - 0.2,
        "undefended {undefended} vs defended {defended}"
    );
    let group = &out.summary.adversaries[0];
    assert_eq!(group.behaviour, "eclipse");
    assert!(
        group.counters.datagrams_sent > 200 * 10,
        "{:?}",
        group.counters
    );
    assert_eq!(
        out.summary.metrics["attacker_datagrams"],
        group.counters.datagrams_sent as f64
    );
    assert!(out.summary.metrics["victim_get_success_rate"].is_finite());
    assert_eq!(out.victims.len(), 1);
    assert!(
        out.victims[0].honest_share.len() >= 18,
        "a point per sample"
    );
}

#[test]
fn poisoned_addresses_never_reach_an_honest_table() {
    let out = run_it(&scenario(
        "120s",
        "",
        r#"{ "behaviour": { "poisoner": { "contacts": 30, "fake": 0.6, "unroutable": 0.3 } }, "addresses": 40, "ipv4_24s": 2, "start": "30s" }"#,
    ));
    let m = &out.summary.metrics;
    assert_eq!(m["fake_table_entries"], 0.0);
    assert_eq!(m["unroutable_entries"], 0.0);
    assert!(m["fake_candidate_fraction"] > 0.0, "the poison did arrive");
    assert!(m["poisoned_table_fraction_max"] < 0.5, "{m:?}");
}

#[test]
fn storage_liars_are_scored_down_and_their_detection_curve_reaches_the_report() {
    let out = run_it(&scenario(
        "120s",
        "",
        r#"{ "behaviour": { "liar": { "keep": 0.0 } }, "addresses": 15, "start": "0s" }"#,
    ));
    let m = &out.summary.metrics;
    assert!(m["challenges_failed"] > 0.0, "{m:?}");
    assert!(m["attacker_records_dropped"] > 0.0, "{m:?}");
    let curve = out.liar_detection.as_ref().expect("a liar run has a curve");
    assert_eq!(curve.kept, 0.0);
    let input = dave_sim::report::from_run::report_input(&out, String::new());
    assert_eq!(
        input.reliability.detection.map(|d| d.kept),
        Some(0.0),
        "the liar-detection chart gets the measured curve"
    );
}
