//! The modeled crypto provider changes no protocol outcome (issue 11): `scenarios/churn.json`
//! (churn, a partition, loss, a workload; its first 200 s) runs over a few seeds with `"crypto": "ed25519"` and
//! with `"crypto": "modeled"`, and every protocol metric must agree between the two within the
//! spread the seeds themselves produce. Only the provider's own counters
//! (`verifications_computed`, `verifications_cached`) may differ: the modeled provider has no
//! cache.

use std::collections::BTreeMap;

use dave_sim::metrics::stats::mean;
use dave_sim::scenario::{self, CryptoMode, Override, Scenario};
use dave_sim::sim::dave_host::DaveHost;
use dave_sim::sim::{RunOptions, run};

const SEEDS: [u64; 3] = [1, 2, 3];
/// Metrics that describe the provider, not the protocol.
const PROVIDER_METRICS: [&str; 2] = ["verifications_computed", "verifications_cached"];

type Samples = BTreeMap<String, Vec<f64>>;

fn churn(mode: CryptoMode) -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/churn.json");
    let text = std::fs::read_to_string(path).expect("scenarios/churn.json is shipped");
    // 200 s keeps the churn, the partition (150–180 s) and the reads after it, at two thirds
    // of the cost.
    let shorter: Override = "duration=200s".parse().expect("a valid override");
    let mut s = scenario::parse(path, &text, &[shorter]).expect("churn.json parses");
    s.crypto = mode;
    s
}

/// Every metric of `mode`'s runs, one value per seed.
fn samples(mode: CryptoMode) -> Samples {
    let s = churn(mode);
    let mut out = Samples::new();
    for seed in SEEDS {
        let o = run::<DaveHost>(
            &s,
            RunOptions {
                seed: Some(seed),
                ..RunOptions::default()
            },
        );
        for (name, value) in o.summary.metrics {
            out.entry(name).or_default().push(value);
        }
    }
    out
}

fn sd(xs: &[f64]) -> f64 {
    let m = mean(xs.iter().copied());
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len().max(2) - 1) as f64).sqrt()
}

/// The protocol metrics whose means differ by more than twice the larger seed spread (exactly,
/// up to rounding, when neither varies across seeds), with both means.
fn disagreements(a: &Samples, b: &Samples) -> Vec<(String, f64, f64)> {
    let mut bad = Vec::new();
    for (name, xs) in a {
        if PROVIDER_METRICS.contains(&name.as_str()) {
            continue;
        }
        let Some(ys) = b.get(name) else {
            bad.push((name.clone(), mean(xs.iter().copied()), f64::NAN));
            continue;
        };
        let (ma, mb) = (mean(xs.iter().copied()), mean(ys.iter().copied()));
        if ma.is_nan() && mb.is_nan() {
            continue;
        }
        let allowed = 2.0 * sd(xs).max(sd(ys)) + 1e-9 * ma.abs().max(mb.abs()).max(1.0);
        if (ma - mb).abs() > allowed || ma.is_nan() != mb.is_nan() {
            bad.push((name.clone(), ma, mb));
        }
    }
    bad
}

#[test]
fn modeled_and_ed25519_runs_agree_on_every_protocol_metric() {
    let (modeled, real) = std::thread::scope(|scope| {
        let modeled = scope.spawn(|| samples(CryptoMode::Modeled));
        let real = samples(CryptoMode::Ed25519);
        (modeled.join().expect("modeled runs"), real)
    });
    assert_eq!(
        modeled.keys().collect::<Vec<_>>(),
        real.keys().collect::<Vec<_>>()
    );
    let bad = disagreements(&modeled, &real);
    assert!(bad.is_empty(), "modeled vs ed25519 (means): {bad:?}");
    // The runs did what churn.json is for: nodes left, reads succeeded, signatures were checked.
    assert!(mean(modeled["churn_leaves"].iter().copied()) > 0.0);
    assert!(mean(modeled["get_success_rate"].iter().copied()) > 0.9);
    assert!(mean(modeled["verifications_computed"].iter().copied()) > 1000.0);
    assert!(mean(real["verifications_computed"].iter().copied()) > 1000.0);
}

#[test]
fn the_comparison_flags_a_shift_beyond_the_seed_spread() {
    let a = Samples::from([
        ("get_success_rate".to_string(), vec![0.98, 0.99, 0.97]),
        ("records_lost".to_string(), vec![0.0, 0.0, 0.0]),
        ("verifications_cached".to_string(), vec![5.0, 6.0, 7.0]),
    ]);
    let within = Samples::from([
        ("get_success_rate".to_string(), vec![0.99, 0.97, 0.98]),
        ("records_lost".to_string(), vec![0.0, 0.0, 0.0]),
        ("verifications_cached".to_string(), vec![0.0, 0.0, 0.0]),
    ]);
    assert!(disagreements(&a, &within).is_empty());
    let shifted = Samples::from([
        ("get_success_rate".to_string(), vec![0.5, 0.6, 0.55]),
        ("records_lost".to_string(), vec![0.0, 1.0, 0.0]),
        ("verifications_cached".to_string(), vec![0.0, 0.0, 0.0]),
    ]);
    let names: Vec<String> = disagreements(&a, &shifted)
        .into_iter()
        .map(|(n, ..)| n)
        .collect();
    assert_eq!(names, ["get_success_rate"]);
    let lost = Samples::from([
        ("get_success_rate".to_string(), vec![0.98, 0.99, 0.97]),
        ("records_lost".to_string(), vec![1.0, 1.0, 1.0]),
    ]);
    let names: Vec<String> = disagreements(&a, &lost)
        .into_iter()
        .map(|(n, ..)| n)
        .collect();
    assert_eq!(names, ["records_lost"]);
}
