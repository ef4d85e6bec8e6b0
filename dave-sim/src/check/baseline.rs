//! Stored baselines: one JSON file per scenario, `DIR/<scenario name>.json`, holding each
//! seed's trace hash and metrics.
//!
//! Plain pretty JSON with sorted keys, so a baseline kept in a repository diffs readably when
//! it is updated on purpose. Files are written atomically (temporary file, then rename), so an
//! interrupted `--save-baseline` never leaves a half-written baseline behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::runner::SeedRun;
use crate::scenario::Scenario;

/// Version of the baseline layout; other versions are refused with a message.
const FORMAT_VERSION: u32 = 1;

/// One scenario's baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Layout version.
    pub format: u32,
    /// Scenario name.
    pub scenario: String,
    /// BLAKE3 of the scenario as run (after `--set`), to tell a reader the scenario changed.
    pub scenario_blake3: String,
    /// dave-sim version that wrote it.
    pub dave_sim_version: String,
    /// The seeds, in seed order.
    pub seeds: Vec<BaselineSeed>,
}

/// One seed of a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineSeed {
    /// The seed.
    pub seed: u64,
    /// Its trace hash.
    pub trace_hash: String,
    /// Its metrics; `null` where the run had no data.
    pub metrics: BTreeMap<String, Option<f64>>,
}

impl BaselineSeed {
    /// The metric's value, NaN when absent or without data.
    pub fn value(&self, metric: &str) -> f64 {
        self.metrics
            .get(metric)
            .copied()
            .flatten()
            .unwrap_or(f64::NAN)
    }
}

/// BLAKE3 of the scenario's JSON form.
pub fn scenario_digest(scenario: &Scenario) -> String {
    let json = serde_json::to_string(scenario).unwrap_or_default();
    blake3::hash(json.as_bytes()).to_hex().to_string()
}

impl Baseline {
    /// The baseline of `runs` (in seed order) of `scenario`.
    pub fn of(scenario: &Scenario, runs: &[SeedRun]) -> Baseline {
        Baseline {
            format: FORMAT_VERSION,
            scenario: scenario.name.clone(),
            scenario_blake3: scenario_digest(scenario),
            dave_sim_version: env!("CARGO_PKG_VERSION").to_string(),
            seeds: runs
                .iter()
                .map(|r| BaselineSeed {
                    seed: r.seed,
                    trace_hash: r.trace_hash.clone(),
                    metrics: r
                        .metrics
                        .iter()
                        .map(|(k, v)| (k.clone(), v.is_finite().then_some(*v)))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Where the baseline of scenario `name` lives in `dir`.
pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Writes `baseline` into `dir` (created if needed) and returns the file.
pub fn save(dir: &Path, baseline: &Baseline) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = path(dir, &baseline.scenario);
    let text = serde_json::to_string_pretty(baseline)
        .map_err(|e| format!("{}: {e}", file.display()))?
        + "\n";
    let tmp = dir.join(format!(".{}.json.tmp", baseline.scenario));
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(file)
}

/// Reads the baseline of scenario `name` from `dir`: `None` if there is none (a new
/// scenario), an error if the file is unreadable, malformed or of another scenario.
pub fn load(dir: &Path, name: &str) -> Result<Option<Baseline>, String> {
    let file = path(dir, name);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: cannot read the baseline: {e}", file.display())),
    };
    let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: not a dave-sim baseline: {e} (rewrite it with --save-baseline)",
            file.display()
        )
    })?;
    if baseline.format != FORMAT_VERSION {
        return Err(format!(
            "{}: baseline format {} is not {FORMAT_VERSION}, the one this dave-sim reads (rewrite it with --save-baseline)",
            file.display(),
            baseline.format
        ));
    }
    if baseline.scenario != name {
        return Err(format!(
            "{}: holds the baseline of scenario {:?}, not {name:?}",
            file.display(),
            baseline.scenario
        ));
    }
    Ok(Some(baseline))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_baselines_load_back_and_strangers_are_refused() {
        let dir = std::env::temp_dir().join(format!("dave-sim-baseline-{}", std::process::id()));
        let baseline = Baseline {
            format: FORMAT_VERSION,
            scenario: "s".into(),
            scenario_blake3: "x".into(),
            dave_sim_version: "0".into(),
            seeds: vec![BaselineSeed {
                seed: 3,
                trace_hash: "h".into(),
                metrics: BTreeMap::from([("a".into(), Some(1.5)), ("b".into(), None)]),
            }],
        };
        let file = save(&dir, &baseline).unwrap();
        assert_eq!(file, dir.join("s.json"));
        let back = load(&dir, "s").unwrap().unwrap();
        assert_eq!(back, baseline);
        assert!(back.seeds[0].value("b").is_nan() && back.seeds[0].value("zz").is_nan());
        assert_eq!(load(&dir, "other").unwrap(), None);
        std::fs::copy(&file, dir.join("t.json")).unwrap();
        assert!(load(&dir, "t").unwrap_err().contains("not \"t\""));
        std::fs::write(&file, "{\"format\": 2}").unwrap();
        assert!(
            load(&dir, "s")
                .unwrap_err()
                .contains("not a dave-sim baseline")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
