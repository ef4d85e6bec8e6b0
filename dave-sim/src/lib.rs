//! dave-sim: a deterministic discrete-event simulator of Dave networks (docs/simulator.md).
//!
//! Layout, in the order a datagram meets it: `scenario` (the JSON format), `sim` (the
//! scenario runner: one driver per job, and the host adapters; `sim::dave_host` runs
//! `dave_core::Node`), `adversary` (attacker hosts, plugged in as one more driver), `engine`
//! (event queue, random streams, trace hash, the host interface), `network` (addresses,
//! latency, loss, bandwidth, topology, partitions, clocks), `crypto_model` (the
//! scenario's choice of real or modeled signatures), `crypto_memo` (memoized ed25519 checks),
//! `metrics` (named measures), `results` (files written), `sweep` (parameter
//! grids, shards, merges), `report` (charts, report.md, pcap: it only draws), `cli`,
//! `progress`, `bench` and `bench_scale` (the command line), `check` (regression testing for CI).

pub mod adversary;
pub mod bench;
pub mod bench_scale;
pub mod check;
pub mod cli;
pub mod crypto_memo;
pub mod crypto_model;
pub mod engine;
pub mod huge_pages;
pub mod metrics;
pub mod network;
pub mod progress;
pub mod report;
pub mod results;
pub mod scenario;
pub mod sim;
pub mod sweep;
