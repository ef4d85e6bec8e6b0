//! `Node`: the whole Dave protocol (docs/protocol.md §5–§10) as a sans-IO state machine.
//!
//! The driver owns time, sockets and randomness. It feeds the node with
//! [`Node::handle_datagram`], [`Node::handle_timeout`], [`Node::put`], [`Node::get`] and
//! [`Node::restore`], and after **every** input drains, in any order and until each returns
//! `None`: [`Node::poll_transmit`] (datagrams to send), [`Node::poll_event`] (what happened), and
//! then reads [`Node::poll_timeout`] (when to call `handle_timeout` next). Nothing inside reads a
//! clock, a socket or a global RNG, so the same inputs always give the same outputs.
//!
//! Where each part of the spec lives:
//! - `liveness.rs`: pings, pongs, candidates, activation, dropping, test-before-evict (§5);
//! - `addr_discovery.rs`: own address and loopback prevention (§6);
//! - `storage.rs`: PUT receipt, store events, re-propagation, restore (§7, §8);
//! - `handoff.rs`: paced hand-over of records to a newly activated closer peer (§8);
//! - `lookup.rs`: iterative GET/PUT lookups and GET answering (§8);
//! - `challenge.rs`: storage challenges and reliability (§9);
//! - `amplification.rs`, `outbox.rs`: anti-amplification (§8) and the transmit queue.

mod addr_discovery;
pub(crate) mod amplification;
mod anchors;
mod challenge;
mod handoff;
mod liveness;
mod lookup;
mod outbox;
mod storage;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};

use crate::config::Config;
use crate::crypto::Crypto;
use crate::dat::{Dat, DatError, VerifyRules};
use crate::event::{Event, LookupId, RejectCounters, RejectReason};
use crate::id::{NodeId, RecordId};
use crate::peers::{PeerInfo, PeerState, PeerTable};
use crate::store::{EvictReason, Store};
use crate::time::Time;
use crate::timer::{Timer, TimerTable};
use crate::wire::{Limits, MAX_DATAGRAM, Message};

use addr_discovery::AddrDiscovery;
use amplification::AmpLedger;
use challenge::Challenges;
use handoff::Handoffs;
use lookup::Lookups;
use outbox::Outbox;

pub use anchors::ANCHOR_EVERY;
pub use outbox::Transmit;
pub use storage::RestoreReport;

/// One Dave node.
///
/// `repr(C)` keeps the fields in the order written: those every datagram reads (clock, timers,
/// peer table, ledger, outbox, event queue) come first and share a few cache lines, and the ones
/// a datagram rarely needs (keys, store, counters) follow. A simulator reaches every node's state
/// cold, so the lines a datagram touches are most of its cost.
#[repr(C)]
pub struct Node {
    /// The latest time the driver gave us; time never runs backwards inside the node.
    now: Time,
    /// Shared: a simulator's nodes of one configuration hold one copy (360 bytes a node
    /// otherwise, and one more cold cache line or six to read per datagram).
    config: Arc<Config>,
    timers: TimerTable,
    peers: PeerTable,
    amp: AmpLedger,
    outbox: Outbox,
    events: VecDeque<Event>,
    lookups: Lookups,
    challenges: Challenges,
    addr: AddrDiscovery,
    limits: Limits,
    node_id: NodeId,
    /// Secret key of the ping nonces (derived from the RNG seed; see `ping_nonce`).
    nonce_key: [u8; 32],
    crypto: Arc<dyn Crypto>,
    rng: ChaCha12Rng,
    public_key: [u8; 32],
    signing_key: SigningKey,
    rules: VerifyRules,
    store: Store,
    handoffs: Handoffs,
    rejections: RejectCounters,
    /// Records evicted by the last store operation (reused buffer).
    evicted: Vec<(Dat, EvictReason)>,
    /// Delay before the next table refresh (doubles up to REFRESH_EVERY).
    refresh_interval: std::time::Duration,
    /// Delay before the next retry of a self-lookup that met nobody but the edges (doubles).
    join_retry: std::time::Duration,
    /// Delay before an edge that has not answered yet is pinged again (doubles from
    /// EDGE_RETRY_MIN up to PING_EVERY; starts over when an edge answers).
    edge_retry: std::time::Duration,
    /// Extra self-lookup rounds since the last scheduled refresh.
    join_rounds: u32,
    /// The REPLICAS peers closest to us when the latest self-lookup started.
    neighbourhood: Vec<NodeId>,
    /// Where the running re-propagation sweep stands (§8).
    republish_cursor: Option<RecordId>,
    /// When the anchors were last announced, and a digest of what they were (§5 anchors): the
    /// list itself went to the driver, and a copy here would cost 1 KB a node.
    anchors_announced: Option<Time>,
    last_anchors: [u8; 32],
    /// Set while `restore` reloads a backup, whose records need no Persist events.
    restoring: bool,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("node_id", &self.node_id)
            .field("address", &self.addr.adopted())
            .field("peers", &self.peers.len())
            .field("records", &self.store.record_count())
            .finish_non_exhaustive()
    }
}

