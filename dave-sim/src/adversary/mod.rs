//! Attackers: hosts of the same engine as honest nodes, with addresses, keys and random streams
//! of their own, one file per behaviour (docs/simulator.md, "Adversaries").
//!
//! An attacker is either a real `dave_core::Node` whose outputs it filters, rewrites or adds
//! to, or a small state machine of its own that speaks the wire format through dave-core's
//! codec. Either way it is a [`SimHost`] whose events are [`AdversaryEvent`]s, and it counts
//! what it does in [`AttackCounters`], which the summary sums per group.
//!
//! The [`driver`] adds each group of the scenario's `adversaries` to the run: addresses from a
//! range of its own (disjoint from the honest plan), keys and random streams keyed by purposes
//! of its own, a start at the group's `start`. A behaviour is built from an
//! [`AttackerContext`] in [`driver::build`]; [`speaker::Speaker`] holds what every behaviour
//! needs to speak the protocol (identity, signed AUTH PONGs, referrals, counted sends).

pub mod advertiser;
pub mod driver;
pub mod eclipse;
pub mod poisoner;
pub mod speaker;

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;

use crate::crypto_model::SimCrypto;
use crate::engine::SimTime;
use crate::engine::host::SimHost;

/// What one attacker host did, summed per group into the run's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AttackCounters {
    /// Datagrams the attacker handed to the network.
    pub datagrams_sent: u64,
    /// Bytes of those datagrams.
    pub bytes_sent: u64,
    /// Datagrams sent with a forged source address.
    pub spoofed_datagrams: u64,
    /// Key pairs generated while grinding identities.
    pub keys_ground: u64,
    /// Valid records the attacker accepted and then did not keep.
    pub records_dropped: u64,
    /// Valid records the attacker accepted and kept.
    pub records_kept: u64,
    /// PUTs the attacker sent (spam).
    pub puts_sent: u64,
}

impl AttackCounters {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &AttackCounters) {
        self.datagrams_sent += other.datagrams_sent;
        self.bytes_sent += other.bytes_sent;
        self.spoofed_datagrams += other.spoofed_datagrams;
        self.keys_ground += other.keys_ground;
        self.records_dropped += other.records_dropped;
        self.records_kept += other.records_kept;
        self.puts_sent += other.puts_sent;
    }

    /// Counts one datagram of `len` bytes about to leave, spoofed or not.
    pub fn count_sent(&mut self, len: usize, spoofed: bool) {
        self.datagrams_sent += 1;
        self.bytes_sent += len as u64;
        if spoofed {
            self.spoofed_datagrams += 1;
        }
    }
}

/// What an attacker host reports. Its `Debug` text enters the trace hash, so it is
/// deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdversaryEvent {
    /// A valid record was accepted and then dropped (RecordId).
    RecordDropped(u64),
    /// A valid record was accepted and kept (RecordId).
    RecordKept(u64),
}

/// An attacker at one address.
pub trait Attacker: SimHost<Event = AdversaryEvent> {
    /// What it has done so far.
    fn counters(&self) -> &AttackCounters;
}

/// Everything a behaviour needs to build one attacker host.
pub struct AttackerContext<'a> {
    /// Engine index of the host.
    pub index: u32,
    /// Its number within its group (0..addresses).
    pub member: u32,
    /// Its address.
    pub addr: SocketAddr,
    /// Every address of its group, its own included.
    pub group: &'a Arc<Vec<SocketAddr>>,
    /// The honest nodes the group aims at (victims, contacts), chosen by the driver.
    pub targets: &'a [SocketAddr],
    /// Every honest node's address, by honest index.
    pub honest: &'a [SocketAddr],
    /// 32 bytes of key material for its identity.
    pub key_seed: [u8; 32],
    /// Seed of its random stream.
    pub rng_seed: [u8; 32],
    /// The honest nodes' protocol constants (limits an attacker must stay within to be heard).
    pub config: &'a dave_core::config::Config,
    /// The shared crypto provider (real or modeled signatures, as the scenario chose).
    pub crypto: Arc<SimCrypto>,
    /// Local time at start.
    pub now: SimTime,
    /// Records the group aims at, with the XOR distance of the closest honest node to each
    /// (sybil targets; empty for other behaviours).
    pub records: &'a [(u64, u64)],
}

pub mod liar;
pub mod reflector;
mod shell;
pub mod spammer;
pub mod sybil;
