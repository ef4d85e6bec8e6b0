//! Iterative lookups and GET answering (docs/protocol.md §8).
//!
//! A lookup keeps a shortlist of contacts ranked by (below RELIABILITY_MIN, distance to the
//! record). It keeps ALPHA queries in flight, follows referrals, and stops when a GET finds a
//! valid record, when the REPLICAS closest live contacts have all answered, when nobody is left to
//! ask, after LOOKUP_BUDGET queries, or at LOOKUP_TIMEOUT.
//!
//! Referrals are bare addresses, so their distance is unknown until they identify themselves. A
//! referral is ranked just ahead of the node that referred it (it is among the closest that node
//! knows, so asking it early is what moves the lookup on); every
//! referral also becomes a candidate, whose AUTH PONG (normally back in the same round trip as its
//! GET_ACK) reveals its NodeId and replaces the estimate by the true distance. A PUT goes only to
//! contacts whose identity is so proven, never to an address known only from a referral.

use std::net::SocketAddr;
use std::time::Duration;

use crate::dat::{Dat, DatRef};
use crate::event::{Event, LookupEnd, LookupId, LookupKind, LookupReport, RejectReason};
use crate::id::{NODE_LOOKUP_KEY, NodeId, RecordId};
use crate::time::Time;
use crate::wire::{AddrList, GetAck, Message, PADDED_GET_LEN};

use super::Node;

/// Most contacts one lookup tracks; the farthest unasked ones are forgotten beyond it.
const MAX_CONTACTS: usize = 64;

/// What a lookup is for.
#[derive(Debug)]
pub(crate) enum Target {
    Get {
        pubkey: [u8; 32],
        key: Vec<u8>,
    },
    Put(Dat),
    /// A node lookup of a random id: refreshes a far bucket.
    Refresh {
        aim: u64,
    },
    /// A node lookup of our own NodeId (the join, and the refresh of our neighbourhood).
    SelfLookup,
}

/// First delay before a self-lookup that found no peer but the edges is retried (it doubles per
/// retry). Decision (not in the spec): a few LAN round trips, so that a cluster whose nodes all
/// start at once (the edge knows nobody when first asked) joins within a second, while a node
/// alone with its edge costs one GET per doubling interval.
pub(super) const JOIN_RETRY_MIN: Duration = Duration::from_millis(200);

/// Most extra rounds of the self-lookup per refresh while it keeps improving the neighbourhood.
/// Each round moves at least one peer nearer; a few suffice in any network that started within
/// seconds, and the bound keeps a node under churn from looking itself up without end.
const JOIN_ROUNDS: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContactState {
    Unasked,
    InFlight,
    /// Its query timed out; a late answer still counts.
    Late,
    Answered,
    Failed,
}

#[derive(Clone, Debug)]
struct Contact {
    addr: SocketAddr,
    id: Option<NodeId>,
    /// `(below RELIABILITY_MIN, distance or estimate)`: smaller is asked first.
    rank: (bool, u64),
    state: ContactState,
    /// 1 for our own peers, n + 1 for a referral from a depth-n contact.
    depth: u32,
    deadline: Time,
}

#[derive(Debug)]
pub(crate) struct Lookup {
    id: LookupId,
    record: RecordId,
    pubkey: [u8; 32],
    key: Vec<u8>,
    put: Option<Dat>,
    refresh: bool,
    /// A self-lookup: its end decides whether the join goes another round.
    self_lookup: bool,
    started: Time,
    deadline: Time,
    contacts: Vec<Contact>,
    queries: u32,
    found: Option<(Dat, u32)>,
    max_depth: u32,
    next_deadline: Time,
}

impl Lookup {
    fn kind(&self) -> LookupKind {
        if self.refresh {
            LookupKind::Refresh
        } else if self.put.is_some() {
            LookupKind::Put
        } else {
            LookupKind::Get
        }
    }

    fn sort(&mut self) {
        self.contacts
            .sort_by(|a, b| a.rank.cmp(&b.rank).then(a.addr.cmp(&b.addr)));
        if self.contacts.len() > MAX_CONTACTS {
            // Forget the farthest contacts that were never asked.
            let mut excess = self.contacts.len() - MAX_CONTACTS;
            let mut i = self.contacts.len();
            while excess > 0 && i > 0 {
                i -= 1;
                if self.contacts[i].state == ContactState::Unasked {
                    self.contacts.remove(i);
                    excess -= 1;
                }
            }
        }
    }