impl Node {
    /// A node with the given configuration (a `Config`, or an `Arc<Config>` shared with other
    /// nodes), key, edges (bootstrap peers, kept forever), RNG seed and crypto provider, started
    /// at `now`. Unroutable edges are ignored.
    pub fn new(
        config: impl Into<Arc<Config>>,
        signing_key: SigningKey,
        edges: Vec<SocketAddr>,
        rng_seed: [u8; 32],
        crypto: Arc<dyn Crypto>,
        now: Time,
    ) -> Node {
        let config: Arc<Config> = config.into();
        let public_key = signing_key.verifying_key().to_bytes();
        let node_id = NodeId::from_public_key(&public_key);
        let limits = Limits {
            npeer_limit: config.npeer_limit,
            referrals: config.referrals,
        };
        let rules = config.verify_rules();
        let map_seed = crate::keyed_map::map_seed(&rng_seed);
        let mut node = Node {
            peers: PeerTable::new(node_id, map_seed),
            store: Store::new(node_id, &config),
            lookups: Lookups::default(),
            challenges: Challenges::default(),
            handoffs: Handoffs::default(),
            addr: AddrDiscovery::default(),
            amp: AmpLedger::with_seed(map_seed),
            outbox: Outbox::default(),
            events: VecDeque::new(),
            timers: TimerTable::default(),
            rejections: RejectCounters::default(),
            evicted: Vec::new(),
            republish_cursor: None,
            anchors_announced: None,
            last_anchors: [0; 32],
            restoring: false,
            nonce_key: blake3::derive_key("dave v1 ping nonce key", &rng_seed),
            refresh_interval: config.activate_after + config.ping_every,
            join_retry: lookup::JOIN_RETRY_MIN,
            join_rounds: 0,
            edge_retry: liveness::EDGE_RETRY_MIN,
            neighbourhood: Vec::new(),
            signing_key,
            public_key,
            node_id,
            crypto,
            rng: ChaCha12Rng::from_seed(rng_seed),
            limits,
            rules,
            now,
            config,
        };
        for edge in edges {
            if crate::addr::is_routable(&edge) {
                node.peers.add_edge(edge, now);
            }
        }
        node.timers
            .set(Timer::Housekeeping, Some(now + node.config.ping_every));
        node.timers
            .set(Timer::Challenge, Some(now + node.config.challenge_every));
        node.timers
            .set(Timer::Republish, Some(now + node.config.republish_every));
        node.timers.set(Timer::AddrDiscovery, Some(now));
        node.refresh_timers();
        node
    }

    // ----- inputs -------------------------------------------------------------------------

    /// A datagram arrived from `from`. Bad datagrams are dropped and counted, never a panic.
    pub fn handle_datagram(&mut self, now: Time, from: SocketAddr, bytes: &[u8]) {
        self.advance_clock(now);
        if self.addr.adopted() == Some(from) {
            self.reject(from, RejectReason::OwnAddress);
            return;
        }
        if bytes.len() > self.config.max_datagram.min(MAX_DATAGRAM) {
            self.reject(from, RejectReason::Oversized);
            return;
        }
        self.credit(from, bytes.len());
        let msg = match Message::decode_with(bytes, &self.limits) {
            Ok(msg) => msg,
            Err(e) => {
                self.reject(from, RejectReason::Malformed(e));
                return;
            }
        };
        match msg {
            Message::Ping {
                kind,
                nonce,
                read_only,
                ..
            } => self.on_ping(from, kind, nonce, read_only),
            Message::Pong(pong) => self.on_pong(from, &pong),
            Message::Put(dat) => self.on_put(from, &dat),
            Message::Get { pubkey, key, .. } => self.on_get(from, &pubkey, key),
            Message::GetAck(ack) => self.on_get_ack(from, &ack),
            Message::GetMyAddrPort => self.on_get_my_addr(from),
            Message::GetMyAddrPortAck(addr) => self.on_my_addr(from, addr),
        }
        self.refresh_timers();
    }

