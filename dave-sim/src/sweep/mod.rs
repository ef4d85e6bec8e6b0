//! Parameter sweeps: a grid of scenario parameter values × seeds, run in parallel, sliced into
//! shards for clusters, merged back, and aggregated into mean and 95 % confidence interval per
//! metric against the swept parameter (SIMULATOR.md "Sweeps and scale"; issue 5).
//!
//! # Determinism
//! Runs are numbered `point × seeds + seed index`, with the grid enumerated in `--param` order
//! (first parameter outermost). Results are stored by run number, whatever thread finished first,
//! and aggregates sum over seeds in seed order, so the output bytes do not depend on `--jobs`, on
//! `--shard`, or on the order in which `--merge` reads its folders. Floats are written in Rust's
//! shortest round-trip form, so a merge that re-reads `runs.csv` recovers every bit and writes an
//! `aggregate.csv` identical to that of one big run. Wall-clock metrics ([`WALL_CLOCK_METRICS`])
//! are left out of sweep outputs for that reason.
//!
//! # Seeds
//! `--seeds N` runs seeds `base, base+1, …, base+N−1`, where `base` is the scenario's own `seed`
//! (1 if it has none), so `dave-sim run FILE --seed S --set path=value` reproduces any sweep run.
//!
//! # Spreading a sweep over a cluster (Slurm job array)
//! Shard `i/n` (0-based, `0 ≤ i < n`) runs the runs whose number is `i` modulo `n`, so slow and
//! fast grid points spread evenly:
//! ```sh
//! #SBATCH --array=0-31
//! dave-sim sweep eclipse.json --param attack.addresses=10,100,1000 --seeds 20 \
//!     --shard ${SLURM_ARRAY_TASK_ID}/32 --out sweep/shard-${SLURM_ARRAY_TASK_ID}
//! # after the array finishes (e.g. a job with --dependency=afterok:<array job id>):
//! dave-sim sweep --merge sweep/shard-* --out sweep/all
//! ```
//!
//! # Layout
//! [`plan`] (grid, seeds, shards), [`run`] (running a shard on threads, merging shard folders),
//! [`files`] (`sweep.json`, `runs.csv`, `aggregate.csv`), [`chart_data`] (what the sweep charts
//! show, handed to `report::sweep_chart` to draw) and [`cli`] (`dave-sim sweep`).

pub mod chart_data;
pub mod cli;
pub mod files;
pub mod plan;
pub mod run;

pub use files::{AggregateRow, Manifest, Metrics, RunResult, aggregate};
pub use plan::{RunKey, Shard, SweepParam, SweepPlan, scenario_at};
pub use run::{SweepOutcome, SweepRun, merge, run_shard, run_sweep};

/// Per-run raw results.
pub const RUNS_CSV: &str = "runs.csv";
/// Mean and confidence interval per grid point and metric.
pub const AGGREGATE_CSV: &str = "aggregate.csv";
/// What the folder holds: scenario digest, grid, seeds, shard.
pub const MANIFEST: &str = "sweep.json";
/// Version of the manifest and CSV layout; merge refuses other versions.
const FORMAT_VERSION: u32 = 1;

/// Metrics that measure the machine rather than the simulation. They differ between two runs of
/// the same (scenario, seed), so they would break the byte-equality of merged and unsharded
/// sweeps; sweeps drop them.
pub const WALL_CLOCK_METRICS: [&str; 4] = [
    "wall_s",
    "events_per_wall_s",
    "datagrams_per_wall_s",
    "peak_rss_bytes",
];
