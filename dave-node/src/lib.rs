//! `dave-node`: the Dave protocol core (`dave_core::node::Node`) driven over real UDP sockets and
//! the system clock, with a crash-safe backup file (issue 6).
//!
//! - [`cli`]: subcommands and flags; [`error`]: failures and exit codes.
//! - [`run`]: the long-running node; [`client`]: one-shot `put` and `get`; [`bench`]: the
//!   loopback throughput and CPU benchmark.
//! - [`driver`]: the event loop around the sans-IO node; [`socket`]: the UDP socket and its wait;
//!   [`clock`]: Unix-epoch time that never goes backwards.
//! - [`backup`]: the append-only backup log (persist/forget), recovery, compaction;
//!   [`persist`]: keeps it in step with a running node.
//! - [`keyfile`]: the node's Ed25519 key on disk; [`status`]: log lines for the operator.

pub mod backup;
pub mod bench;
pub mod cli;
pub mod client;
pub mod clock;
pub mod driver;
pub mod error;
pub mod keyfile;
pub mod persist;
pub mod run;
pub mod socket;
pub mod status;
