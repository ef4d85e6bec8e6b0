//! What a node reports to its driver (docs/protocol.md §10): every outcome a researcher measures.
//!
//! Events are drained with [`crate::node::Node::poll_event`]. They carry IDs and addresses, not
//! references, so a driver may keep them; only [`Event::Persist`] and a found
//! [`LookupReport::found`] carry a record.

use std::net::SocketAddr;
use std::time::Duration;

use crate::dat::{Dat, DatError};
use crate::id::{NodeId, RecordId};
use crate::store::{EvictReason, Refusal};
use crate::wire::WireError;

/// Identifies a lookup started with `put` or `get`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LookupId(pub u64);

/// What a lookup was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LookupKind {
    /// A read (§8).
    Get,
    /// A write: a lookup, then PUTs to the closest reliable nodes that answered (§8).
    Put,
    /// A table refresh: a lookup of a key of our own near our NodeId (or random), run to meet
    /// peers, not to find a record.
    Refresh,
}

/// Why a lookup stopped (§8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LookupEnd {
    /// A GET received a valid record (or this node held it).
    Found,
    /// REPLICAS nodes answered and no closer one is known.
    Converged,
    /// Nobody is left to ask.
    Exhausted,
    /// LOOKUP_BUDGET queries were spent.
    BudgetSpent,
    /// LOOKUP_TIMEOUT passed.
    TimedOut,
}

/// The result of one lookup.
#[derive(Clone, Debug, PartialEq)]
pub struct LookupReport {
    /// Which lookup.
    pub id: LookupId,
    /// GET or PUT.
    pub kind: LookupKind,
    /// The record looked up.
    pub record: RecordId,
    /// Why it stopped.
    pub end: LookupEnd,
    /// The newest valid record received (GET), or the newest version found elsewhere (PUT).
    pub found: Option<Dat>,
    /// Referral depth of the answer that ended it (1 = a peer of ours; 0 = held locally);
    /// for a lookup without a found answer, the deepest answer received.
    pub hops: u32,
    /// GET datagrams sent.
    pub queries: u32,
    /// Distinct addresses that answered.
    pub answered: u32,
    /// Time from start to finish.
    pub latency: Duration,
    /// PUT only: PUT datagrams sent to replicas.
    pub replicas: u32,
    /// PUT only: whether this node stored the record itself (a writer keeps its own copy,
    /// docs/protocol.md §8; a read-only node keeps nothing).
    pub stored_locally: bool,
}

/// Why a record was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefuseReason {
    /// The store refused it (stale version, no room, ...).
    Store(Refusal),
    /// It failed the acceptance rules of §3.
    Invalid(DatError),
}

/// Why a storage challenge failed (§9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChallengeFailure {
    /// The peer answered not-found.
    NotFound,
    /// The peer answered with a record that fails §3.
    Invalid,
    /// The peer answered with an older version than the one pushed.
    Stale,
    /// No answer before the deadline.
    Timeout,
}

/// Why an incoming datagram was dropped (or, for [`RejectReason::AmplificationLimit`], why its
/// answer was withheld).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// Does not decode (§4).
    Malformed(WireError),
    /// Larger than MAX_DATAGRAM.
    Oversized,
    /// Comes from this node's own adopted address (§6 loopback prevention).
    OwnAddress,
    /// A PONG answering no pending PING of ours (unknown, expired or wrong nonce or kind).
    UnexpectedPong,
    /// An AUTH PONG showing another key than the one pinned to that address (§5).
    PinnedKeyMismatch,
    /// An AUTH PONG whose signature does not verify.
    BadPongSignature,
    /// An AUTH PONG carrying our own key, or a NodeId another address already holds.
    DuplicateIdentity,
    /// A GET_ACK from an address not asked for that record (§8).
    UnexpectedGetAck,
    /// A second answer from the same address to the same lookup (§8).
    DuplicateAnswer,
    /// A record (PUT or found GET_ACK) failing §3.
    InvalidRecord(DatError),
    /// The answer would exceed 3× what an unverified address sent us (§8).
    AmplificationLimit,
    /// GETMYADDRPORT from an address that is not a verified peer (§6).
    NotVerified,
    /// GETMYADDRPORT_ACK we did not ask for, or naming an unusable address.
    UnexpectedAddrAck,
}

impl RejectReason {
    /// The counter this reason increments.
    pub fn kind(&self) -> RejectKind {
        match self {
            RejectReason::Malformed(_) => RejectKind::Malformed,
            RejectReason::Oversized => RejectKind::Oversized,
            RejectReason::OwnAddress => RejectKind::OwnAddress,
            RejectReason::UnexpectedPong => RejectKind::UnexpectedPong,
            RejectReason::PinnedKeyMismatch => RejectKind::PinnedKeyMismatch,
            RejectReason::BadPongSignature => RejectKind::BadPongSignature,
            RejectReason::DuplicateIdentity => RejectKind::DuplicateIdentity,
            RejectReason::UnexpectedGetAck => RejectKind::UnexpectedGetAck,
            RejectReason::DuplicateAnswer => RejectKind::DuplicateAnswer,
            RejectReason::InvalidRecord(_) => RejectKind::InvalidRecord,
            RejectReason::AmplificationLimit => RejectKind::AmplificationLimit,
            RejectReason::NotVerified => RejectKind::NotVerified,
            RejectReason::UnexpectedAddrAck => RejectKind::UnexpectedAddrAck,
        }
    }
}

