//! Writes a run's files (docs/simulator.md §"The report"): `summary.json`, `timing.json`,
//! `timeseries.csv`, `records.csv`, `lookups.csv`, `peers.csv`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::sim::RunOutput;

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A file or folder could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A CSV row could not be written.
    #[error("{path}: {source}")]
    Csv {
        /// The path.
        path: PathBuf,
        /// The error.
        source: csv::Error,
    },
    /// JSON encoding failed.
    #[error("{path}: {source}")]
    Json {
        /// The path.
        path: PathBuf,
        /// The error.
        source: serde_json::Error,
    },
}

/// `summary.json` text: pretty JSON with a final newline.
pub fn summary_json(output: &RunOutput) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&output.summary).map(|s| s + "\n")
}

/// Writes every file into `dir` (created if needed).
pub fn write_all(output: &RunOutput, dir: &Path) -> Result<(), ResultsError> {
    fs::create_dir_all(dir).map_err(|source| ResultsError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    write_json(&dir.join("summary.json"), &output.summary)?;
    write_json(&dir.join("timing.json"), &output.timing)?;
    write_csv(&dir.join("timeseries.csv"), &output.samples)?;
    write_csv(&dir.join("records.csv"), &output.records)?;
    write_csv(&dir.join("lookups.csv"), &output.lookups)?;
    write_csv(&dir.join("peers.csv"), &output.peers)?;
    Ok(())
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ResultsError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| ResultsError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    fs::write(path, text + "\n").map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), ResultsError> {
    let csv_err = |source| ResultsError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    for row in rows {
        w.serialize(row).map_err(csv_err)?;
    }
    w.flush().map_err(|source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    })
}
