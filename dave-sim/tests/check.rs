//! `dave-sim check` end to end on scenarios/tiny.json (under a second per seed even in debug
//! builds): injected regressions are flagged with the right metric and direction, unchanged
//! runs are not, a bound failing on one seed of five names that seed, and the outputs do not
//! depend on `--jobs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use dave_sim::check::outcome::{BaselineState, CheckReport};
use dave_sim::check::{CheckArgs, junit, markdown, run_check, table};
use dave_sim::engine::trace::Trace;
use dave_sim::scenario::regression::Better;

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tiny.json")
}

/// A fresh folder under the system's temp dir for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dave-sim-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn args(seeds: u64) -> CheckArgs {
    CheckArgs {
        paths: vec![tiny()],
        seeds,
        jobs: Some(2),
        set: Vec::new(),
        junit: None,
        markdown: None,
        baseline: None,
        save_baseline: None,
        quiet: true,
    }
}

fn compared(report: &CheckReport) -> &dave_sim::check::compare::BaselineComparison {
    match &report.scenarios[0].baseline {
        BaselineState::Compared(c) => c,
        other => panic!("not compared: {other:?}"),
    }
}

#[test]
fn an_injected_regression_is_flagged_and_an_unchanged_run_is_not() {
    let dir = scratch("regression");
    let save = CheckArgs {
        save_baseline: Some(dir.clone()),
        ..args(5)
    };
    assert!(run_check(&save, false).unwrap().passed());
    assert!(dir.join("tiny.json").is_file());

    // Unchanged: every trace hash matches, so no statistics and nothing flagged.
    let same = run_check(
        &CheckArgs {
            baseline: Some(dir.clone()),
            ..args(5)
        },
        false,
    )
    .unwrap();
    assert!(same.passed(), "{}", table::render(&same));
    let c = compared(&same);
    assert_eq!(c.unchanged_seeds, [1, 2, 3, 4, 5]);
    assert!(c.compared_seeds.is_empty() && c.comparisons.is_empty());
    assert!(!c.scenario_changed);
    assert!(table::render(&same).contains("identical"));

    // Five times the latency: a worse network through --set, as a protocol bug would be.
    let worse = CheckArgs {
        baseline: Some(dir.clone()),
        set: vec!["network.latency.log_normal.median=200ms".into()],
        junit: Some(dir.join("junit.xml")),
        ..args(5)
    };
    let report = run_check(&worse, false).unwrap();
    assert!(!report.passed());
    let c = compared(&report);
    assert!(c.scenario_changed);
    assert_eq!(c.compared_seeds, [1, 2, 3, 4, 5]);
    let regressed: Vec<&str> = c.regressions().map(|r| r.metric.as_str()).collect();
    for metric in ["get_latency_p99_ms", "propagation_p50_ms"] {
        assert!(regressed.contains(&metric), "{metric} not in {regressed:?}");
        let r = c.comparisons.iter().find(|r| r.metric == metric).unwrap();
        assert_eq!(r.policy.better, Better::Lower);
        assert!(r.new.mean > r.baseline.mean * 2.0, "{r:?}");
        assert!(r.p_worse.unwrap() < r.policy.significance);
    }
    // Higher-is-better metrics never regress by going up.
    assert!(
        c.regressions()
            .all(|r| r.policy.better == Better::Lower && r.new.mean > r.baseline.mean)
    );
    let xml = junit::render(&report).unwrap();
    assert!(xml.contains(r#"<testcase name="regression get_latency_p99_ms""#));
    assert!(
        xml.contains("get_latency_p99_ms (lower is better): baseline "),
        "{xml}"
    );
    assert!(xml.contains("REGRESSION (p "));
    let md = markdown::render(&report);
    assert!(md.starts_with("### ❌ dave-sim check"));
    assert!(md.contains("`get_latency_p99_ms (lower is better)`"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bound_failing_on_one_seed_of_five_names_the_seed_to_rerun() {
    // Find each seed's event count with plain runs, then bound it just below the largest:
    // exactly one seed fails, and its value must be what `run --seed` of that seed measures.
    let events: Vec<(u64, f64)> = {
        let plan = dave_sim::check::runner::plan(&[tiny()], &[], 5).unwrap();
        plan[0]
            .seeds
            .iter()
            .map(|&seed| {
                let out = dave_sim::cli::run_once(
                    &plan[0].scenario,
                    Some(seed),
                    Trace::default(),
                    &dave_sim::progress::Progress::off(),
                    None,
                );
                (seed, out.summary.metrics["events"])
            })
            .collect()
    };
    let mut sorted: Vec<f64> = events.iter().map(|e| e.1).collect();
    sorted.sort_by(f64::total_cmp);
    assert!(
        sorted[4] > sorted[3],
        "two seeds share the largest event count: {events:?}"
    );
    let (worst, worst_events) = *events.iter().find(|e| e.1 == sorted[4]).unwrap();
    let bound = format!("expect.events=<= {}", sorted[3]);
    let report = run_check(
        &CheckArgs {
            set: vec![bound.clone()],
            ..args(5)
        },
        false,
    )
    .unwrap();
    assert!(!report.passed());
    let e = report.scenarios[0]
        .expectations
        .iter()
        .find(|e| e.metric == "events")
        .unwrap();
    let failing: Vec<(u64, f64)> = e.failing().map(|f| (f.seed, f.value)).collect();
    assert_eq!(failing, [(worst, worst_events)]);
    let text = table::render(&report);
    assert!(text.contains(&format!("FAIL on seed {worst} (")), "{text}");
    let rerun = format!("dave-sim run {} --seed {worst} --set", tiny().display());
    assert!(text.contains(&rerun), "{text}");
    // The unaffected bound still holds on every seed.
    assert!(
        report.scenarios[0]
            .expectations
            .iter()
            .find(|e| e.metric == "get_success_rate")
            .unwrap()
            .passed()
    );
}

#[test]
fn outputs_do_not_depend_on_jobs() {
    let render = |jobs| {
        let report = run_check(
            &CheckArgs {
                jobs: Some(jobs),
                ..args(3)
            },
            false,
        )
        .unwrap();
        (
            table::render(&report),
            junit::render(&report).unwrap(),
            markdown::render(&report),
        )
    };
    assert_eq!(render(1), render(3));
}

#[test]
fn a_scenario_without_baseline_is_reported_and_skipped() {
    let dir = scratch("missing");
    let report = run_check(
        &CheckArgs {
            baseline: Some(dir.clone()),
            ..args(2)
        },
        false,
    )
    .unwrap();
    assert!(report.passed());
    assert_eq!(
        report.scenarios[0].baseline,
        BaselineState::Missing(dir.join("tiny.json"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn dave_sim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dave-sim"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_exits_like_run() {
    let dir = scratch("cli");
    let tiny = tiny();
    let tiny = tiny.to_str().unwrap();
    let junit = dir.join("out.xml");
    let (code, stdout, _) = dave_sim(&[
        "check",
        tiny,
        "--seeds",
        "2",
        "--quiet",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("PASS: 1 scenario × 2 seeds: 1 of 1 bounds hold"));
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuite name=\"tiny\"")
    );

    let (code, _, _) = dave_sim(&[
        "check",
        tiny,
        "--seeds",
        "2",
        "--quiet",
        "--set",
        "expect.get_success_rate=> 1.5",
    ]);
    assert_eq!(code, 1);

    let (code, _, stderr) = dave_sim(&["check", "no/such/dir", "--quiet"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no/such/dir: no such file or folder"),
        "{stderr}"
    );

    std::fs::write(dir.join("tiny.json"), "{\"format\": 1}").unwrap();
    let (code, _, stderr) = dave_sim(&[
        "check",
        tiny,
        "--quiet",
        "--baseline",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a dave-sim baseline"), "{stderr}");

    let bad = dir.join("bad.json");
    let text = std::fs::read_to_string(tiny).unwrap().replace(
        "\"expect\"",
        "\"regression\": { \"metrics\": { \"events\": { \"tolerance\": 0.1 } } },\n  \"expect\"",
    );
    std::fs::write(&bad, text).unwrap();
    let (code, _, stderr) = dave_sim(&["check", bad.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 2);
    assert!(
        stderr
            .contains(":17:42: at `regression.metrics.events`: `events` has no default direction"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
