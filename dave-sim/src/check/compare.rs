//! New runs against a stored baseline, metric by metric.
//!
//! A seed whose trace hash equals the baseline's for the same seed ran exactly as before: it
//! is reported as unchanged and left out of the statistics (it carries no information about a
//! difference). The remaining seeds of both sides are compared with Welch's t-test
//! ([`super::stats`]). A metric **regressed** when its mean moved the worse way by more than
//! its tolerance *and* the one-sided p-value is below the significance level; it **improved**
//! under the mirror conditions. Both conditions, because with enough seeds a trivial shift is
//! significant, and with few seeds a large shift can be chance.

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
    let comparisons = if new_runs.is_empty() {
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
                Some(judge(name, policy, &Spread::of(&base), &Spread::of(&new)))
            })
            .collect()
    };
    BaselineComparison {
        unchanged_seeds: unchanged.into_iter().collect(),
        compared_seeds: new_runs.iter().map(|r| r.seed).collect(),
        scenario_changed: scenario_digest(scenario) != baseline.scenario_blake3,
        baseline_version: baseline.dave_sim_version.clone(),
        comparisons,
        recomputed,
    }
}

/// The verdict on one metric.
pub fn judge(metric: &str, policy: MetricPolicy, base: &Spread, new: &Spread) -> Comparison {
    let mut out = Comparison {
        metric: metric.to_string(),
        policy,
        baseline: *base,
        new: *new,
        p_worse: None,
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
    let (p_worse, p_better, worsening) = match policy.better {
        Better::Lower => (test.p_greater, test.p_less, new.mean - base.mean),
        _ => (test.p_less, test.p_greater, base.mean - new.mean),
    };
    out.p_worse = Some(p_worse);
    let allowed = policy.allowed_change(base.mean);
    out.verdict = if worsening > allowed && p_worse < policy.significance {
        Verdict::Regression
    } else if -worsening > allowed && p_better < policy.significance {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    out
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

    #[test]
    fn worse_significant_and_beyond_tolerance_is_a_regression() {
        let base = Spread::of(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        let slower = Spread::of(&[120.0, 123.0, 118.0, 121.0, 119.0]);
        let c = judge("get_latency_p50_ms", policy(Better::Lower), &base, &slower);
        assert_eq!(c.verdict, Verdict::Regression);
        assert!(c.p_worse.unwrap() < 1e-4);
        let c = judge("get_latency_p50_ms", policy(Better::Lower), &slower, &base);
        assert_eq!(c.verdict, Verdict::Improved);
        // Higher is better: the same drop in a success rate is a regression.
        let c = judge(
            "get_success_rate",
            policy(Better::Higher),
            &Spread::of(&[0.99, 0.98, 0.99]),
            &Spread::of(&[0.80, 0.82, 0.79]),
        );
        assert_eq!(c.verdict, Verdict::Regression);
    }

    #[test]
    fn small_or_noisy_changes_are_not_regressions() {
        let base = Spread::of(&[100.0, 102.0, 98.0, 101.0, 99.0]);
        // Significant but within the 5 % tolerance.
        let c = judge(
            "get_latency_p50_ms",
            policy(Better::Lower),
            &base,
            &Spread::of(&[103.0, 105.0, 101.0, 104.0, 102.0]),
        );
        assert_eq!(c.verdict, Verdict::Unchanged);
        // Beyond tolerance on average but too noisy to be significant.
        let c = judge(
            "get_latency_p50_ms",
            policy(Better::Lower),
            &base,
            &Spread::of(&[60.0, 180.0, 90.0, 150.0, 70.0]),
        );
        assert_eq!(c.verdict, Verdict::Unchanged);
        let c = judge(
            "get_latency_p50_ms",
            policy(Better::Lower),
            &base,
            &Spread::of(&[150.0]),
        );
        assert!(matches!(c.verdict, Verdict::Untested(_)), "{c:?}");
    }
}