    /// Time passed: call when `now` reaches [`Node::poll_timeout`] (calling it earlier or more
    /// often is harmless).
    pub fn handle_timeout(&mut self, now: Time) {
        self.advance_clock(now);
        let now = self.now;
        for timer in Timer::ALL {
            if self.timers.take_due(timer, now) {
                match timer {
                    Timer::Peers => self.maintain_peers(),
                    Timer::Housekeeping => self.housekeeping(),
                    Timer::Evictions => self.settle_evictions(),
                    Timer::Lookups => self.drive_lookups(),
                    Timer::Challenge => self.start_challenge(),
                    Timer::ChallengeDeadline => self.expire_challenges(),
                    Timer::AddrDiscovery => self.start_addr_round(),
                    Timer::Republish => self.republish_batch(),
                    Timer::Expiry => self.expire_records(),
                    Timer::Refresh => self.refresh_table(),
                    Timer::JoinRetry => self.retry_join(),
                    Timer::Candidates => self.ping_next_candidate(),
                    Timer::HandshakeRetry => self.retry_handshakes(),
                    Timer::Handoff => self.handoff_step(),
                }
            }
        }
        self.refresh_timers();
    }

    /// Writes a record: runs a lookup for it, then PUTs it to the REPLICAS closest reliable
    /// nodes that answered, and stores it here too if this node is among the closest (§8).
    /// The record is checked against §3 first (it is the writer's own, so this is cheap).
    pub fn put(&mut self, now: Time, dat: Dat) -> Result<LookupId, DatError> {
        self.advance_clock(now);
        dat.as_ref()
            .verify(self.now.as_millis(), &self.rules, &*self.crypto)?;
        let id = self.start_lookup(lookup::Target::Put(dat));
        self.refresh_timers();
        Ok(id)
    }

    /// Reads a record: an iterative lookup ending at the first valid found answer (§8).
    /// Answered at once if this node holds the record.
    pub fn get(&mut self, now: Time, pubkey: [u8; 32], key: &[u8]) -> Result<LookupId, DatError> {
        self.advance_clock(now);
        crate::dat::check_sizes(key.len(), 0)?;
        let id = self.start_lookup(lookup::Target::Get {
            pubkey,
            key: key.to_vec(),
        });
        self.refresh_timers();
        Ok(id)
    }

    // ----- outputs ------------------------------------------------------------------------

