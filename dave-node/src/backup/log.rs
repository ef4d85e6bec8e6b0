//! The backup log on disk: recovery on open, appends, fsync, and atomic compaction.
//!
//! Crash model (the fix for docs/protocol.md §12, "the backup compaction wrote wrong length prefixes
//! and a crash lost the unflushed tail"):
//! - Each entry is handed to the kernel with one `write` as soon as it is appended; nothing waits
//!   in a user-space buffer, so killing the process (even with SIGKILL) loses nothing. `fsync`
//!   runs on the owner's interval and on demand, bounding what a power loss can take.
//! - A write cut short leaves a torn tail. On open every complete, checksummed entry is kept; the
//!   rest of the file is copied aside to `FILE.corrupt-<unix seconds>`, reported with its offset
//!   and length, and only then cut off, so later appends land after the last good entry.
//! - Compaction writes the live entries to `FILE.compact-tmp`, fsyncs it, renames it over `FILE`
//!   and fsyncs the directory. A crash before the rename leaves the old file whole (the temp file
//!   is deleted on the next open); after it, the new file is complete.
//! - One writer only: the log is `flock`ed while open (the new file is locked before it is
//!   renamed into place), so a second node pointed at the same file is refused rather than
//!   interleaving its entries.

use crate::platform::owner_only;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::frame::{self, DamageKind, EntryKind, HeaderCheck};

/// Why the backup log could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A file operation failed.
    #[error("backup file {path}: {op}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The file exists but does not start with the backup magic: refuse to touch it.
    #[error("{path} is not a dave backup file (bad magic); refusing to overwrite it")]
    NotABackup {
        /// The file.
        path: PathBuf,
    },
    /// Another process (or another open in this one) holds the log: two writers would
    /// interleave their entries.
    #[error("backup file {path} is in use by another process")]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// The file is a backup of a format version this build does not read.
    #[error("{path} is a dave backup file of unsupported version {version}")]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: u32,
    },
    /// An entry body is larger than the format allows.
    #[error("backup entry of {len} bytes exceeds the limit of {} bytes", frame::MAX_PAYLOAD - 1)]
    EntryTooLarge {
        /// The body length.
        len: usize,
    },
}

/// A damaged tail found on open: what it was, where, and where its bytes were kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamageReport {
    /// File offset of the first byte that is not part of a valid entry.
    pub offset: u64,
    /// How many bytes from `offset` to the end of the file were set aside.
    pub bytes: u64,
    /// Why parsing stopped there.
    pub kind: DamageKind,
    /// The copy of the damaged bytes (`FILE.corrupt-<unix seconds>`).
    pub saved_to: PathBuf,
}

/// An open backup log positioned for appends.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: File,
    /// Offset just past the last complete entry, which is also the file length.
    len: u64,
    /// Whether anything was written since the last fsync.
    dirty: bool,
    /// Reused frame buffer so that an append does not allocate.
    scratch: Vec<u8>,
}

/// Result of opening a log.
#[derive(Debug)]
pub struct Opened {
    /// The log, ready for appends.
    pub log: LogFile,
    /// Number of valid entries read.
    pub entries: usize,
    /// The damaged tail, if there was one.
    pub damage: Option<DamageReport>,
}

impl LogFile {
    /// Opens (or creates) the log at `path`, calling `visit` for every valid entry in file order.
    ///
    /// A damaged tail is copied aside, reported and cut off before this returns (see the module
    /// docs). A stale compaction temp file is removed. The log stays locked against other
    /// openers (see [`LogError::Locked`]) until it is dropped.
    pub fn open(path: &Path, mut visit: impl FnMut(EntryKind, &[u8])) -> Result<Opened, LogError> {
        let path = path.to_path_buf();
        let io_err = |op: &'static str| {
            let path = path.clone();
            move |source| LogError::Io { path, op, source }
        };
        let file = open_locked(&path)?;
        // Only now, holding the lock, is a compaction temp file certainly nobody's work.
        remove_stale_temp(&path).map_err(io_err("remove stale compaction file"))?;
        let file_len = file.metadata().map_err(io_err("stat"))?.len();
        let mut reader = io::BufReader::with_capacity(1 << 16, &file);

        let mut header = [0u8; frame::HEADER_LEN];
        let got = read_up_to(&mut reader, &mut header).map_err(io_err("read header"))?;
        let (good_end, damage_kind, entries) = match frame::check_header(&header[..got]) {
            HeaderCheck::NotABackup => return Err(LogError::NotABackup { path }),
            HeaderCheck::UnsupportedVersion(version) => {
                return Err(LogError::UnsupportedVersion { path, version });
            }
            HeaderCheck::Torn if got == 0 => (0, None, 0),
            HeaderCheck::Torn => (0, Some(DamageKind::TornFrameHeader), 0),
            HeaderCheck::Valid => {
                let (end, damage, entries) =
                    scan_entries(&mut reader, &mut visit).map_err(io_err("read entries"))?;
                (frame::HEADER_LEN as u64 + end, damage, entries)
            }
        };
        drop(reader);

