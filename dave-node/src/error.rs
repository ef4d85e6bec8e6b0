//! The binary's failures and their exit codes.
//!
//! Exit codes (issue 6): 0 success (for `get`, found); 1 not found or the network did not answer;
//! 2 bad input (flags, key file, address, port in use, a file that is not a backup); 3 a failure
//! while running (an I/O error on the socket or the backup after start).

use std::io;
use std::net::SocketAddr;

use crate::backup::LogError;
use crate::keyfile::KeyFileError;

/// Why a subcommand stopped.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The key file could not be used.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// The listen address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The `--metrics` address could not be bound.
    #[error("cannot serve metrics on {addr}: {source}")]
    BindMetrics {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The backup file could not be opened.
    #[error(transparent)]
    BackupOpen(LogError),
    /// An argument has the right syntax for clap but not for Dave (e.g. a 65-character pubkey).
    #[error("{0}")]
    BadArgument(String),
    /// The network gave no answer in time.
    #[error("{0}")]
    NoAnswer(String),
    /// The socket failed while running.
    #[error("socket error: {0}")]
    Socket(io::Error),
    /// The backup failed while running and could not be repaired.
    #[error(transparent)]
    Backup(LogError),
    /// The process could not be set up (signal handlers, OS randomness, a worker thread).
    #[error("{0}")]
    Setup(String),
}

impl AppError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Key(_)
            | AppError::Bind { .. }
            | AppError::BindMetrics { .. }
            | AppError::BackupOpen(_)
            | AppError::BadArgument(_) => 2,
            AppError::NoAnswer(_) => 1,
            AppError::Socket(_) | AppError::Backup(_) | AppError::Setup(_) => 3,
        }
    }
}