/// [`RejectReason`] without its detail: the index of a rejection counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum RejectKind {
    Malformed,
    Oversized,
    OwnAddress,
    UnexpectedPong,
    PinnedKeyMismatch,
    BadPongSignature,
    DuplicateIdentity,
    UnexpectedGetAck,
    DuplicateAnswer,
    InvalidRecord,
    AmplificationLimit,
    NotVerified,
    UnexpectedAddrAck,
}

impl RejectKind {
    /// Every kind, in counter order.
    pub const ALL: [RejectKind; 13] = [
        RejectKind::Malformed,
        RejectKind::Oversized,
        RejectKind::OwnAddress,
        RejectKind::UnexpectedPong,
        RejectKind::PinnedKeyMismatch,
        RejectKind::BadPongSignature,
        RejectKind::DuplicateIdentity,
        RejectKind::UnexpectedGetAck,
        RejectKind::DuplicateAnswer,
        RejectKind::InvalidRecord,
        RejectKind::AmplificationLimit,
        RejectKind::NotVerified,
        RejectKind::UnexpectedAddrAck,
    ];
}

/// Counters of rejected datagrams by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RejectCounters {
    counts: [u64; RejectKind::ALL.len()],
}

impl RejectCounters {
    /// How many datagrams were rejected for this kind of reason.
    pub fn get(&self, kind: RejectKind) -> u64 {
        self.counts[kind as usize]
    }

    /// All rejections.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(kind, count)` for every kind.
    pub fn iter(&self) -> impl Iterator<Item = (RejectKind, u64)> + '_ {
        RejectKind::ALL.iter().map(|&k| (k, self.get(k)))
    }

    pub(crate) fn count(&mut self, kind: RejectKind) {
        self.counts[kind as usize] += 1;
    }
}

/// Something that happened inside the node.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A `get` or `put` finished.
    LookupFinished(LookupReport),
    /// A record entered the store (new, or a newer version of one held).
    RecordStored {
        /// Which record.
        record: RecordId,
        /// Whether it replaced an older version.
        replaced: bool,
    },
    /// A record left the store.
    RecordEvicted {
        /// Which record.
        record: RecordId,
        /// Capacity or expiry.
        reason: EvictReason,
    },
    /// A record offered to the store was not kept.
    RecordRefused {
        /// Which record.
        record: RecordId,
        /// Why.
        reason: RefuseReason,
    },
    /// Backup log: this record is now stored (§7). Write it.
    Persist(Dat),
    /// Backup log: this record left the store (§7). Forget it.
    Forget(RecordId),
    /// Backup: the node's anchors changed (§5 anchors): keep this list, replacing the last,
    /// and give it to `Node::restore_anchors` after a restart.
    Anchors(Vec<std::net::SocketAddr>),
    /// A verified peer entered the table, or an edge was verified.
    PeerAdded {
        /// Its address.
        addr: SocketAddr,
        /// Its NodeId.
        node_id: NodeId,
        /// Whether it is a configured edge.
        edge: bool,
    },
    /// A peer became active (§5).
    PeerActivated {
        /// Its address.
        addr: SocketAddr,
        /// Its NodeId.
        node_id: NodeId,
    },
    /// An active peer stopped answering for DEACTIVATE_AFTER (§5).
    PeerDeactivated {
        /// Its address.
        addr: SocketAddr,
        /// Its NodeId.
        node_id: NodeId,
    },
    /// A peer silent for DROP_AFTER left the table (§5).
    PeerDropped {
        /// Its address.
        addr: SocketAddr,
        /// Its NodeId.
        node_id: NodeId,
    },
    /// A peer lost its bucket slot to a newcomer (§5 test before evict, §9 unreliable first).
    PeerEvicted {
        /// Its address.
        addr: SocketAddr,
        /// Its NodeId.
        node_id: NodeId,
        /// Its reliability when evicted.
        reliability: f64,
    },
    /// A peer proved it still holds a record (§9).
    ChallengePassed {
        /// The peer's address.
        addr: SocketAddr,
        /// Its NodeId.
        node_id: NodeId,
        /// The record asked for.
        record: RecordId,
        /// Time to the answer.
        rtt: Duration,
        /// Its reliability after this result.
        reliability: f64,
    },
    /// A peer failed a storage challenge (§9).
    ChallengeFailed {
        /// The peer's address.
        addr: SocketAddr,
        /// Its NodeId.
        node_id: NodeId,
        /// The record asked for.
        record: RecordId,
        /// How it failed.
        reason: ChallengeFailure,
        /// Its reliability after this result.
        reliability: f64,
    },
    /// A datagram was dropped (and counted).
    DatagramRejected {
        /// Its source address.
        from: SocketAddr,
        /// Why.
        reason: RejectReason,
    },
    /// The node adopted its own public address (§6).
    AddressAdopted {
        /// The address.
        addr: SocketAddr,
    },
}