    fn position(&self, addr: &SocketAddr) -> Option<usize> {
        self.contacts.iter().position(|c| c.addr == *addr)
    }

    fn answered(&self) -> u32 {
        self.contacts
            .iter()
            .filter(|c| c.state == ContactState::Answered)
            .count() as u32
    }
}

/// The running lookups.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    list: Vec<Lookup>,
    next_id: u64,
}

impl Lookups {
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn next_deadline(&self) -> Option<Time> {
        self.list.iter().map(|l| l.next_deadline).min()
    }

    /// An address proved its identity (AUTH PONG): use its true distance from now on.
    pub(crate) fn learn_identity(&mut self, addr: SocketAddr, id: NodeId) {
        for lookup in &mut self.list {
            if let Some(i) = lookup.position(&addr) {
                let contact = &mut lookup.contacts[i];
                if contact.id.is_none() {
                    contact.id = Some(id);
                    contact.rank.1 = lookup.record.distance(id);
                    lookup.sort();
                }
            }
        }
    }
}

impl Node {
    /// Starts a lookup and sends its first queries.
    pub(super) fn start_lookup(&mut self, target: Target) -> LookupId {
        let id = LookupId(self.lookups.next_id);
        self.lookups.next_id += 1;
        let now = self.now;
        let self_lookup = matches!(target, Target::SelfLookup);
        let refresh = self_lookup || matches!(target, Target::Refresh { .. });
        let node_lookup = |aim: u64| (NODE_LOOKUP_KEY, aim.to_le_bytes().to_vec(), None);
        let (pubkey, key, put) = match target {
            Target::Get { pubkey, key } => (pubkey, key, None),
            Target::Put(dat) => (dat.pubkey, dat.key.clone(), Some(dat)),
            Target::Refresh { aim } => node_lookup(aim),
            Target::SelfLookup => node_lookup(self.node_id.0),
        };
        let record = RecordId::of_query(&pubkey, &key);
        let mut lookup = Lookup {
            id,
            record,
            pubkey,
            key,
            put,
            refresh,
            self_lookup,
            started: now,
            deadline: now + self.config.lookup_timeout,
            contacts: Vec::new(),
            queries: 0,
            found: None,
            max_depth: 0,
            next_deadline: now,
        };
        if lookup.put.is_none() {
            if let Some(dat) = self.store.find(&pubkey, &lookup.key, record) {
                lookup.found = Some((dat.clone(), 0));
                self.finish_lookup(lookup, LookupEnd::Found);
                return id;
            }
        }
        // Seed: the closest active peers, topped up with merely verified ones so that a node
        // that has just joined can look up at once (§8).
        let seed = 2 * self.config.replicas.max(self.config.alpha);
        let min = self.config.reliability_min;
        let mut chosen = Vec::new();
        self.peers
            .closest(record, seed, min, |p| p.active, &mut chosen);
        if chosen.len() < self.config.alpha {
            self.peers
                .closest(record, seed, min, |p| !p.active, &mut chosen);
            chosen.truncate(seed);
        }
        for &idx in &chosen {
            if let Some(p) = self.peers.get(idx) {
                lookup.contacts.push(Contact {
                    addr: p.addr(),
                    id: Some(p.id),
                    rank: (p.reliability.score() < min, record.distance(p.id)),
                    state: ContactState::Unasked,
                    depth: 1,
                    deadline: now,
                });
            }
        }
        lookup.sort();
        self.lookups.list.push(lookup);
        let last = self.lookups.list.len() - 1;
        self.step_lookup(last);
        id
    }

    /// The refresh timer: a node lookup of our own NodeId (the Kademlia join, and a periodic
    /// refresh of our neighbourhood) and one of a random id (a far bucket).
    pub(super) fn refresh_table(&mut self) {
        self.join_rounds = 0;
        self.self_lookup();
        let aim = self.random_u64();
        self.start_lookup(Target::Refresh { aim });
        // Refresh often while joining, then every REFRESH_EVERY: the interval doubles from
        // ACTIVATE_AFTER + PING_EVERY, as peers met in one round are active by the next.
        self.timers.set(
            crate::timer::Timer::Refresh,
            Some(self.now + self.refresh_interval),
        );
        self.refresh_interval = (self.refresh_interval * 2).min(self.config.refresh_every);
    }

