//! Scenario files (docs/simulator.md §"Scenario file"): types, loading with precise errors,
//! `--set` overrides, cross-field validation, and the JSON Schema.
//!
//! Errors name the file, the JSON path, the line and column, and the problem. Parsing runs on
//! the original text first (so positions are real); overrides are applied afterwards to the
//! JSON tree and a failure there is blamed on the `--set` argument that caused it.

pub mod adversary;
pub mod duration;
pub mod locate;
pub mod network;
mod node_config;
pub mod overrides;
pub mod regression;
pub mod types;
mod validate;
pub mod values;

use std::path::Path;

pub use adversary::*;
pub use duration::SimDuration;
pub use network::*;
pub use overrides::Override;
pub use types::*;
pub use values::{Bound, CompareOp, NodeSet, Positive, Probability};

/// Why a scenario could not be used. Every variant maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the scenario: {source}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not valid JSON or does not fit the scenario format.
    #[error("{file}:{line}:{column}: at `{path}`: {problem}")]
    Invalid {
        /// The file.
        file: String,
        /// JSON path of the offending value (`.` for the whole document).
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        problem: String,
    },
    /// A `--set` override does not apply or makes the scenario invalid.
    #[error("{file}: --set {arg}: at `{path}`: {problem}")]
    Override {
        /// The file.
        file: String,
        /// The override as given.
        arg: String,
        /// JSON path where the problem is.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

/// Reads and checks a scenario file, then applies overrides.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    parse(&file, &text, overrides)
}

/// Parses scenario text (`file` is only used in messages), then applies overrides.
pub fn parse(file: &str, text: &str, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let scenario = parse_text(file, text)?;
    if overrides.is_empty() {
        return Ok(scenario);
    }
    apply_overrides(file, text, overrides)
}

fn parse_text(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let invalid = |path: String, e: &serde_json::Error| ScenarioError::Invalid {
        file: file.to_string(),
        path,
        line: e.line(),
        column: e.column(),
        problem: strip_position(&e.to_string()),
    };
    let scenario: Scenario = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| invalid(e.path().to_string(), e.inner()))?;
    de.end().map_err(|e| invalid(".".to_string(), &e))?;
    validate::check(&scenario).map_err(|(path, problem)| {
        let (line, column) = locate::locate(text, &locate::parse_path(&path));
        ScenarioError::Invalid {
            file: file.to_string(),
            path,
            line,
            column,
            problem,
        }
    })?;
    Ok(scenario)
}

fn apply_overrides(
    file: &str,
    text: &str,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    // The text parsed already, so this cannot fail; map the error anyway rather than unwrap.
    let mut doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ScenarioError::Invalid {
            file: file.to_string(),
            path: ".".to_string(),
            line: e.line(),
            column: e.column(),
            problem: strip_position(&e.to_string()),
        })?;
    let mut added = Vec::new();
    for o in overrides {
        added.extend(o.added_key(&doc).map(|a| (o.arg.clone(), a)));
        o.apply(&mut doc)
            .map_err(|problem| ScenarioError::Override {
                file: file.to_string(),
                arg: o.arg.clone(),
                path: o.path.clone(),
                problem,
            })?;
    }
    let blame = |path: &str| -> String {
        let norm = |p: &str| p.replace('[', ".").replace(']', "");
        let target = norm(path);
        overrides
            .iter()
            .rev()
            .find(|o| target.starts_with(&norm(&o.path)) || norm(&o.path).starts_with(&target))
            .map(|o| o.arg.clone())
            // A rule between fields: name every override, any of them may be the cause.
            .unwrap_or_else(|| {
                overrides
                    .iter()
                    .map(|o| o.arg.as_str())
                    .collect::<Vec<_>>()
                    .join(" --set ")
            })
    };
    let scenario: Scenario = serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        // A key added beside existing ones where the result does not parse is most likely a
        // typo (`network.loss.bernouli`): name it, and the keys that were there.
        let norm = |p: &str| p.replace('[', ".").replace(']', "");
        let typo = added
            .iter()
            .rev()
            .find(|(_, a)| norm(&a.parent) == norm(&path));
        match typo {
            Some((arg, a)) => ScenarioError::Override {
                file: file.to_string(),
                arg: arg.clone(),
                path,
                problem: format!(
                    "unknown key `{}` (the keys here are: {}): {}",
                    a.key,
                    a.existing
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    e.inner()
                ),
            },
            None => ScenarioError::Override {
                file: file.to_string(),
                arg: blame(&path),
                path,
                problem: e.inner().to_string(),
            },
        }
    })?;
    validate::check(&scenario).map_err(|(path, problem)| ScenarioError::Override {
        file: file.to_string(),
        arg: blame(&path),
        path,
        problem,
    })?;
    Ok(scenario)
}

/// serde_json appends " at line L column C"; the error message carries them separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The JSON Schema of the scenario format, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Scenario);
    serde_json::to_string_pretty(&schema).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
