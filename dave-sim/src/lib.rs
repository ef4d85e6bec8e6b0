//! dave-sim: a deterministic discrete-event simulator of Dave networks (SIMULATOR.md).
//!
//! Layout: `scenario` (the JSON format), `engine` (event queue, random streams, trace hash,
//! the host interface), `network` (addresses, latency, loss, bandwidth, topology, partitions,
//! clocks), `metrics` (named measures), `results` (files written), `cli` (the command line).

pub mod engine;
pub mod metrics;
pub mod network;
pub mod report;
pub mod scenario;
pub mod crypto_memo;
pub mod results;
pub mod sim;
pub mod bench;
pub mod cli;
