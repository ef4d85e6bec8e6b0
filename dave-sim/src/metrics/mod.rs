//! Metrics of a run (SIMULATOR.md §"Metric names").

pub mod names;