        let mut damage = None;
        if good_end < file_len {
            // Bytes past the last good entry: keep them aside before cutting them off.
            let kind = damage_kind.unwrap_or(DamageKind::TornFrameHeader);
            let saved_to =
                save_aside(&path, &file, good_end).map_err(io_err("save corrupt tail"))?;
            file.set_len(good_end)
                .map_err(io_err("truncate damaged tail"))?;
            file.sync_all().map_err(io_err("fsync"))?;
            damage = Some(DamageReport {
                offset: good_end,
                bytes: file_len - good_end,
                kind,
                saved_to,
            });
        }
        let mut log = LogFile {
            path,
            file,
            len: good_end,
            dirty: false,
            scratch: Vec::with_capacity(2048),
        };
        if log.len == 0 {
            log.write_header()?;
        }
        Ok(Opened {
            log,
            entries,
            damage,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Current length of the file in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the log holds no entries (only its header).
    pub fn is_empty(&self) -> bool {
        self.len <= frame::HEADER_LEN as u64
    }

    /// Whether appends are waiting for an fsync.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    fn write_header(&mut self) -> Result<(), LogError> {
        self.file
            .write_all(&frame::header())
            .and_then(|()| self.file.sync_all())
            .map_err(|source| self.io_error("write header", source))?;
        sync_parent_dir(&self.path).map_err(|source| self.io_error("fsync directory", source))?;
        self.len = frame::HEADER_LEN as u64;
        Ok(())
    }

    /// Appends one entry with a single write (no user-space buffering; see module docs).
    ///
    /// If the write fails part-way the file is cut back to the previous entry, so a later append
    /// never follows a torn frame.
    pub fn append(&mut self, kind: EntryKind, body: &[u8]) -> Result<(), LogError> {
        if !frame::fits(body) {
            return Err(LogError::EntryTooLarge { len: body.len() });
        }
        self.scratch.clear();
        frame::encode_entry(kind, body, &mut self.scratch);
        if let Err(source) = self.file.write_all(&self.scratch) {
            // Best effort: if even this fails, the next open finds and reports the torn tail.
            let _ = self.file.set_len(self.len);
            return Err(self.io_error("append", source));
        }
        self.len += self.scratch.len() as u64;
        self.dirty = true;
        Ok(())
    }

    /// Forces appended entries to stable storage (no-op when nothing was written).
    pub fn sync(&mut self) -> Result<(), LogError> {
        if self.dirty {
            self.file
                .sync_data()
                .map_err(|source| self.io_error("fsync", source))?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Replaces the log by one holding exactly `entries`, atomically (see module docs).
    pub fn rewrite<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (EntryKind, &'a [u8])>,
    ) -> Result<(), LogError> {
        let temp = temp_path(&self.path);
        let written = write_compacted(&temp, entries).map_err(|e| match e {
            LogError::Io { op, source, .. } => LogError::Io {
                path: temp.clone(),
                op,
                source,
            },
            other => other,
        });
        let len = match written {
            Ok(len) => len,
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        };
        // Open the appending handle before the rename: it follows the new file's inode, so the
        // log can never be left appending to the old, unlinked file if something fails later.
        let file = match OpenOptions::new().read(true).append(true).open(&temp) {
            Ok(file) => file,
            Err(source) => {
                let _ = fs::remove_file(&temp);
                return Err(self.io_error("open compacted file", source));
            }
        };
        // Lock the new file before it takes the log's name, so there is no moment when the name
        // points at an unlocked log.
        if let Err(source) = file.try_lock().map_err(io::Error::from) {
            let _ = fs::remove_file(&temp);
            return Err(self.io_error("lock compacted file", source));
        }
        if let Err(source) = fs::rename(&temp, &self.path) {
            let _ = fs::remove_file(&temp);
            return Err(self.io_error("rename compacted file", source));
        }
        self.file = file;
        self.len = len;
        self.dirty = false;
        sync_parent_dir(&self.path).map_err(|source| self.io_error("fsync directory", source))
    }

    fn io_error(&self, op: &'static str, source: io::Error) -> LogError {
        LogError::Io {
            path: self.path.clone(),
            op,
            source,
        }
    }
}

/// Writes a complete, fsynced log holding `entries` to `path`, returning its length. This is the
/// first half of compaction: until it is renamed into place, the old log stays authoritative.
pub fn write_compacted<'a>(
    path: &Path,
    entries: impl IntoIterator<Item = (EntryKind, &'a [u8])>,
) -> Result<u64, LogError> {
    let io_err = |op: &'static str| {
        move |source| LogError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    };
    let file = owner_only(OpenOptions::new().write(true).create(true).truncate(true))
        .open(path)
        .map_err(io_err("create"))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    out.write_all(&frame::header()).map_err(io_err("write"))?;
    let mut len = frame::HEADER_LEN as u64;
    let mut scratch = Vec::with_capacity(2048);
    for (kind, body) in entries {
        if !frame::fits(body) {
            return Err(LogError::EntryTooLarge { len: body.len() });
        }
        scratch.clear();
        frame::encode_entry(kind, body, &mut scratch);
        out.write_all(&scratch).map_err(io_err("write"))?;
        len += scratch.len() as u64;
    }
    let file = out
        .into_inner()
        .map_err(|e| io_err("write")(e.into_error()))?;
    file.sync_all().map_err(io_err("fsync"))?;
    Ok(len)
}

/// Opens (creating if needed) and exclusively locks the log at `path`.
///
/// The lock is std's `File::try_lock` (`flock(2)` on Linux and macOS, `LockFileEx` on Windows),
/// released by the OS when the process dies, so a crashed node never leaves a stale lock behind.
/// Compaction replaces the file under the same name; an opener that locked the old inode just as
/// it was replaced sees that the name now points elsewhere and tries again.
fn open_locked(path: &Path) -> Result<File, LogError> {
    let io_err = |op: &'static str| {
        move |source| LogError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    };
    loop {
        let file = owner_only(OpenOptions::new().read(true).append(true).create(true))
            .open(path)
            .map_err(io_err("open"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(LogError::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err("lock")(e)),
        }
        let held = file.metadata().map_err(io_err("stat"))?;
        match fs::metadata(path) {
            Ok(named) if crate::platform::same_file(&named, &held) => return Ok(file),
            // Replaced (or removed) between our open and our lock: start over.
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err("stat")(e)),
        }
    }
}

/// The compaction temp file for the log at `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    with_suffix(path, ".compact-tmp")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_stale_temp(path: &Path) -> io::Result<()> {
    match fs::remove_file(temp_path(path)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Reads entries until the end or the first damage; returns the offset (relative to the end of
/// the header) just past the last good entry, the damage, and the number of entries.
fn scan_entries(
    reader: &mut impl Read,
    visit: &mut impl FnMut(EntryKind, &[u8]),
) -> io::Result<(u64, Option<DamageKind>, usize)> {
    let mut offset = 0u64;
    let mut count = 0;
    let mut frame_buf = Vec::with_capacity(2048);
    loop {
        frame_buf.clear();
        frame_buf.resize(frame::FRAME_HEADER_LEN, 0);
        let got = read_up_to(reader, &mut frame_buf)?;
        if got == 0 {
            return Ok((offset, None, count));
        }
        if got < frame::FRAME_HEADER_LEN {
            return Ok((offset, Some(DamageKind::TornFrameHeader), count));
        }
        let claimed =
            u32::from_le_bytes([frame_buf[0], frame_buf[1], frame_buf[2], frame_buf[3]]) as usize;
        if claimed == 0 || claimed > frame::MAX_PAYLOAD {
            return Ok((offset, Some(DamageKind::BadLength { claimed }), count));
        }
        frame_buf.resize(frame::FRAME_HEADER_LEN + claimed, 0);
        let got = read_up_to(reader, &mut frame_buf[frame::FRAME_HEADER_LEN..])?;
        if got < claimed {
            return Ok((offset, Some(DamageKind::TornPayload { claimed }), count));
        }
        match frame::decode_entry(&frame_buf) {
            Ok((entry, len)) => {
                visit(entry.kind, entry.body);
                offset += len as u64;
                count += 1;
            }
            Err(damage) => return Ok((offset, Some(damage), count)),
        }
    }
}

/// Reads until `buf` is full or the end of input; returns how many bytes were read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Copies the bytes of `file` from `from` to the end into a new `PATH.corrupt-<unix seconds>`
/// (with `-N` appended if that name is taken), fsynced, and returns its path.
fn save_aside(path: &Path, file: &File, from: u64) -> io::Result<PathBuf> {
    use std::io::{Seek, SeekFrom};
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let base = with_suffix(path, &format!(".corrupt-{secs}"));
    let mut target = base.clone();
    let mut n = 0u32;
    let mut out = loop {
        match owner_only(OpenOptions::new().write(true).create_new(true)).open(&target) {
            Ok(out) => break out,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                n += 1;
                target = with_suffix(&base, &format!("-{n}"));
            }
            Err(e) => return Err(e),
        }
    };
    let mut source = file;
    source.seek(SeekFrom::Start(from))?;
    io::copy(&mut source, &mut out)?;
    out.sync_all()?;
    sync_parent_dir(&target)?;
    Ok(target)
}

/// Fsyncs the directory holding `path`, so a create or rename in it is durable.
fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    // Windows cannot open a directory as a File; NTFS journals the rename itself.
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