    /// Looks up our own NodeId: every answer refers the nodes its answerer knows nearest us,
    /// which is how we meet our neighbourhood, and every one of them we ping learns of us.
    /// Decision (issue 11, found at 100,000 nodes): a node lookup (§8) aims at the id itself;
    /// the join used to look up a record key ground to share 8 leading bits with the NodeId,
    /// which in a network of more than a few thousand nodes ends among nodes near that key,
    /// hundreds of ranks from our own neighbours.
    fn self_lookup(&mut self) {
        self.neighbourhood = self.closest_to_self();
        self.start_lookup(Target::SelfLookup);
    }

    /// The REPLICAS verified peers closest to our own NodeId, nearest first.
    fn closest_to_self(&self) -> Vec<NodeId> {
        let mut chosen = Vec::new();
        let own = RecordId(self.node_id.0);
        self.peers
            .closest(own, self.config.replicas, 1.0, |_| true, &mut chosen);
        chosen
            .iter()
            .filter_map(|&i| self.peers.get(i))
            .map(|p| p.id)
            .collect()
    }

    /// The join-retry timer: the last self-lookup left us with no peer but our edges (they knew
    /// nobody yet, as when a whole cluster starts at once), or met nodes nearer us than we knew,
    /// who may know nearer ones still: look again.
    pub(super) fn retry_join(&mut self) {
        self.join_rounds += 1;
        self.self_lookup();
    }

    /// Arms the join lookup once the first peer is verified: at once, seeded with that peer
    /// (a lookup tops its seed up with verified peers while fewer than ALPHA are active), so a
    /// node meets its neighbourhood within a few round trips of starting.
    pub(super) fn schedule_join(&mut self) {
        if self.timers.get(crate::timer::Timer::Refresh).is_none() {
            self.timers
                .set(crate::timer::Timer::Refresh, Some(self.now));
        }
    }

    /// A self-lookup ended. If the table still holds no peer but edges (the edges knew nobody
    /// yet), it is retried after JOIN_RETRY_MIN, doubling up to REFRESH_EVERY. If it changed
    /// which peers are closest to us, it goes another round after JOIN_RETRY_MIN (at most
    /// JOIN_ROUNDS per refresh): as in Kademlia's join, a node keeps looking itself up until
    /// its neighbourhood stops improving, since nodes that started together learn of each
    /// other only as their own lookups proceed.
    fn after_self_lookup(&mut self) {
        use crate::timer::Timer;
        let has_own_peers = self.peers.bucketed_len() > 0;
        let has_verified_edge = self.peers.iter().any(|(_, p)| p.edge && p.is_verified());
        let pending = self.timers.get(Timer::JoinRetry).is_some();
        if !has_own_peers {
            if has_verified_edge && !pending {
                self.timers
                    .set(Timer::JoinRetry, Some(self.now + self.join_retry));
                self.join_retry = (self.join_retry * 2).min(self.config.refresh_every);
            }
            return;
        }
        self.join_retry = JOIN_RETRY_MIN;
        let improved = self.closest_to_self() != self.neighbourhood;
        if improved && self.join_rounds < JOIN_ROUNDS && !pending {
            self.timers
                .set(Timer::JoinRetry, Some(self.now + JOIN_RETRY_MIN));
        }
    }

    /// Advances every lookup (query timeouts, lookup deadlines).
    pub(super) fn drive_lookups(&mut self) {
        let mut i = 0;
        while i < self.lookups.list.len() {
            if !self.step_lookup(i) {
                i += 1;
            }
        }
    }

