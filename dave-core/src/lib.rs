//! # dave-core — the Dave protocol as a sans-IO state machine
//!
//! Dave is a peer-to-peer key-value store over UDP (see `docs/protocol.md`). This crate holds the whole
//! protocol and nothing else: no sockets, threads, clocks or files. Drivers (the simulator, the
//! real UDP node) feed it datagrams and time and drain what it wants sent.
//!
//! Layers, bottom up:
//! - [`time`]: the driver-supplied clock value ([`time::Time`]).
//! - [`hash`]: domain-separated BLAKE3 (`H(context, …)`) and leading-zero counting (§1).
//! - [`id`]: [`id::NodeId`], [`id::RecordId`] and XOR distance (§2).
//! - [`crypto`]: the [`crypto::Crypto`] provider trait (sign, verify, check work).
//! - [`dat`]: signed, proof-of-work records and their acceptance rules (§3).
//! - [`addr`]: the 18-byte address codec, network groups, routability (§4, §5).
//! - [`wire`]: the datagram codec for every message (§4).
//! - [`config`]: every constant of §11, with the spec's defaults.
//! - [`store`]: 256 shards with retention-key min-heaps, eviction, versions, expiry (§7).
//! - [`peers`]: k-buckets, candidates, group limits, test-before-evict, reliability (§5, §9).
//! - [`event`]: what a node reports to its driver (§10).
//! - `keyed_map`: seeded hash maps for lookups by address or id, never iterated in order.
//! - `slot_index`: the peer table's compact index from address or NodeId to slab slot.
//! - [`node`]: [`node::Node`], the state machine that ties them together (§5–§10).

pub mod addr;
pub mod config;
pub mod crypto;
pub mod dat;
pub mod event;
pub mod hash;
pub mod id;
mod keyed_map;
pub mod node;
pub mod peers;
mod slot_index;
pub mod store;
pub mod time;
mod timer;
pub mod wire;
