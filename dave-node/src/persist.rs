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

    /// Size of the log file in bytes.
    pub fn file_len(&self) -> u64 {
        self.backup.file_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use dave_core::config::Config;
    use dave_core::crypto::DirectCrypto;
    use dave_core::dat::Dat;
    use ed25519_dalek::SigningKey;

    use crate::clock::Clock;

    fn node(clock: &Clock) -> Node {
        let config = Config {
            min_work: 4,
            ttl: Duration::from_secs(3600),
            ..Config::default()
        };
        Node::new(
            config,
            SigningKey::from_bytes(&[9; 32]),
            Vec::new(),
            [7; 32],
            Arc::new(DirectCrypto),
            clock.now(),
        )
    }

    #[test]
    fn restore_loads_valid_records_and_the_log_drops_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup");
        let clock = Clock::new();
        let now_ms = clock.now().as_millis();
        let writer = SigningKey::from_bytes(&[3; 32]);
        let fresh = Dat::new(&writer, b"fresh", b"v", now_ms, 4, 1, [1; 16]).unwrap();
        let expired = Dat::new(&writer, b"old", b"v", now_ms - 7_200_000, 4, 1, [2; 16]).unwrap();
        let mut forged = Dat::new(&writer, b"forged", b"v", now_ms, 4, 1, [3; 16]).unwrap();
        forged.val = b"changed after signing".to_vec();
        {
            let (mut backup, _) = Backup::open(&path, BackupOptions::default()).unwrap();
            for dat in [&fresh, &expired, &forged] {
                backup.persist(&dat.as_ref(), Instant::now()).unwrap();
            }
        }
        let mut node = node(&clock);
        let persister =
            Persister::open(&path, BackupOptions::default(), &mut node, clock.now()).unwrap();
        assert_eq!(node.record_count(), 1);
        assert!(node.holds(fresh.record_id()));
        assert_eq!(persister.live_records(), 1);
        drop(persister);
        let (_, recovery) = Backup::open(&path, BackupOptions::default()).unwrap();
        assert_eq!(recovery.records, vec![fresh]);
    }

    #[test]
    fn store_events_reach_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup");
        let clock = Clock::new();
        let mut node = node(&clock);
        let mut persister =
            Persister::open(&path, BackupOptions::default(), &mut node, clock.now()).unwrap();
        let writer = SigningKey::from_bytes(&[4; 32]);
        let now_ms = clock.now().as_millis();
        let a = Dat::new(&writer, b"a", b"1", now_ms, 4, 1, [1; 16]).unwrap();
        let b = Dat::new(&writer, b"b", b"2", now_ms, 4, 1, [2; 16]).unwrap();
        let now = Instant::now();
        persister.on_event(&Event::Persist(a.clone()), now);
        persister.on_event(&Event::Persist(b.clone()), now);
        persister.on_event(&Event::Forget(a.record_id()), now);
        persister.maintain(&node, now).unwrap();
        persister.close(&node).unwrap();
        let (_, recovery) = Backup::open(&path, BackupOptions::default()).unwrap();
        assert_eq!(recovery.records, vec![b]);
    }
}