    /// Advances one lookup; returns whether it finished (and was removed).
    fn step_lookup(&mut self, i: usize) -> bool {
        let now = self.now;
        let (alpha, budget, replicas) = (
            self.config.alpha,
            self.config.lookup_budget,
            self.config.replicas,
        );
        let end = loop {
            let lookup = &mut self.lookups.list[i];
            for c in &mut lookup.contacts {
                if c.state == ContactState::InFlight && c.deadline <= now {
                    c.state = ContactState::Late;
                }
            }
            if lookup.put.is_none() && lookup.found.is_some() {
                break Some(LookupEnd::Found);
            }
            if now >= lookup.deadline {
                break Some(LookupEnd::TimedOut);
            }
            let is_put = lookup.put.is_some();
            let (mut closest, mut all_answered) = (0, true);
            for c in lookup
                .contacts
                .iter()
                .filter(|c| c.state != ContactState::Failed)
                .take(replicas)
            {
                closest += 1;
                // A PUT also waits for the identity of the closest answerers (their AUTH PONG is
                // normally in flight with their GET_ACK): it may only write to proven nodes,
                // and must not settle for farther ones because the closest are still unproven.
                let proven = !is_put || c.id.is_some();
                all_answered &= c.state == ContactState::Answered && proven;
            }
            if closest >= replicas && all_answered {
                break Some(LookupEnd::Converged);
            }
            let in_flight = lookup
                .contacts
                .iter()
                .filter(|c| c.state == ContactState::InFlight)
                .count();
            let next = lookup
                .contacts
                .iter()
                .position(|c| c.state == ContactState::Unasked);
            match next {
                Some(c) if in_flight < alpha && lookup.queries < budget => {
                    let addr = lookup.contacts[c].addr;
                    let timeout = self.answer_timeout(&addr);
                    let lookup = &mut self.lookups.list[i];
                    lookup.contacts[c].state = ContactState::InFlight;
                    lookup.contacts[c].deadline = now + timeout;
                    lookup.queries += 1;
                    self.send_get(i, addr);
                    continue;
                }
                _ => {}
            }
            if in_flight == 0 {
                // Nothing in flight and nothing sendable: contacts that timed out are given up.
                break Some(if next.is_some() {
                    LookupEnd::BudgetSpent
                } else {
                    LookupEnd::Exhausted
                });
            }
            break None;
        };
        let lookup = &mut self.lookups.list[i];
        match end {
            Some(end) => {
                let lookup = self.lookups.list.swap_remove(i);
                if self.lookups.list.is_empty() {
                    // Most of the time a node runs no lookup: do not keep room for several
                    // (a lookup is about 450 bytes inline) in every node of a large network.
                    self.lookups.list = Vec::new();
                }
                self.finish_lookup(lookup, end);
                true
            }
            None => {
                lookup.next_deadline = lookup
                    .contacts
                    .iter()
                    .filter(|c| c.state == ContactState::InFlight)
                    .map(|c| c.deadline)
                    .min()
                    .map_or(lookup.deadline, |d| d.min(lookup.deadline));
                false
            }
        }
    }

    /// How long to wait for an answer from `addr`: a multiple of its smoothed RTT, never below
    /// CHALLENGE_MIN; QUERY_TIMEOUT when its RTT is unknown.
    pub(super) fn answer_timeout(&self, addr: &SocketAddr) -> Duration {
        match self.peers.peer_at(addr).and_then(|p| p.srtt()) {
            Some(srtt) => {
                (srtt * self.config.challenge_rtt_multiple).max(self.config.challenge_min)
            }
            None => self.config.query_timeout,
        }
    }

    /// Sends a lookup's GET, padded to 480 bytes so that the answer fits the answerer's 3×
    /// allowance, which holds for verified peers too (§8).
    fn send_get(&mut self, i: usize, to: SocketAddr) {
        let pad_to = PADDED_GET_LEN;
        let lookup = &self.lookups.list[i];
        let msg = Message::Get {
            pubkey: lookup.pubkey,
            key: &lookup.key,
            pad_to,
        };
        let sent = self.outbox.push(to, &msg);
        debug_assert!(sent.is_ok(), "GET encoding failed: {sent:?}");
    }

