//! The node's identity on disk: an Ed25519 secret key seed, hex-encoded, in a file only its owner
//! may read.
//!
//! Format: 64 hexadecimal characters (the 32-byte seed) and a newline. Text rather than raw bytes
//! so that a key can be inspected, copied and diffed with ordinary tools; nothing else is stored
//! because the public key derives from the seed.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The target exists and `--force` was not given.
    #[error("{0} already exists (use --force to overwrite it)")]
    Exists(PathBuf),
    /// The OS could not read or write the file.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file's content is not 64 hex characters.
    #[error("key file {0}: expected 64 hexadecimal characters (a 32-byte Ed25519 seed)")]
    Malformed(PathBuf),
    /// The OS random source failed.
    #[error("cannot read OS randomness: {0}")]
    Random(getrandom::Error),
}

/// Makes a new signing key from OS randomness.
pub fn generate() -> Result<SigningKey, KeyFileError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(KeyFileError::Random)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes `key` to `path` with mode 0600. Refuses to replace an existing file unless `force`.
///
/// With `force` the old file is replaced by a rename, so a crash never leaves a half-written key
/// and the new file never exists with looser permissions.
pub fn write(path: &Path, key: &SigningKey, force: bool) -> Result<(), KeyFileError> {
    let io_err = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = format!("{}\n", hex::encode(key.to_bytes()));
    if !force {
        let mut file =
            match crate::platform::owner_only(OpenOptions::new().write(true).create_new(true))
                .open(path)
            {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(KeyFileError::Exists(path.to_path_buf()));
                }
                other => other.map_err(io_err)?,
            };
        return file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io_err);
    }
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(".tmp");
    let temp = PathBuf::from(temp_name);
    let _ = fs::remove_file(&temp);
    let mut file = crate::platform::owner_only(OpenOptions::new().write(true).create_new(true))
        .open(&temp)
        .map_err(io_err)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&temp, path))
        .map_err(io_err)
}

/// Reads a key written by [`write()`]. Surrounding whitespace is ignored.
pub fn read(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .map_err(|_| KeyFileError::Malformed(path.to_path_buf()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Whether others than the owner may read the file at `path` (worth a warning, not a refusal: the
/// operator may have reasons, as with a key on a shared volume).
pub fn readable_by_others(path: &Path) -> bool {
    fs::metadata(path)
        .map(|m| crate::platform::readable_by_others(&m))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Permission bits of `path` (Unix only: elsewhere files have no mode).
    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_written_key_reads_back_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let key = generate().unwrap();
        write(&path, &key, false).unwrap();
        assert_eq!(read(&path).unwrap().to_bytes(), key.to_bytes());
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        assert!(!readable_by_others(&path));
    }

    #[test]
    fn an_existing_file_is_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let first = generate().unwrap();
        write(&path, &first, false).unwrap();
        let second = generate().unwrap();
        assert!(matches!(
            write(&path, &second, false),
            Err(KeyFileError::Exists(_))
        ));
        assert_eq!(read(&path).unwrap().to_bytes(), first.to_bytes());
        write(&path, &second, true).unwrap();
        assert_eq!(read(&path).unwrap().to_bytes(), second.to_bytes());
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn malformed_and_missing_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        fs::write(&path, "not hex at all").unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Malformed(_))));
        fs::write(&path, "abcd").unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Malformed(_))));
        assert!(matches!(
            read(&dir.path().join("missing")),
            Err(KeyFileError::Io { .. })
        ));
    }
}
