//! dave-sim: a deterministic discrete-event simulator of Dave networks (SIMULATOR.md).
//!
//! Layout, in the order a datagram meets it: `scenario` (the JSON format), `sim` (the
//! scenario runner and the host adapters, `sim::dave_host` runs `dave_core::Node`), `engine`
//! (event queue, random streams, trace hash, the host interface), `network` (addresses,
//! latency, loss, bandwidth, topology, partitions, clocks), `crypto_memo` (memoized signature
//! checks), `metrics` (named measures), `results` (files written), `sweep` (parameter
//! grids, shards, merges), `report` (charts, report.md, pcap), `cli` and `bench` (the command line).

pub mod adversary;
pub mod bench;
pub mod cli;
pub mod crypto_memo;
pub mod engine;
pub mod metrics;
pub mod network;
pub mod report;
pub mod results;
pub mod scenario;
pub mod sim;
pub mod sweep;