    /// Reports a finished lookup; a PUT lookup now writes the record to the closest reliable
    /// nodes that answered and, if this node is among them, to its own store.
    fn finish_lookup(&mut self, lookup: Lookup, end: LookupEnd) {
        let now = self.now;
        let answered = lookup.answered();
        let kind = lookup.kind();
        let (found, hops) = match lookup.found {
            Some((dat, depth)) => (Some(dat), depth),
            None => (None, lookup.max_depth),
        };
        let mut replicas = 0;
        let mut stored_locally = false;
        if let Some(dat) = &lookup.put {
            let mut targets: Vec<&Contact> = lookup
                .contacts
                .iter()
                .filter(|c| c.state == ContactState::Answered && c.id.is_some())
                .collect();
            targets.sort_by_key(|c| (c.rank, c.addr));
            targets.truncate(self.config.replicas);
            // The writer keeps its own copy, closest or not (Kademlia's original publisher,
            // §2.5 of the paper; docs/protocol.md §8): a PUT is not acknowledged, and only a
            // holder challenges the replicas and re-propagates what they lost, so a writer that
            // kept nothing would lose a record whose every PUT datagram was lost (the lossy
            // scenario lost 2 of 300 records that way). A read-only node keeps nothing: it is
            // no replica, and it leaves soon.
            if !self.config.read_only {
                stored_locally = self.store_record(dat.clone(), None);
            }
            for c in &targets {
                let sent = self.outbox.push(c.addr, &Message::Put(dat.as_ref()));
                debug_assert!(sent.is_ok());
                replicas += 1;
                if let Some(id) = c.id {
                    self.store.mark_pushed(lookup.record, id);
                }
            }
        }
        self.emit(Event::LookupFinished(LookupReport {
            id: lookup.id,
            kind,
            record: lookup.record,
            end,
            found,
            hops,
            queries: lookup.queries,
            answered,
            latency: now.saturating_duration_since(lookup.started),
            replicas,
            stored_locally,
        }));
        if lookup.self_lookup {
            self.after_self_lookup();
        }
    }

    /// A GET: answer found, or not-found with up to REFERRALS of the active peers closest to the
    /// record other than the asker, within the anti-amplification allowance (§8). As in
    /// Kademlia's FIND_VALUE (§2.3 of the paper) they are referred whether or not they are closer
    /// than this node: referring only closer peers ended every lookup at a node that had become
    /// closest without holding the record yet (a node that has just joined).
    pub(super) fn on_get(&mut self, from: SocketAddr, pubkey: &[u8; 32], key: &[u8]) {
        let record = RecordId::of_query(pubkey, key);
        if let Some(len) = self
            .store
            .find(pubkey, key, record)
            .map(|d| 2 + d.encoded_len())
        {
            if !self.may_answer(from, len) {
                return self.reject(from, RejectReason::AmplificationLimit);
            }
            if let Some(dat) = self.store.find(pubkey, key, record) {
                let sent = self
                    .outbox
                    .push(from, &Message::GetAck(GetAck::Found(dat.as_ref())));
                debug_assert!(sent.is_ok());
            }
            return;
        }
        let mut chosen = Vec::new();
        // The closest table peers, active or only verified, by distance alone. Each proved its
        // key in a round trip, and the asker verifies every referral before it trusts it, so
        // nothing is gained by waiting ACTIVATE_AFTER; referring active peers first hid every
        // node that had joined in the last few seconds, so a node joining next to it found it
        // only at its next refresh, ten seconds later (baseline.json: join time p50 10.4 s).
        self.peers.closest(
            record,
            self.config.referrals,
            self.config.reliability_min,
            |p| p.addr() != from,
            &mut chosen,
        );
        let referrals: Vec<SocketAddr> = chosen
            .iter()
            .filter_map(|&i| self.peers.get(i))
            .map(|p| p.addr())
            .collect();
        let len = 1 + 1 + 32 + 1 + key.len() + 1 + crate::addr::ADDR_LEN * referrals.len();
        if self.may_answer(from, len) {
            let ack = GetAck::NotFound {
                pubkey: *pubkey,
                key,
                referrals: AddrList::Addrs(&referrals),
            };
            let sent = self.outbox.push(from, &Message::GetAck(ack));
            debug_assert!(sent.is_ok());
        } else {
            self.reject(from, RejectReason::AmplificationLimit);
        }
    }

