//! New runs against a stored baseline, metric by metric.
//!
//! A seed whose trace hash equals the baseline's for the same seed ran exactly as before: it
//! is reported as unchanged and left out of the statistics (it carries no information about a
//! difference). The remaining seeds of both sides are compared with Welch's t-test
//! ([`super::stats`]). A metric **regressed** when its mean moved the worse way by more than
//! its tolerance *and* its one-sided p-value passes Holm's step-down test at the scenario's
//! significance level; it **improved** under the mirror conditions. Both conditions, because
//! with enough seeds a trivial shift is significant, and with few seeds a large shift can be
//! chance.
//!
//! # Why Holm
//! A scenario compares a dozen metrics at once, and a code change that only reshuffles the
//! random streams re-samples all of them. Tested one by one at 1 %, such a neutral change was
//! flagged in 1 of 20 seed offsets of `tiny` (`--set seed=1600`: propagation_p50_ms, p =
//! 0.0018). Holm's step-down keeps the chance of *any* false regression in a scenario at the
//! significance level, and rejects more than Bonferroni does when several metrics really moved.
//! Metrics that are constant and equal on both sides (counters that stay 0) cannot differ and
//! are left out of the family (Tarone's rule), so they do not make the others' test stricter.

use std::collections::BTreeSet;

use super::baseline::{Baseline, scenario_digest};
use super::runner::SeedRun;
use super::stats::{Spread, welch};
use crate::scenario::Scenario;
use crate::scenario::regression::{Better, MetricPolicy};

/// What the comparison of one metric found.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Moved the worse way, beyond tolerance and significantly.
    Regression,
    /// Moved the better way, beyond tolerance and significantly.
    Improved,
    /// No significant change beyond tolerance.
    Unchanged,
    /// No test was possible; the reason says why.
    Untested(String),
}

/// One compared metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Metric name.
    pub metric: String,
    /// How it was compared.
    pub policy: MetricPolicy,
    /// Baseline values of the compared seeds.
    pub baseline: Spread,
    /// New values of the compared seeds.
    pub new: Spread,
    /// One-sided p-value in the worse direction, when a test ran.
    pub p_worse: Option<f64>,
    /// One-sided p-value in the better direction, when a test ran.
    pub p_better: Option<f64>,
    /// The level `p_worse` had to pass under Holm's step-down (its rank's share of the
    /// scenario's significance), when the metric was in the tested family.
    pub threshold: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

impl Comparison {
    /// The mean's change relative to the baseline mean (NaN when the baseline mean is 0).
    pub fn relative_change(&self) -> f64 {
        if self.baseline.mean == 0.0 {
            f64::NAN
        } else {
            (self.new.mean - self.baseline.mean) / self.baseline.mean.abs()
        }
    }
}

/// One scenario against its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineComparison {
    /// Seeds whose trace hash equals the baseline's: not compared.
    pub unchanged_seeds: Vec<u64>,
    /// Seeds compared (new runs whose trace changed, or that the baseline lacks).
    pub compared_seeds: Vec<u64>,
    /// Whether the scenario (after `--set`) differs from the one the baseline ran.
    pub scenario_changed: bool,
    /// The dave-sim version that wrote the baseline.
    pub baseline_version: String,
    /// One entry per compared metric in name order; empty when every seed is unchanged.
    pub comparisons: Vec<Comparison>,
    /// Metrics that differ on a seed whose trace is unchanged: their computation changed,
    /// not the protocol's behaviour. Reported, never judged.
    pub recomputed: Vec<String>,
}

impl BaselineComparison {
    /// The comparisons that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &Comparison> {
        self.comparisons
            .iter()
            .filter(|c| c.verdict == Verdict::Regression)
    }
}

