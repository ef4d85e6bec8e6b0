//! Crash-safe backup of the node's store (issue 6; docs/protocol.md §7's persist and forget outputs,
//! and §12: "the backup compaction wrote wrong length prefixes and a crash lost the unflushed
//! tail").
//!
//! - [`frame`]: the byte layout (file header, length- and CRC-framed entries); pure, no I/O.
//! - [`log`]: the file: recovery of a torn tail on open, unbuffered appends, fsync, atomic
//!   compaction.
//! - this module, [`Backup`]: the store's view: persist a record, forget a record id, decide when
//!   to fsync and when to compact.
//!
//! A persist entry's body is the record's wire encoding (the body of a PUT, §4); a forget entry's
//! body is the 8-byte little-endian RecordId. Records read back are *not* trusted: the driver hands
//! them to `Node::restore`, which re-verifies each against §3 (signature, work, expiry).

pub mod frame;
pub mod log;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use dave_core::dat::{Dat, DatRef};
use dave_core::id::RecordId;
use dave_core::wire::{self, MAX_DATAGRAM};

pub use frame::{DamageKind, EntryKind};
pub use log::{DamageReport, LogError};

/// When to fsync and when to compact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupOptions {
    /// Longest time an appended entry may wait for fsync. Appends reach the kernel at once, so
    /// this bounds loss on power failure only; a killed process loses nothing.
    pub sync_every: Duration,
    /// The log is not compacted while it is smaller than this.
    pub compact_min_bytes: u64,
    /// Compact once the log is this many times larger than its live entries would be.
    pub compact_ratio: u64,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions {
            sync_every: Duration::from_secs(1),
            compact_min_bytes: 1 << 20,
            compact_ratio: 2,
        }
    }
}

/// What opening a backup found.
#[derive(Debug)]
pub struct Recovery {
    /// The live records, in RecordId order: the last persisted version of each record that was
    /// not forgotten afterwards. Not yet verified.
    pub records: Vec<Dat>,
    /// Valid entries read from the file.
    pub entries: usize,
    /// Entries whose checksum was good but whose body did not decode (a persist that is not a
    /// record, a forget that is not 8 bytes). Counted and logged, then left out.
    pub undecodable: usize,
    /// A damaged tail, set aside and cut off.
    pub damage: Option<DamageReport>,
}

/// The node's backup log: appends every store change, fsyncs on an interval, compacts when the
/// log has grown well past its live content.
#[derive(Debug)]
pub struct Backup {
    log: log::LogFile,
    options: BackupOptions,
    /// Framed size of each live record's persist entry: enough to know the compacted size
    /// without keeping a second copy of the store in memory.
    live: BTreeMap<RecordId, u64>,
    live_bytes: u64,
    /// When the oldest unsynced append was made.
    dirty_since: Option<Instant>,
    scratch: Box<[u8; MAX_DATAGRAM]>,
}

impl Backup {
    /// Opens or creates the backup at `path` and reads back its live records (see [`Recovery`]).
    pub fn open(path: &Path, options: BackupOptions) -> Result<(Backup, Recovery), LogError> {
        let mut latest: BTreeMap<RecordId, Dat> = BTreeMap::new();
        let mut undecodable = 0;
        let opened = log::LogFile::open(path, |kind, body| match kind {
            EntryKind::Persist => match wire::decode_dat_body(body) {
                Ok(dat) => {
                    latest.insert(dat.record_id(), dat.to_owned_dat());
                }
                Err(_) => undecodable += 1,
            },
            EntryKind::Forget => match <[u8; 8]>::try_from(body) {
                Ok(id) => {
                    latest.remove(&RecordId(u64::from_le_bytes(id)));
                }
                Err(_) => undecodable += 1,
            },
        })?;
        let live: BTreeMap<RecordId, u64> = latest
            .iter()
            .map(|(id, dat)| (*id, frame::framed_len(dat.encoded_len()) as u64))
            .collect();
        let live_bytes = live.values().sum();
        let records = latest.into_values().collect();
        let recovery = Recovery {
            records,
            entries: opened.entries,
            undecodable,
            damage: opened.damage,
        };
        let backup = Backup {
            log: opened.log,
            options,
            live,
            live_bytes,
            dirty_since: None,
            scratch: Box::new([0; MAX_DATAGRAM]),
        };
        Ok((backup, recovery))
    }

