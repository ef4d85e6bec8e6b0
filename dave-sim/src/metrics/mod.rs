//! Metrics of a run (docs/simulator.md §"Metrics").

pub mod collector;
pub mod names;
pub mod stats;
