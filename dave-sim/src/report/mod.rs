//! Reports: PNG charts with theory overlays, `report.md`, sweep charts and pcap output
//! (docs/simulator.md "The report" and "Sweeps"; issue 5). The report only draws what a
//! run or a sweep produced: running sweeps is `crate::sweep`'s job, which hands its charts over
//! as plain [`sweep_chart::SweepCharts`].
//!
//! The module is fed plain data ([`ReportInput`]) rather than simulator internals, so charts
//! and sentences are testable with synthetic data and the simulator can change its internals
//! without touching drawing code; `from_run` is the one adapter from a run's output.
//! [`write_report`] renders everything into a folder.

pub mod chart;
pub mod eclipse;
pub mod from_run;
pub mod join;
pub mod lookups;
pub mod markdown;
pub mod pcap;
pub mod propagation;
pub mod reliability;
pub mod stats;
pub mod storage;
pub mod sweep_chart;
pub mod theory;
pub mod traffic;

use std::path::{Path, PathBuf};

pub use chart::ChartMeta;
pub use eclipse::{EclipseData, VictimSeries};
pub use join::JoinData;
pub use lookups::{HopModel, LookupData, LookupRow};
pub use markdown::{ExpectationRow, TheoryRow};
pub use propagation::{GossipModel, PropagationData};
pub use reliability::{LiarDetection, ReliabilityData, ReliabilitySnapshot};
pub use storage::StorageData;
pub use traffic::{OpSeries, TrafficData, TrafficPoint};

/// Everything wrong that can happen while writing a report, a sweep or a pcap file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be created, written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The embedded font could not be registered with plotters.
    #[error("the embedded DejaVu font could not be registered with plotters")]
    Font,
    /// Plotters failed to draw or encode a chart.
    #[error("drawing {path}: {message}")]
    Draw {
        /// The chart file.
        path: PathBuf,
        /// Plotters' error message.
        message: String,
    },
    /// A CSV file could not be written or read.
    #[error("{path}: {source}")]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The underlying error.
        source: csv::Error,
    },
    /// A pcap file could not be written.
    #[error("pcap: {0}")]
    Pcap(String),
    /// A sweep was asked for something inconsistent (bad `--param`, `--shard`, or shards that
    /// do not belong together); the message says what.
    #[error("sweep: {0}")]
    Sweep(String),
    /// A scenario run inside a sweep failed.
    #[error("sweep run {point} seed {seed}: {message}")]
    Run {
        /// The grid point, as `path=value` pairs.
        point: String,
        /// The seed of the failed run.
        seed: u64,
        /// What the runner reported.
        message: String,
    },
}

impl ReportError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> ReportError {
        ReportError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// All the data a run's report shows. Every field may be empty: its charts then carry a "no data"
/// note and report.md says so, so the set of files never depends on the scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportInput {
    /// Scenario name and seed, printed on every chart.
    pub meta: ChartMeta,
    /// Record spread after writes.
    pub propagation: PropagationData,
    /// GET lookups.
    pub lookups: LookupData,
    /// Scores honest nodes hold of honest and adversarial peers.
    pub reliability: ReliabilityData,
    /// Attackers' share of victims' tables.
    pub eclipse: EclipseData,
    /// Datagrams and bytes by op, and drops by reason.
    pub traffic: TrafficData,
    /// Where records are held relative to the holder.
    pub storage: StorageData,
    /// Peer table growth after a start, and join times.
    pub join: JoinData,
    /// The scenario's expectations and whether the run met them.
    pub expectations: Vec<ExpectationRow>,
    /// Shell command that reproduces this run.
    pub reproduce_command: String,
}

/// One chart of a report: file name, title and the computed sentence report.md prints under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartEntry {
    /// File name inside the report folder.
    pub file: &'static str,
    /// Heading in report.md.
    pub heading: &'static str,
    /// What the chart shows for this run, computed from the data.
    pub sentence: String,
}

