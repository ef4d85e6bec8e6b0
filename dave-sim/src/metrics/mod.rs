//! Metrics of a run (SIMULATOR.md §"Metric names").

pub mod collector;
pub mod names;
pub mod stats;
