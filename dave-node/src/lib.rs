//! `dave-node`: the Dave protocol core (`dave_core::node::Node`) driven over real UDP sockets and
//! the system clock, with a crash-safe backup file (issue 6).
//!
//! # Commands
//! ```text
//! dave-node keygen [--out FILE] [--force]          # hex Ed25519 seed, mode 0600; prints the pubkey
//! dave-node run --listen ADDR [--edge ADDR]... --key FILE [--backup FILE]
//!               [--shard-capacity BYTES] [--sync-every-ms MS] [--status-every SECS]
//!               [--min-work BITS] [--time-scale N] [--metrics ADDR] [--verify-workers N]
//! dave-node put --edge ADDR --key FILE KEY VALUE [--work BITS] [--timeout SECS] [--listen ADDR]
//! dave-node get --edge ADDR PUBKEY KEY [--timeout SECS] [--listen ADDR]
//! dave-node bench [--mode get|put] [--verify-workers N,...] [--seconds S] [--records N]
//!                 [--value-bytes B] [--in-flight N] [--clients N]
//! ```
//! Exit codes: 0 success (`get`: found), 1 not found / not written / no answer, 2 bad input,
//! 3 failure while running. Logs go to stderr, filtered by `RUST_LOG` (default `info`); `run`
//! prints `status peers=… active=… records=… bytes=…` every `--status-every` seconds.
//!
//! # Threads
//! The state machine runs on one thread. `--verify-workers N` (default: one per core, none on
//! a single core; 0 = none) adds an intake thread that reads the socket and N workers that verify incoming
//! records' signatures before the node's thread takes the datagram, in arrival order; the
//! node's crypto provider reads their results from a bounded cache and verifies itself on a
//! miss. See [`verify`] and [`verify::pipeline`] for the ordering and overload rules.
//!
//! # Backup file
//! An append-only log of the store's persist and forget outputs (docs/protocol.md §7), laid out in
//! [`backup::frame`]: a 12-byte header (`"DAVE-BAK"`, version `u32` = 1), then entries
//! `len u32 ‖ crc32 u32 ‖ kind u8 ‖ body`, the CRC covering the length and the payload. A persist
//! body is the record's wire encoding (a PUT body, §4); a forget body is the RecordId (`u64` LE).
//! Recovery, fsync and compaction rules are in [`backup::log`].
//!
//! # Modules
//! - [`cli`]: subcommands and flags; [`error`]: failures and exit codes.
//! - [`run`]: the long-running node; [`client`]: one-shot `put` and `get`; [`bench`](mod@bench): the
//!   loopback throughput and CPU benchmark.
//! - [`driver`]: the event loop around the sans-IO node; [`socket`]: the UDP socket and its wait;
//!   [`clock`]: Unix-epoch time that never goes backwards.
//! - [`backup`]: the append-only backup log (persist/forget), recovery, compaction;
//!   [`persist`]: keeps it in step with a running node.
//! - [`keyfile`]: the node's Ed25519 key on disk; [`status`]: log lines for the operator;
//!   [`metrics`]: the optional Prometheus endpoint.
//! - [`platform`]: file modes, file identity and thread CPU time, per platform.
//! - [`verify`]: record signatures verified on worker threads ahead of the node
//!   (`--verify-workers`), through a cache that is the node's crypto provider.

pub mod backup;
pub mod bench;
pub mod cli;
pub mod client;
pub mod clock;
pub mod driver;
pub mod error;
pub mod keyfile;
pub mod metrics;
pub mod persist;
pub mod platform;
pub mod run;
pub mod socket;
pub mod status;
pub mod verify;
