//! `dave-node`: the Dave protocol core (`dave_core::Node`) driven over real UDP sockets and the
//! system clock, with a crash-safe backup file.

pub mod backup;
