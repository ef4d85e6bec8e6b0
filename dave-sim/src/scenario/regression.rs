//! The scenario's `regression` section: how `dave-sim check --baseline` compares this
//! scenario's metrics with a stored baseline (issue 12).
//!
//! Without the section, every metric whose better direction is known ([`default_better`]) is
//! compared with the default tolerance and significance. The section adds metrics (a metric
//! with no known direction needs `better`), turns a compared metric off (`"better": "ignore"`),
//! and sets tolerances:
//! ```json
//! "regression": {
//!   "tolerance": 0.1,
//!   "significance": 0.01,
//!   "metrics": {
//!     "events": { "better": "lower" },
//!     "records_lost": { "absolute_tolerance": 1 },
//!     "datagrams_dropped": { "better": "ignore" }
//!   }
//! }
//! ```

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::Probability;
use crate::metrics::names::MetricName;

/// Relative tolerance when neither the metric nor the section sets one: a change smaller than
/// 5 % of the baseline mean is not a regression however significant. Seeds make small
/// differences significant easily, and a 5 % drift is below what a reviewer acts on.
pub const DEFAULT_TOLERANCE: f64 = 0.05;

/// Family-wise significance level of a scenario's comparisons, when the section sets none: the
/// chance that a change which does not alter the protocol's behaviour (it only reshuffles the
/// random streams) is flagged as a regression in some metric of the scenario. Holm's step-down
/// over the compared metrics keeps it there (see `check::compare`). 1 % rather than the
/// customary 5 %, because CI runs every scenario on every change and a false alarm costs a
/// developer's afternoon; large regressions still reach it with five seeds.
pub const DEFAULT_SIGNIFICANCE: f64 = 0.01;

/// Which way a metric should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    /// Larger values are better (success rates, honest fractions).
    Higher,
    /// Smaller values are better (latencies, hops, losses, drops, amplification).
    Lower,
    /// Not compared, even when a default direction is known.
    Ignore,
}

impl Better {
    /// `higher`, `lower` or `ignore`, as the scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
            Better::Ignore => "ignore",
        }
    }
}

/// Substrings of metric names whose better direction is known, checked in order. Patterns
/// rather than a list of names, so metrics added later (`victim_honest_fraction_min`,
/// `amplification_max`, `liar_reliability_p90`, per-reason drop counters) are compared from
/// the day they exist. Counts that only describe the workload (`events`, `gets`, `bytes_*`)
/// have no better direction: a scenario that cares adds them in its `regression` section.
/// A count of how many scores stand behind a median (`honest_reliability_entries`) says how
/// much was measured, not how well the protocol did, so it is ignored before the patterns of
/// the scores themselves match it.
const DIRECTIONS: &[(&str, Better)] = &[
    ("reliability_entries", Better::Ignore),
    ("success_rate", Better::Higher),
    ("detected_fraction", Better::Higher),
    ("honest_fraction", Better::Higher),
    ("honest_reliability", Better::Higher),
    ("liar_reliability", Better::Lower),
    ("latency", Better::Lower),
    ("hops", Better::Lower),
    ("propagation_p", Better::Lower),
    ("_lost", Better::Lower),
    ("_unavailable", Better::Lower),
    ("_misplaced", Better::Lower),
    ("dropped", Better::Lower),
    ("amplification", Better::Lower),
    ("join_time", Better::Lower),
    ("spam_puts_accepted", Better::Lower),
    ("records_evicted", Better::Lower),
    ("poisoned", Better::Lower),
    ("fake_", Better::Lower),
    ("unroutable_entries", Better::Lower),
];

/// The better direction of `metric` when the scenario does not say, if one is known.
pub fn default_better(metric: &str) -> Option<Better> {
    DIRECTIONS
        .iter()
        .find(|(pattern, _)| metric.contains(pattern))
        .map(|(_, better)| *better)
}

/// The `regression` section.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegressionSpec {
    /// Relative tolerance of every compared metric of this scenario: a worse mean counts only
    /// when it moved by more than this share of the baseline mean (default 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Family-wise significance level of the scenario's comparisons (Welch's t-test per metric,
    /// Holm's step-down over the metrics; default 0.01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub significance: Option<Probability>,
    /// Per-metric settings: add a metric, set or turn off its direction, set its tolerance.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<MetricName, MetricRegression>,
}

/// Settings of one metric in the `regression` section.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricRegression {
    /// Which way is better; required for a metric with no default direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub better: Option<Better>,
    /// Relative tolerance of this metric (overrides the section's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Absolute tolerance, in the metric's unit: a worse mean must also move by more than
    /// this. Useful for counts whose baseline is 0, where any relative tolerance is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute_tolerance: Option<f64>,
}

/// How one metric is compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricPolicy {
    /// Which way is better (never [`Better::Ignore`]).
    pub better: Better,
    /// Relative tolerance.
    pub tolerance: f64,
    /// Absolute tolerance.
    pub absolute_tolerance: f64,
    /// Significance level.
    pub significance: f64,
}

impl MetricPolicy {
    /// The smallest worsening of the mean that can count, for a baseline mean `baseline`.
    pub fn allowed_change(&self, baseline: f64) -> f64 {
        (self.tolerance * baseline.abs()).max(self.absolute_tolerance)
    }
}