    /// The next datagram to send, written into `buf` (give it [`MAX_DATAGRAM`] bytes). Call
    /// until it returns `None` after every input.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<Transmit> {
        self.outbox.pop(buf)
    }

    /// When to call [`Node::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Time> {
        self.timers.next()
    }

    /// The next event. Call until it returns `None` after every input.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        // Drained: give the room back. Drivers drain after every input, and a hundred
        // thousand simulated nodes each keeping a few events' room held 50 MB.
        if event.is_none() && self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        event
    }

    // ----- introspection ------------------------------------------------------------------

    /// This node's ID.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// This node's public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// The own address adopted under §6, if any.
    pub fn address(&self) -> Option<SocketAddr> {
        self.addr.adopted()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The NodeIds of every verified table peer (edges included), in table order: what
    /// [`Node::peers`] yields for peers not in the candidate state, without building a
    /// [`PeerInfo`] each (the simulator's join probe reads thousands of tables 20 times a second).
    pub fn verified_peer_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.peers.iter().filter_map(|(_, p)| p.node_id())
    }

    /// Every peer in the table (edges included), then every candidate.
    pub fn peers(&self) -> impl Iterator<Item = PeerInfo> + '_ {
        let table = self.peers.iter().map(|(_, p)| p.info());
        let candidates = self.peers.candidates.iter().map(|c| PeerInfo {
            addr: c.addr(),
            node_id: None,
            state: PeerState::Candidate,
            is_edge: false,
            reliability: 0.5,
            challenged: false,
            last_seen: None,
            rtt: None,
        });
        table.chain(candidates)
    }

    /// Number of peers in the table (edges included, candidates not).
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// Number of active peers.
    pub fn active_peer_count(&self) -> usize {
        self.peers.iter().filter(|(_, p)| p.active).count()
    }

    /// The record store (read-only).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Number of stored records.
    pub fn record_count(&self) -> usize {
        self.store.record_count()
    }

    /// Bytes charged against the store.
    pub fn stored_bytes(&self) -> u64 {
        self.store.stored_bytes()
    }

    /// Every stored record, in RecordId order.
    pub fn records(&self) -> impl Iterator<Item = &Dat> + '_ {
        self.store.iter().map(|e| e.dat())
    }

    /// Whether this node stores the record.
    pub fn holds(&self, record: RecordId) -> bool {
        self.store.holds(record)
    }

    /// Counters of rejected datagrams by reason.
    pub fn rejections(&self) -> &RejectCounters {
        &self.rejections
    }

    /// Lookups still running.
    pub fn lookups_in_progress(&self) -> usize {
        self.lookups.len()
    }

    // ----- shared helpers -----------------------------------------------------------------

    fn advance_clock(&mut self, now: Time) {
        self.now = self.now.max(now);
    }

    fn emit(&mut self, event: Event) {
        self.events.push_back(event);
    }

    fn reject(&mut self, from: SocketAddr, reason: RejectReason) {
        self.rejections.count(reason.kind());
        self.emit(Event::DatagramRejected { from, reason });
    }

    fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn random_bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.rng.fill_bytes(&mut out);
        out
    }

    /// Queues a request we initiate (PING, GET, PUT, GETMYADDRPORT): not an answer, so not
    /// charged to the anti-amplification ledger; its padding makes the answer affordable.
    fn send(&mut self, to: SocketAddr, msg: &Message<'_>) {
        // Encoding only fails on a message this node built wrongly; dropping it is the safe
        // answer and tests assert it never happens.
        let sent = self.outbox.push(to, msg);
        debug_assert!(sent.is_ok(), "encoding {msg:?} failed: {sent:?}");
    }

    /// Whether an answer of `len` bytes to `to` fits the anti-amplification rule (§8): within 3×
    /// of what the address sent, whether or not it passed a round trip (a spoofer may use the
    /// address of a verified peer), and spends it if so.
    fn may_answer(&mut self, to: SocketAddr, len: usize) -> bool {
        if !self.config.anti_amplification {
            return true;
        }
        match self.peers.peer_at_mut(&to) {
            Some(peer) => peer.credit.spend(len),
            None => self.amp.try_spend(to, len),
        }
    }

    /// Counts a datagram from `from` towards the 3× rule: in its peer entry if it is a table
    /// peer, in the ledger otherwise (see `amplification`).
    fn credit(&mut self, from: SocketAddr, len: usize) {
        let now = self.now;
        match self.peers.peer_at_mut(&from) {
            Some(peer) => peer.credit.earn(len, now),
            None => self.amp.credit(from, len, now),
        }
    }

    /// Bytes the 3× rule still allows to `to`.
    fn allowance(&self, to: &SocketAddr) -> u64 {
        match self.peers.peer_at(to) {
            Some(peer) => peer.credit.allowance(),
            None => self.amp.allowance(to),
        }
    }

    /// Moves a newly admitted peer's ledger account into its entry.
    fn adopt_credit(&mut self, addr: &SocketAddr) {
        if let Some(credit) = self.amp.take(addr) {
            if let Some(peer) = self.peers.peer_at_mut(addr) {
                peer.credit = credit;
            }
        }
    }

    /// Whether an address may enter the table or candidate list (§5, §6).
    fn acceptable_peer_addr(&self, addr: &SocketAddr) -> bool {
        crate::addr::is_routable(addr) && self.addr.adopted() != Some(*addr)
    }

    /// Republishes every subsystem's next deadline into the timer table.
    fn refresh_timers(&mut self) {
        self.timers.set(Timer::Peers, self.peers.next_due());
        self.timers.set(
            Timer::Evictions,
            self.peers.evictions.iter().map(|e| e.deadline).min(),
        );
        self.timers
            .set(Timer::Lookups, self.lookups.next_deadline());
        self.timers
            .set(Timer::ChallengeDeadline, self.challenges.next_deadline());
    }

    /// Arms the expiry timer for a record with this retention key (ms), if it is earlier than
    /// the one armed. (An early firing is harmless: the handler re-arms from the store.)
    fn arm_expiry(&mut self, retention_ms: u64) {
        let at = Time::from_millis(retention_ms);
        let current = self.timers.get(Timer::Expiry);
        if current.is_none_or(|c| at < c) {
            self.timers.set(Timer::Expiry, Some(at));
        }
    }
}
