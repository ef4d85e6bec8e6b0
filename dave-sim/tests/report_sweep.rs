//! Sweeps: deterministic whatever `--jobs`, shards merge into byte-identical output, and the
//! aggregate is the mean and 95 % CI of the per-seed values.

use std::path::{Path, PathBuf};

use dave_sim::sweep::{self, Metrics, Shard, SweepPlan, SweepRun};
use serde_json::{Value, json};

/// A stand-in for the simulator: metrics are a deterministic function of (scenario, seed) with
/// seed-dependent noise, and a wall-clock metric that must not reach the outputs.
fn fake_run(run: SweepRun<'_>) -> Result<Metrics, String> {
    let (scenario, seed) = (run.scenario, run.seed);
    let addresses = scenario["attack"]["addresses"]
        .as_f64()
        .ok_or("attack.addresses missing")?;
    let loss = scenario["network"]["loss"]
        .as_f64()
        .ok_or("network.loss missing")?;
    let noise = ((seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as f64) / (1u64 << 24) as f64;
    let mut m = Metrics::new();
    m.insert(
        "victim_honest_fraction_min".into(),
        (1.0 - addresses.log10() / 4.0 - loss) * (0.9 + 0.2 * noise),
    );
    m.insert("get_success_rate".into(), 1.0 - loss * (1.0 + noise));
    m.insert("wall_s".into(), noise * 1e-3 + seed as f64);
    Ok(m)
}

fn scenario() -> Value {
    json!({"name": "eclipse-sweep", "seed": 11, "attack": {"addresses": 1}, "network": {"loss": 0.0}})
}

fn plan() -> SweepPlan {
    SweepPlan::new(
        vec![
            "attack.addresses=10,100,1000".parse().unwrap(),
            "network.loss=0,0.05".parse().unwrap(),
        ],
        11,
        4,
    )
    .unwrap()
}

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read(d: &Path, f: &str) -> Vec<u8> {
    std::fs::read(d.join(f)).unwrap_or_else(|e| panic!("{}: {e}", d.join(f).display()))
}

#[test]
fn merged_shards_equal_one_big_run_byte_for_byte() {
    let whole = dir("sweep_whole");
    let outcome = sweep::run_sweep(
        &scenario(),
        &plan(),
        Shard::WHOLE,
        Some(3),
        &whole,
        fake_run,
    )
    .unwrap();
    assert!(outcome.complete);
    assert_eq!(outcome.runs, 24);

    let shards: Vec<PathBuf> = (0..5)
        .map(|i| {
            let d = dir(&format!("sweep_shard_{i}"));
            let shard = Shard { index: i, count: 5 };
            let o = sweep::run_sweep(&scenario(), &plan(), shard, Some(1), &d, fake_run).unwrap();
            assert!(!o.complete);
            assert!(
                !d.join(sweep::AGGREGATE_CSV).exists(),
                "a shard alone has no aggregate"
            );
            d
        })
        .collect();
    // Merge order must not matter.
    let mut reversed = shards.clone();
    reversed.reverse();
    let merged = dir("sweep_merged");
    let outcome = sweep::merge(&reversed, &merged).unwrap();
    assert!(outcome.complete);

    for f in [sweep::AGGREGATE_CSV, sweep::RUNS_CSV, sweep::MANIFEST] {
        assert_eq!(read(&whole, f), read(&merged, f), "{f} differs");
    }
    for metric in ["victim_honest_fraction_min", "get_success_rate"] {
        let png = format!("sweep_{metric}.png");
        assert_eq!(read(&whole, &png), read(&merged, &png), "{png} differs");
    }
    let runs = String::from_utf8(read(&whole, sweep::RUNS_CSV)).unwrap();
    assert!(
        !runs.contains("wall_s"),
        "wall-clock metrics stay out of sweeps"
    );
    assert!(runs.starts_with(
        "run,attack.addresses,network.loss,seed,get_success_rate,victim_honest_fraction_min\n"
    ));
}

#[test]
fn output_does_not_depend_on_jobs() {
    let a = dir("sweep_jobs_1");
    let b = dir("sweep_jobs_4");
    sweep::run_sweep(&scenario(), &plan(), Shard::WHOLE, Some(1), &a, fake_run).unwrap();
    sweep::run_sweep(&scenario(), &plan(), Shard::WHOLE, Some(4), &b, fake_run).unwrap();
    assert_eq!(
        read(&a, sweep::AGGREGATE_CSV),
        read(&b, sweep::AGGREGATE_CSV)
    );
    assert_eq!(read(&a, sweep::RUNS_CSV), read(&b, sweep::RUNS_CSV));
}

#[test]
fn aggregate_is_mean_and_student_t_interval_over_seeds() {
    let d = dir("sweep_ci");
    sweep::run_sweep(&scenario(), &plan(), Shard::WHOLE, None, &d, fake_run).unwrap();
    let mut reader = csv::Reader::from_path(d.join(sweep::AGGREGATE_CSV)).unwrap();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == "100" && &r[1] == "0.05" && &r[2] == "get_success_rate")
        .expect("row for addresses=100, loss=0.05");
    let values: Vec<f64> = (11..15)
        .map(|seed| {
            let s = sweep::scenario_at(&scenario(), &plan(), 3).unwrap();
            fake_run(SweepRun {
                point: 3,
                scenario: &s,
                seed,
            })
            .unwrap()["get_success_rate"]
        })
        .collect();
    let mean = values.iter().sum::<f64>() / 4.0;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let half = 3.182446 * sd / 2.0;
    let field = |i: usize| row[i].parse::<f64>().unwrap();
    assert_eq!(&row[3], "4");
    assert!((field(4) - mean).abs() < 1e-12);
    assert!((field(6) - (mean - half)).abs() < 1e-9);
    assert!((field(7) - (mean + half)).abs() < 1e-9);
}

#[test]
fn merge_refuses_incomplete_duplicated_or_foreign_shards() {
    let s0 = dir("sweep_bad_0");
    let s1 = dir("sweep_bad_1");
    sweep::run_sweep(
        &scenario(),
        &plan(),
        Shard { index: 0, count: 2 },
        None,
        &s0,
        fake_run,
    )
    .unwrap();
    sweep::run_sweep(
        &scenario(),
        &plan(),
        Shard { index: 1, count: 2 },
        None,
        &s1,
        fake_run,
    )
    .unwrap();
    let out = dir("sweep_bad_out");
    let err = sweep::merge(std::slice::from_ref(&s0), &out)
        .unwrap_err()
        .to_string();
    assert!(err.contains("12 of 24 runs missing"), "{err}");
    let err = sweep::merge(&[s0.clone(), s1.clone(), s1.clone()], &out)
        .unwrap_err()
        .to_string();
    assert!(err.contains("appears in two shards"), "{err}");

    let mut other = scenario();
    other["name"] = json!("other");
    let foreign = dir("sweep_bad_foreign");
    sweep::run_sweep(
        &other,
        &plan(),
        Shard { index: 1, count: 2 },
        None,
        &foreign,
        fake_run,
    )
    .unwrap();
    let err = sweep::merge(&[s0, foreign], &out).unwrap_err().to_string();
    assert!(err.contains("another sweep"), "{err}");
}