impl RegressionSpec {
    /// The policy of `metric`, or `None` if it is not compared.
    pub fn policy(&self, metric: &str) -> Option<MetricPolicy> {
        let own = self.metrics.get(&MetricName(metric.to_string()));
        let better = own
            .and_then(|m| m.better)
            .or_else(|| default_better(metric))?;
        if better == Better::Ignore {
            return None;
        }
        Some(MetricPolicy {
            better,
            tolerance: own
                .and_then(|m| m.tolerance)
                .or(self.tolerance)
                .unwrap_or(DEFAULT_TOLERANCE),
            absolute_tolerance: own.and_then(|m| m.absolute_tolerance).unwrap_or(0.0),
            significance: self.significance.map_or(DEFAULT_SIGNIFICANCE, |p| p.0),
        })
    }

    /// Metrics the section names with a direction to compare, in name order.
    pub fn named_metrics(&self) -> impl Iterator<Item = &str> {
        self.metrics.keys().map(|m| m.0.as_str())
    }
}

/// Checks the section's rules; failures are `(JSON path, problem)` like every other scenario rule.
pub fn check(spec: &RegressionSpec) -> Result<(), (String, String)> {
    let fail = |path: String, problem: String| Err((path, problem));
    if let Some(t) = spec.tolerance
        && !(t.is_finite() && t >= 0.0)
    {
        return fail(
            "regression.tolerance".into(),
            format!(
                "tolerance {t} must be a number of at least 0 (a share of the baseline mean, e.g. 0.05)"
            ),
        );
    }
    if let Some(p) = spec.significance
        && !(p.0 > 0.0 && p.0 < 1.0)
    {
        return fail(
            "regression.significance".into(),
            format!(
                "significance {} must be strictly between 0 and 1 (e.g. 0.01)",
                p.0
            ),
        );
    }
    for (name, m) in &spec.metrics {
        let base = format!("regression.metrics.{name}");
        if m.better.is_none() && default_better(&name.0).is_none() {
            return fail(
                base,
                format!(
                    "`{name}` has no default direction: say \"better\": \"higher\" or \"lower\""
                ),
            );
        }
        for (field, value) in [
            ("tolerance", m.tolerance),
            ("absolute_tolerance", m.absolute_tolerance),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v >= 0.0)
            {
                return fail(
                    format!("{base}.{field}"),
                    format!("{field} {v} must be a number of at least 0"),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::names::all_names;

    #[test]
    fn known_metrics_get_the_directions_the_issue_names() {
        let higher: Vec<String> = all_names()
            .into_iter()
            .filter(|n| default_better(n) == Some(Better::Higher))
            .collect();
        assert_eq!(
            higher,
            [
                "get_success_rate",
                "get_success_rate_after_heal",
                "targeted_get_success_rate",
                "honest_reliability_median",
                "victim_honest_fraction_min",
                "victim_honest_fraction_end",
                "victim_get_success_rate",
                "liar_detected_fraction",
            ]
        );
        assert_eq!(
            default_better("honest_reliability_entries"),
            Some(Better::Ignore)
        );
        for lower in [
            "get_latency_p50_ms",
            "get_latency_p99_ms",
            "lookup_hops_mean",
            "propagation_p90_ms",
            "records_lost",
            "records_unavailable",
            "records_misplaced",
            "datagrams_dropped",
            "datagrams_dropped_loss",
        ] {
            assert_eq!(default_better(lower), Some(Better::Lower), "{lower}");
        }
        for future in ["victim_honest_fraction_min", "amplification_max"] {
            assert!(default_better(future).is_some(), "{future}");
        }
        assert_eq!(default_better("liar_reliability_p90"), Some(Better::Lower));
        for none in ["events", "gets", "bytes_delivered", "churn_leaves"] {
            assert_eq!(default_better(none), None, "{none}");
        }
    }

    #[test]
    fn the_section_overrides_defaults_metric_by_metric() {
        let spec: RegressionSpec = serde_json::from_str(
            r#"{"tolerance": 0.2, "metrics": {
                "events": {"better": "lower"},
                "records_lost": {"absolute_tolerance": 1, "tolerance": 0},
                "datagrams_dropped": {"better": "ignore"}}}"#,
        )
        .unwrap();
        check(&spec).unwrap();
        let events = spec.policy("events").unwrap();
        assert_eq!((events.better, events.tolerance), (Better::Lower, 0.2));
        assert_eq!(events.significance, DEFAULT_SIGNIFICANCE);
        let lost = spec.policy("records_lost").unwrap();
        assert_eq!(lost.allowed_change(0.0), 1.0);
        assert_eq!(lost.allowed_change(50.0), 1.0);
        assert!(spec.policy("datagrams_dropped").is_none());
        assert!(spec.policy("gets").is_none());
        let default = RegressionSpec::default()
            .policy("get_success_rate")
            .unwrap();
        assert_eq!(default.tolerance, DEFAULT_TOLERANCE);
        assert!((default.allowed_change(0.9) - 0.045).abs() < 1e-12);
    }

    #[test]
    fn bad_sections_name_the_field() {
        let bad = |json: &str| {
            check(&serde_json::from_str::<RegressionSpec>(json).unwrap())
                .unwrap_err()
                .0
        };
        assert_eq!(
            bad(r#"{"metrics": {"events": {}}}"#),
            "regression.metrics.events"
        );
        assert_eq!(bad(r#"{"tolerance": -1}"#), "regression.tolerance");
        assert_eq!(bad(r#"{"significance": 0}"#), "regression.significance");
        assert_eq!(
            bad(r#"{"metrics": {"records_lost": {"absolute_tolerance": -2}}}"#),
            "regression.metrics.records_lost.absolute_tolerance"
        );
    }
}
