//! Keeps the backup log in step with the node: every persist and forget event is appended at
//! once; fsync runs on its interval; the log is compacted from the node's store when it has grown
//! past its live content; a failed append is repaired by a compaction instead of killing the node.

use std::path::Path;
use std::time::Instant;

use dave_core::event::Event;
use dave_core::node::Node;
use dave_core::time::Time;
use tracing::{error, info, warn};

use crate::backup::{Backup, BackupOptions, LogError};

/// The backup of a running node.
pub struct Persister {
    backup: Backup,
    /// An append failed: the log no longer matches the store until a compaction rewrites it.
    diverged: bool,
}

impl Persister {
    /// Opens the backup at `path`, reports what recovery found, and loads the records into
    /// `node` (which re-verifies each one). The log is then compacted from the node's store, so
    /// it holds exactly what the node accepted: refused records do not linger, and a damaged
    /// tail (already set aside) is gone from the live file.
    pub fn open(
        path: &Path,
        options: BackupOptions,
        node: &mut Node,
        now: Time,
    ) -> Result<Persister, LogError> {
        let (mut backup, recovery) = Backup::open(path, options)?;
        if let Some(damage) = &recovery.damage {
            warn!(
                file = %path.display(),
                offset = damage.offset,
                bytes = damage.bytes,
                reason = %damage.kind,
                saved_to = %damage.saved_to.display(),
                "backup had a damaged tail: {} bytes at offset {} set aside in {}",
                damage.bytes,
                damage.offset,
                damage.saved_to.display()
            );
        }
        if recovery.undecodable > 0 {
            warn!(
                count = recovery.undecodable,
                "backup entries with a valid checksum but an undecodable body were skipped"
            );
        }
        let found = recovery.records.len();
        let report = node.restore(now, recovery.records);
        info!(
            file = %path.display(),
            entries = recovery.entries,
            records = found,
            ?report,
            "backup restored"
        );
        backup.compact(node.records())?;
        Ok(Persister {
            backup,
            diverged: false,
        })
    }

    /// Appends what a store event says. Other events are ignored.
    pub fn on_event(&mut self, event: &Event, now: Instant) {
        let result = match event {
            Event::Persist(dat) => self.backup.persist(&dat.as_ref(), now),
            Event::Forget(id) => self.backup.forget(*id, now),
            _ => return,
        };
        if let Err(e) = result {
            if !self.diverged {
                error!(error = %e, "backup append failed; will rewrite the backup from the store");
            }
            self.diverged = true;
        }
    }

    /// Periodic work: fsync when due, compact when worthwhile or after a failed append.
    pub fn maintain(&mut self, node: &Node, now: Instant) -> Result<(), LogError> {
        if self.diverged || self.backup.needs_compaction() {
            match self.backup.compact(node.records()) {
                Ok(()) => {
                    if self.diverged {
                        info!("backup rewritten from the store after a failed append");
                    }
                    self.diverged = false;
                }
                // Keep running: the store is intact; retry at the next turn.
                Err(e) if self.diverged => warn!(error = %e, "backup rewrite failed"),
                Err(e) => return Err(e),
            }
        }
        self.backup.sync_if_due(now)
    }

    /// When [`Persister::maintain`] next has work, if any is pending.
    pub fn deadline(&self) -> Option<Instant> {
        self.backup.sync_deadline()
    }

    /// Final fsync at shutdown.
    pub fn close(mut self, node: &Node) -> Result<(), LogError> {
        if self.diverged {
            self.backup.compact(node.records())?;
        }
        self.backup.sync()
    }

    /// Records the log holds.
    pub fn live_records(&self) -> usize {
        self.backup.live_records()
    }
}