/// File name of the markdown report.
pub const REPORT_MD: &str = "report.md";
/// File name of the theory-against-measurement table ([`TheoryRow`]s; `null` where the run has
/// no measurement), for scripts that compare many runs with the models.
pub const THEORY_JSON: &str = "theory.json";

/// Renders every chart, `theory.json` and `report.md` into `dir` (created if missing) and
/// returns the paths written, charts first.
pub fn write_report(input: &ReportInput, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let meta = &input.meta;
    let mut written = Vec::new();
    let mut entries = Vec::new();
    // Charts only attacks fill are left out, file and report.md entry, when the run has no
    // data for them (issue 9): an empty attack chart in every honest run says nothing.
    let skip = |file: &str| match file {
        "eclipse.png" => input.eclipse.victims.iter().all(|v| v.points.is_empty()),
        "liar_detection.png" => input.reliability.detection.is_none(),
        _ => false,
    };
    let mut add = |file: &'static str,
                   heading: &'static str,
                   sentence: String,
                   render: &dyn Fn(&Path) -> Result<(), ReportError>|
     -> Result<(), ReportError> {
        if skip(file) {
            return Ok(());
        }
        let path = dir.join(file);
        render(&path)?;
        written.push(path);
        entries.push(ChartEntry {
            file,
            heading,
            sentence,
        });
        Ok(())
    };
    add(
        "propagation.png",
        "Propagation",
        propagation::sentence(&input.propagation),
        &|p| propagation::render(p, meta, &input.propagation),
    )?;
    add(
        "lookups_success.png",
        "GET success over time",
        lookups::success_sentence(&input.lookups),
        &|p| lookups::render_success(p, meta, &input.lookups),
    )?;
    add(
        "lookups_latency.png",
        "GET latency",
        lookups::latency_sentence(&input.lookups),
        &|p| lookups::render_latency(p, meta, &input.lookups),
    )?;
    add(
        "lookups_hops.png",
        "Lookup hops",
        lookups::hops_sentence(&input.lookups),
        &|p| lookups::render_hops(p, meta, &input.lookups),
    )?;
    add(
        "reliability.png",
        "Reliability scores",
        reliability::sentence(&input.reliability),
        &|p| reliability::render(p, meta, &input.reliability),
    )?;
    add(
        "liar_detection.png",
        "Liar detection",
        reliability::detection_sentence(&input.reliability),
        &|p| reliability::render_detection(p, meta, &input.reliability),
    )?;
    add(
        "eclipse.png",
        "Eclipse",
        eclipse::sentence(&input.eclipse),
        &|p| eclipse::render(p, meta, &input.eclipse),
    )?;
    add(
        "traffic.png",
        "Traffic by op",
        traffic::sentence(&input.traffic),
        &|p| traffic::render(p, meta, &input.traffic),
    )?;
    add(
        "drops.png",
        "Drops by reason",
        traffic::drops_sentence(&input.traffic),
        &|p| traffic::render_drops(p, meta, &input.traffic),
    )?;
    add(
        "storage.png",
        "Storage by distance",
        storage::sentence(&input.storage),
        &|p| storage::render(p, meta, &input.storage),
    )?;
    add("join.png", "Join", join::sentence(&input.join), &|p| {
        join::render(p, meta, &input.join)
    })?;
    let theory_path = dir.join(THEORY_JSON);
    let theory = serde_json::to_string_pretty(&markdown::theory_rows(input)).map_err(|e| {
        ReportError::Io {
            path: theory_path.clone(),
            source: e.into(),
        }
    })?;
    std::fs::write(&theory_path, theory + "\n").map_err(|e| ReportError::io(&theory_path, e))?;
    written.push(theory_path);
    let md_path = dir.join(REPORT_MD);
    let md = markdown::render(input, &entries);
    std::fs::write(&md_path, md).map_err(|e| ReportError::io(&md_path, e))?;
    written.push(md_path);
    Ok(written)
}
