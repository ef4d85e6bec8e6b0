//! Names of the metrics a run measures (docs/simulator.md §"Metrics"): the keys of
//! `summary.json`'s `metrics`, and the only names an `expect` section may use.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::network::DropReason;

/// Deterministic metrics every run reports (wall-clock measures live in `timing.json`).
pub const METRICS: &[&str] = &[
    "events",
    "datagrams_delivered",
    "datagrams_dropped",
    "datagrams_duplicated",
    "bytes_delivered",
    "get_success_rate",
    "get_success_rate_after_heal",
    "targeted_get_success_rate",
    "get_latency_p50_ms",
    "get_latency_p99_ms",
    "gets",
    "puts",
    "lookup_hops_mean",
    "put_replicas_mean",
    "propagation_p50_ms",
    "propagation_p90_ms",
    "honest_reliability_median",
    "honest_reliability_entries",
    "records_written",
    "records_lost",
    "records_unavailable",
    "records_misplaced",
    "writes_interrupted",
    "verifications_computed",
    "verifications_cached",
    "churn_leaves",
    "churn_joins",
    "nodes_up_end",
    "active_peers_mean",
    "challenges_sent",
    "challenges_failed",
    "honest_records_evicted",
    "attacker_datagrams",
    "attacker_bytes",
    "attacker_spoofed_datagrams",
    "attacker_keys_ground",
    "attacker_records_dropped",
    "victim_honest_fraction_min",
    "victim_honest_fraction_end",
    "victim_get_success_rate",
    "poisoned_table_fraction_max",
    "fake_table_entries",
    "unroutable_entries",
    "fake_candidate_fraction",
    "liar_reliability_median",
    "liar_detected_fraction",
    "spam_puts_sent",
    "spam_puts_accepted",
    "amplification_max",
    "join_time_p50_ms",
    "join_time_p90_ms",
    "rejoin_time_p50_ms",
    "joins_measured",
    "joins_unfinished",
    "joins_censored",
];

/// Whether `name` is a metric a run reports: one of [`METRICS`] or `datagrams_dropped_<reason>`.
pub fn is_known(name: &str) -> bool {
    METRICS.contains(&name)
        || name
            .strip_prefix("datagrams_dropped_")
            .is_some_and(|reason| DropReason::ALL.iter().any(|r| r.name() == reason))
}

/// Every metric name, including the per-reason drop counters.
pub fn all_names() -> Vec<String> {
    let mut names: Vec<String> = METRICS.iter().map(|s| s.to_string()).collect();
    names.extend(
        DropReason::ALL
            .iter()
            .map(|r| format!("datagrams_dropped_{}", r.name())),
    );
    names
}

/// A metric name checked against the known names while the scenario is parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricName(pub String);

impl<'de> Deserialize<'de> for MetricName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if !is_known(&name) {
            return Err(serde::de::Error::custom(format!(
                "unknown metric `{name}`; known metrics: {}",
                all_names().join(", ")
            )));
        }
        Ok(MetricName(name))
    }
}

impl Serialize for MetricName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl JsonSchema for MetricName {
    fn schema_name() -> Cow<'static, str> {
        "MetricName".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": all_names() })
    }
}