/// Compares `runs` (seed order) of `scenario` with `baseline`.
pub fn compare(scenario: &Scenario, baseline: &Baseline, runs: &[SeedRun]) -> BaselineComparison {
    let unchanged: BTreeSet<u64> = runs
        .iter()
        .filter(|r| {
            baseline
                .seeds
                .iter()
                .any(|b| b.seed == r.seed && b.trace_hash == r.trace_hash)
        })
        .map(|r| r.seed)
        .collect();
    let new_runs: Vec<&SeedRun> = runs
        .iter()
        .filter(|r| !unchanged.contains(&r.seed))
        .collect();
    let base_seeds: Vec<_> = baseline
        .seeds
        .iter()
        .filter(|b| !unchanged.contains(&b.seed))
        .collect();
    let spec = scenario.regression.clone().unwrap_or_default();
    let mut names: BTreeSet<&str> = spec.named_metrics().collect();
    names.extend(
        runs.iter()
            .flat_map(|r| r.metrics.keys().map(String::as_str)),
    );
    names.extend(
        baseline
            .seeds
            .iter()
            .flat_map(|b| b.metrics.keys().map(String::as_str)),
    );
    let recomputed = names
        .iter()
        .filter(|name| {
            runs.iter()
                .filter(|r| unchanged.contains(&r.seed))
                .any(|r| {
                    let new = r.metrics.get(**name).copied().unwrap_or(f64::NAN);
                    let old = baseline
                        .seeds
                        .iter()
                        .find(|b| b.seed == r.seed)
                        .map_or(f64::NAN, |b| b.value(name));
                    new.to_bits() != old.to_bits() && !(new.is_nan() && old.is_nan())
                })
        })
        .map(|n| (*n).to_string())
        .collect();
    let mut comparisons: Vec<Comparison> = if new_runs.is_empty() {
        Vec::new()
    } else {
        names
            .iter()
            .filter_map(|name| {
                let policy = spec.policy(name)?;
                let base: Vec<f64> = base_seeds.iter().map(|b| b.value(name)).collect();
                let new: Vec<f64> = new_runs
                    .iter()
                    .map(|r| r.metrics.get(*name).copied().unwrap_or(f64::NAN))
                    .collect();
                Some(test(name, policy, &Spread::of(&base), &Spread::of(&new)))
            })
            .collect()
    };
    decide(&mut comparisons);
    BaselineComparison {
        unchanged_seeds: unchanged.into_iter().collect(),
        compared_seeds: new_runs.iter().map(|r| r.seed).collect(),
        scenario_changed: scenario_digest(scenario) != baseline.scenario_blake3,
        baseline_version: baseline.dave_sim_version.clone(),
        comparisons,
        recomputed,
    }
}

/// Welch's test of one metric; the verdict is left [`Verdict::Unchanged`] (or
/// [`Verdict::Untested`] when no test is possible) for [`decide`] to settle.
pub fn test(metric: &str, policy: MetricPolicy, base: &Spread, new: &Spread) -> Comparison {
    let mut out = Comparison {
        metric: metric.to_string(),
        policy,
        baseline: *base,
        new: *new,
        p_worse: None,
        p_better: None,
        threshold: None,
        verdict: Verdict::Unchanged,
    };
    if base.n == 0 || new.n == 0 {
        let side = if base.n == 0 {
            "the baseline"
        } else {
            "the new runs"
        };
        out.verdict = Verdict::Untested(format!("no data in {side}"));
        return out;
    }
    let Some(test) = welch(base, new) else {
        out.verdict = Verdict::Untested(format!(
            "{} baseline and {} new changed seeds: a test needs 2 a side (raise --seeds)",
            base.n, new.n
        ));
        return out;
    };
    (out.p_worse, out.p_better) = match policy.better {
        Better::Lower => (Some(test.p_greater), Some(test.p_less)),
        _ => (Some(test.p_less), Some(test.p_greater)),
    };
    out
}

/// How far the mean moved the worse way (negative: the better way).
fn worsening(c: &Comparison) -> f64 {
    match c.policy.better {
        Better::Lower => c.new.mean - c.baseline.mean,
        _ => c.baseline.mean - c.new.mean,
    }
}

/// Whether both sides are the same constant: no test can find a difference.
fn constant_and_equal(c: &Comparison) -> bool {
    c.baseline.sd == 0.0 && c.new.sd == 0.0 && c.baseline.mean == c.new.mean
}

/// Settles the verdicts of one scenario's tested metrics: Holm's step-down over the family of
/// informative tests, separately for the worse and the better direction, then the tolerance.
pub fn decide(comparisons: &mut [Comparison]) {
    let family: Vec<usize> = (0..comparisons.len())
        .filter(|&i| comparisons[i].p_worse.is_some() && !constant_and_equal(&comparisons[i]))
        .collect();
    let Some(&first) = family.first() else {
        return;
    };
    let alpha = comparisons[first].policy.significance;
    let p = |f: fn(&Comparison) -> Option<f64>| -> Vec<f64> {
        family
            .iter()
            .map(|&i| f(&comparisons[i]).unwrap_or(1.0))
            .collect()
    };
    let (worse, worse_levels) = holm(&p(|c| c.p_worse), alpha);
    let (better, _) = holm(&p(|c| c.p_better), alpha);
    for (k, &i) in family.iter().enumerate() {
        let c = &mut comparisons[i];
        c.threshold = Some(worse_levels[k]);
        let allowed = c.policy.allowed_change(c.baseline.mean);
        let moved = worsening(c);
        c.verdict = if worse[k] && moved > allowed {
            Verdict::Regression
        } else if better[k] && -moved > allowed {
            Verdict::Improved
        } else {
            Verdict::Unchanged
        };
    }
}