    /// A GET_ACK: first a pending storage challenge, then every lookup that asked this address
    /// for this record. An answer nobody asked for is rejected (§8).
    pub(super) fn on_get_ack(&mut self, from: SocketAddr, ack: &GetAck<'_>) {
        let (pubkey, key) = match ack {
            GetAck::Found(dat) => (dat.pubkey, dat.key),
            GetAck::NotFound { pubkey, key, .. } => (*pubkey, *key),
        };
        let record = RecordId::of_query(&pubkey, key);
        let challenged = self.challenge_answer(from, record, ack);
        let mut matched = challenged;
        let mut i = 0;
        while i < self.lookups.list.len() {
            let lookup = &self.lookups.list[i];
            if lookup.record != record || lookup.pubkey != pubkey || lookup.key != key {
                i += 1;
                continue;
            }
            let Some(c) = lookup.position(&from) else {
                i += 1;
                continue;
            };
            match lookup.contacts[c].state {
                ContactState::InFlight | ContactState::Late => {}
                ContactState::Answered | ContactState::Failed => {
                    if !challenged {
                        self.reject(from, RejectReason::DuplicateAnswer);
                    }
                    return;
                }
                ContactState::Unasked => {
                    i += 1;
                    continue;
                }
            }
            matched = true;
            self.lookup_answer(i, c, ack);
            if !self.step_lookup(i) {
                i += 1;
            }
        }
        if !matched {
            self.reject(from, RejectReason::UnexpectedGetAck);
        }
    }

    /// Applies one valid-address answer to lookup `i`, contact `c`.
    fn lookup_answer(&mut self, i: usize, c: usize, ack: &GetAck<'_>) {
        let from = self.lookups.list[i].contacts[c].addr;
        match ack {
            GetAck::Found(dat) => {
                if let Err(e) = self.check_record(dat) {
                    self.lookups.list[i].contacts[c].state = ContactState::Failed;
                    return self.reject(from, RejectReason::InvalidRecord(e));
                }
                let lookup = &mut self.lookups.list[i];
                let contact = &mut lookup.contacts[c];
                contact.state = ContactState::Answered;
                let depth = contact.depth;
                lookup.max_depth = lookup.max_depth.max(depth);
                let newer = lookup
                    .found
                    .as_ref()
                    .is_none_or(|(have, _)| dat.version() > have.version());
                if newer {
                    lookup.found = Some((dat.to_owned_dat(), depth));
                }
            }
            GetAck::NotFound { referrals, .. } => {
                let lookup = &mut self.lookups.list[i];
                let contact = &mut lookup.contacts[c];
                contact.state = ContactState::Answered;
                let (depth, rank) = (contact.depth, contact.rank);
                lookup.max_depth = lookup.max_depth.max(depth);
                let mut fresh = Vec::new();
                for addr in referrals.iter() {
                    if !self.acceptable_peer_addr(&addr)
                        || self.lookups.list[i].position(&addr).is_some()
                    {
                        continue;
                    }
                    // Identity known from the table, or from a recent AUTH PONG of an address
                    // that found no room there.
                    let ttl = self.config.reauth_every;
                    let known = match self.peers.peer_at(&addr) {
                        Some(p) => p.node_id().map(|id| (id, p.reliability.score())),
                        None => self
                            .peers
                            .candidates
                            .recent(&addr, self.now, ttl)
                            .map(|id| (id, 0.5)),
                    };
                    let lookup = &mut self.lookups.list[i];
                    let (id, contact_rank) = match known {
                        Some((id, score)) => (
                            Some(id),
                            (
                                score < self.config.reliability_min,
                                lookup.record.distance(id),
                            ),
                        ),
                        None => (None, (rank.0, rank.1 >> 1)),
                    };
                    lookup.contacts.push(Contact {
                        addr,
                        id,
                        rank: contact_rank,
                        state: ContactState::Unasked,
                        depth: depth + 1,
                        deadline: self.now,
                    });
                    if id.is_none() {
                        fresh.push(addr);
                    }
                }
                self.lookups.list[i].sort();
                for &addr in &fresh {
                    self.offer_candidate(addr, super::liveness::Source::Referral);
                }
            }
        }
    }

    /// The acceptance rules of §3 for a record received from the network.
    pub(super) fn check_record(&self, dat: &DatRef<'_>) -> Result<(), crate::dat::DatError> {
        dat.verify(self.now.as_millis(), &self.rules, &*self.crypto)
    }
}
