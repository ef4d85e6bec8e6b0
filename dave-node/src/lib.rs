//! `dave-node`: the Dave protocol core (`dave_core::Node`) driven over real UDP sockets and the
//! system clock, with a crash-safe backup file (issue 6).
//!
//! - [`backup`]: the append-only backup log of the store (persist/forget), recovery, compaction.
//! - [`keyfile`]: the node's Ed25519 key on disk.
//! - [`clock`]: Unix-epoch time that never goes backwards.

pub mod backup;
pub mod clock;
pub mod keyfile;
