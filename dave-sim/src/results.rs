//! Writes a run's files (docs/simulator.md §"The report"): `summary.json`, `timing.json`,
//! `timeseries.csv`, `records.csv`, `replicas.csv`, `lookups.csv`, `peers.csv`, `joins.csv`.
//!
//! Every CSV is tidy (docs/simulator.md §"CSV files"): one header row of unique names, one value
//! per cell, numbers or an empty cell for a missing number, so `pandas.read_csv(path)` with no
//! options gives typed columns. `tests/csv_shape.rs` enforces it on a real run's files.

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
    let replicas: Vec<_> = output
        .records
        .iter()
        .flat_map(|r| r.replica_rows())
        .collect();
    write_csv(&dir.join("replicas.csv"), &replicas)?;
    write_csv(&dir.join("lookups.csv"), &output.lookups)?;
    write_csv(&dir.join("peers.csv"), &output.peers)?;
    write_csv(&dir.join("joins.csv"), &output.joins)?;
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

/// Writes `rows` with a header row; a file without rows still gets its header (taken from a
/// default row), so that every CSV a run writes loads as a table with named columns.
fn write_csv<T: Serialize + Default>(path: &Path, rows: &[T]) -> Result<(), ResultsError> {
    let csv_err = |source| ResultsError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let io_err = |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    };
    if rows.is_empty() {
        let mut probe = csv::Writer::from_writer(Vec::new());
        probe.serialize(T::default()).map_err(csv_err)?;
        let text = probe
            .into_inner()
            .map_err(|e| io_err(std::io::Error::other(e.to_string())))?;
        let header = text.split(|&b| b == b'\n').next().unwrap_or_default();
        return fs::write(path, [header, b"\n"].concat()).map_err(io_err);
    }
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    for row in rows {
        w.serialize(row).map_err(csv_err)?;
    }
    w.flush().map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::collector::LookupRow;

    #[test]
    fn a_file_without_rows_keeps_its_header() {
        let dir = std::env::temp_dir().join(format!("dave-sim-results-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lookups.csv");
        write_csv::<LookupRow>(&path, &[]).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "time_s,node,kind,record,finished,success,latency_ms,hops,queries\n"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