/// Holm's step-down at family-wise level `alpha`: which hypotheses are rejected, and the level
/// each p-value is compared with (`alpha / (m − rank)` by ascending p, rank from 0). Ties are
/// ranked in input order, so the result does not depend on sorting stability.
pub fn holm(p: &[f64], alpha: f64) -> (Vec<bool>, Vec<f64>) {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut rejected = vec![false; m];
    let mut levels = vec![0.0; m];
    let mut still = true;
    for (rank, &i) in order.iter().enumerate() {
        levels[i] = alpha / (m - rank) as f64;
        still = still && p[i] < levels[i];
        rejected[i] = still;
    }
    (rejected, levels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::regression::RegressionSpec;

    fn policy(better: Better) -> MetricPolicy {
        RegressionSpec::default()
            .policy(match better {
                Better::Higher => "get_success_rate",
                _ => "get_latency_p50_ms",
            })
            .unwrap()
    }

    /// The verdict on one metric tested alone (a family of one).
    fn judge(better: Better, base: &[f64], new: &[f64]) -> Comparison {
        let mut c = [test(
            "m",
            policy(better),
            &Spread::of(base),
            &Spread::of(new),
        )];
        decide(&mut c);
        c[0].clone()
    }

    const BASE: [f64; 5] = [100.0, 102.0, 98.0, 101.0, 99.0];
    const SLOWER: [f64; 5] = [120.0, 123.0, 118.0, 121.0, 119.0];

    #[test]
    fn worse_significant_and_beyond_tolerance_is_a_regression() {
        let c = judge(Better::Lower, &BASE, &SLOWER);
        assert_eq!(c.verdict, Verdict::Regression);
        assert!(c.p_worse.unwrap() < 1e-4);
        assert_eq!(
            judge(Better::Lower, &SLOWER, &BASE).verdict,
            Verdict::Improved
        );
        // Higher is better: the same kind of drop in a success rate is a regression.
        let c = judge(Better::Higher, &[0.99, 0.98, 0.99], &[0.80, 0.82, 0.79]);
        assert_eq!(c.verdict, Verdict::Regression);
    }

    #[test]
    fn small_or_noisy_changes_are_not_regressions() {
        // Significant but within the 5 % tolerance.
        let within = [103.0, 105.0, 101.0, 104.0, 102.0];
        assert_eq!(
            judge(Better::Lower, &BASE, &within).verdict,
            Verdict::Unchanged
        );
        // Beyond tolerance on average but too noisy to be significant.
        let noisy = [60.0, 180.0, 90.0, 150.0, 70.0];
        assert_eq!(
            judge(Better::Lower, &BASE, &noisy).verdict,
            Verdict::Unchanged
        );
        let single = judge(Better::Lower, &BASE, &[150.0]);
        assert!(matches!(single.verdict, Verdict::Untested(_)), "{single:?}");
    }

    #[test]
    fn holm_steps_down_and_stops_at_the_first_miss() {
        let (rejected, levels) = holm(&[0.04, 0.001, 0.015, 0.3], 0.05);
        // Sorted: 0.001 < 0.05/4, 0.015 < 0.05/3, 0.04 >= 0.05/2: stop.
        assert_eq!(rejected, [false, true, true, false]);
        assert_eq!(levels, [0.025, 0.0125, 0.05 / 3.0, 0.05]);
        assert_eq!(holm(&[], 0.05).0, Vec::<bool>::new());
    }

    #[test]
    fn a_family_is_stricter_than_one_test_but_constant_counters_do_not_count() {
        // p ≈ 0.008 alone passes 1 %; among three informative metrics it must pass 1 %/3.
        let base = [10.0, 11.0, 12.0, 10.5, 11.5];
        let new = [11.6, 12.4, 13.5, 12.0, 13.0];
        let alone = judge(Better::Lower, &base, &new);
        assert_eq!(alone.verdict, Verdict::Regression, "{alone:?}");
        let p = alone.p_worse.unwrap();
        assert!(p > 0.01 / 3.0 && p < 0.01, "{p}");
        let t =
            |b: &[f64], n: &[f64]| test("m", policy(Better::Lower), &Spread::of(b), &Spread::of(n));
        let mut family = [t(&base, &new), t(&BASE, &BASE), t(&SLOWER, &SLOWER)];
        decide(&mut family);
        assert_eq!(family[0].verdict, Verdict::Unchanged);
        let mut with_zeros = [
            t(&base, &new),
            t(&[0.0; 5], &[0.0; 5]),
            t(&[0.0; 5], &[0.0; 5]),
        ];
        decide(&mut with_zeros);
        assert_eq!(with_zeros[0].verdict, Verdict::Regression);
        assert_eq!(with_zeros[1].threshold, None);
    }
}
