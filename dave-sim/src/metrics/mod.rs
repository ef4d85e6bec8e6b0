//! Metrics of a run (docs/simulator.md §"Metrics").

pub mod collector;
pub mod join;
pub mod names;
pub mod stats;
