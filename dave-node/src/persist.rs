//! Keeps the backup log in step with the node: every persist and forget event is appended at
//! once; fsync runs on its interval; the log is compacted from the node's store when it has grown
//! past its live content; a failed append is repaired by a compaction instead of killing the node.

use std::path::Path;
use std::time::{Duration, Instant};

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
    /// After a failed compaction, when to try again.
    retry_at: Option<Instant>,
}

/// Wait between attempts after a failed compaction (a full disk rarely clears in milliseconds).
pub const COMPACTION_RETRY: Duration = Duration::from_secs(10);

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
            retry_at: None,
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

    /// Periodic work: compact when worthwhile or after a failed append, fsync when due.
    ///
    /// A failed compaction is not fatal: the old log is intact (the rewrite is atomic), so the
    /// node keeps serving and retries after [`COMPACTION_RETRY`]. A failed fsync is fatal: after
    /// one, the kernel may have dropped the dirty pages, and the log can no longer promise what
    /// it holds.
    pub fn maintain(&mut self, node: &Node, now: Instant) -> Result<(), LogError> {
        let due = self.diverged || self.backup.needs_compaction();
        if due && self.retry_at.is_none_or(|at| now >= at) {
            match self.backup.compact(node.records()) {
                Ok(()) => {
                    if self.diverged {
                        info!("backup rewritten from the store after a failed append");
                    }
                    self.diverged = false;
                    self.retry_at = None;
                }
                Err(e) => {
                    warn!(error = %e, "backup compaction failed; retrying later");
                    self.retry_at = Some(now + COMPACTION_RETRY);
                }
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
