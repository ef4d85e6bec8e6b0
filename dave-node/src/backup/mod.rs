//! Crash-safe backup of the node's store (issue 6; PROTOCOL.md §7 "persist"/"forget" outputs and
//! §12, the backup bugs this design fixes).
//!
//! [`frame`] is the byte layout, [`log`] the file with recovery, fsync and compaction.

pub mod frame;
pub mod log;