    /// Records that the store now holds `dat` (replacing any older version of it).
    pub fn persist(&mut self, dat: &DatRef<'_>, now: Instant) -> Result<(), LogError> {
        let len = wire::encode_dat_body(dat, &mut self.scratch[..]).map_err(|_| {
            LogError::EntryTooLarge {
                len: dat.encoded_len(),
            }
        })?;
        self.log.append(EntryKind::Persist, &self.scratch[..len])?;
        let framed = frame::framed_len(len) as u64;
        if let Some(old) = self.live.insert(dat.record_id(), framed) {
            self.live_bytes -= old;
        }
        self.live_bytes += framed;
        self.dirty_since.get_or_insert(now);
        Ok(())
    }

    /// Records that the store no longer holds record `id`. Forgetting a record the backup does
    /// not hold writes nothing.
    pub fn forget(&mut self, id: RecordId, now: Instant) -> Result<(), LogError> {
        let Some(old) = self.live.remove(&id) else {
            return Ok(());
        };
        self.live_bytes -= old;
        self.log.append(EntryKind::Forget, &id.0.to_le_bytes())?;
        self.dirty_since.get_or_insert(now);
        Ok(())
    }

    /// When the next interval fsync is due, if anything waits for one.
    pub fn sync_deadline(&self) -> Option<Instant> {
        self.dirty_since.map(|t| t + self.options.sync_every)
    }

    /// Fsyncs if the interval has passed since the oldest unsynced append.
    pub fn sync_if_due(&mut self, now: Instant) -> Result<(), LogError> {
        match self.sync_deadline() {
            Some(deadline) if deadline <= now => self.sync(),
            _ => Ok(()),
        }
    }

    /// Fsyncs now (on demand, e.g. at shutdown).
    pub fn sync(&mut self) -> Result<(), LogError> {
        self.log.sync()?;
        self.dirty_since = None;
        Ok(())
    }

    /// Whether the log has grown enough past its live content to be worth rewriting.
    pub fn needs_compaction(&self) -> bool {
        let len = self.log.len();
        let compacted = frame::HEADER_LEN as u64 + self.live_bytes;
        len >= self.options.compact_min_bytes
            && len > compacted.saturating_mul(self.options.compact_ratio)
    }

    /// Rewrites the log to hold exactly `records`, atomically.
    ///
    /// The caller passes the store's actual contents rather than this log's idea of them, so a
    /// compaction also drops records the node refused on restore (expired, invalid) and can never
    /// resurrect what the store no longer has.
    pub fn compact<'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a Dat>,
    ) -> Result<(), LogError> {
        let mut bodies = Vec::new();
        let mut live = BTreeMap::new();
        let mut live_bytes = 0;
        for dat in records {
            let dat = dat.as_ref();
            let mut body = vec![0u8; dat.encoded_len()];
            let len =
                wire::encode_dat_body(&dat, &mut body).map_err(|_| LogError::EntryTooLarge {
                    len: dat.encoded_len(),
                })?;
            body.truncate(len);
            let framed = frame::framed_len(len) as u64;
            if let Some(old) = live.insert(dat.record_id(), framed) {
                live_bytes -= old;
            }
            live_bytes += framed;
            bodies.push(body);
        }
        self.log
            .rewrite(bodies.iter().map(|b| (EntryKind::Persist, b.as_slice())))?;
        self.live = live;
        self.live_bytes = live_bytes;
        self.dirty_since = None;
        Ok(())
    }

    /// Records the log holds.
    pub fn live_records(&self) -> usize {
        self.live.len()
    }

    /// Current size of the log file in bytes.
    pub fn file_len(&self) -> u64 {
        self.log.len()
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        self.log.path()
    }
}

#[cfg(test)]
mod tests;
