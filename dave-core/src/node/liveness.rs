//! Pings, pongs and the life of a peer (docs/protocol.md §5): candidates, verification, activation,
//! deactivation, dropping, test-before-evict and sharing.

use std::net::SocketAddr;

use crate::event::{Event, RejectReason};
use crate::peers::{Admit, Candidate, Offer, Peer, PeerIdx, PendingPing, awaited};
use crate::timer::Timer;
use crate::wire::{AddrList, Message, PADDED_PING_LEN, PingKind, Pong, PongAuth, pong_digest};

use super::Node;

/// Bytes of a PING without padding.
const PING_LEN: usize = 34;
/// Bytes of a LIVE PONG.
const LIVE_PONG_LEN: usize = 34;
/// Bytes of an AUTH PONG without addresses: op, kind, nonce, salt, pubkey, sig, count.
const AUTH_PONG_BASE: usize = 1 + 1 + 32 + 16 + 32 + 64 + 1;
/// Bytes per shared address.
const ADDR_LEN: usize = crate::addr::ADDR_LEN;

/// Interval between paced pings to shared candidates. Decision (not in the spec): once the table
/// holds K peers of its own, candidates learned from AUTH PONGs are not all pinged at once: each
/// answer would share twelve more, a cascade that grows with the network. One a second fills a
/// table in a minute or two; the join lookup's referrals (pinged at once) fill the buckets near
/// us sooner. Below K peers (a node joining) a shared address is pinged at once: the cascade is
/// then bounded by the candidate list (MAX_CANDIDATES pings in flight) and ends with the join.
const CANDIDATE_PACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Retries of a candidate's unanswered AUTH PING, each QUERY_TIMEOUT after the last try (see
/// `retry_handshakes`).
const HANDSHAKE_RETRIES: u8 = 2;

/// First delay before an edge that has not answered is pinged again (doubling up to
/// PING_EVERY). Decision (not in the spec): a node with no peer but silent edges retries within a
/// second, as when a cluster starts together and the edge binds its socket last. Half a second
/// is above most Internet round trips, so a slow edge's answer is rarely overtaken by the retry
/// (which replaces the pending nonce).
pub(super) const EDGE_RETRY_MIN: std::time::Duration = std::time::Duration::from_millis(500);

/// Where a candidate address came from, which decides how it is first pinged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source {
    /// It pinged us: ping back at once, padded to `pad_to`, what its anti-amplification
    /// allowance had left after our answer (already spent).
    PingSender { pad_to: usize },
    /// A lookup was referred to it: ping at once (padded) so the lookup learns its identity.
    Referral,
    /// A peer shared it in an AUTH PONG: pinged padded, at once while the table holds fewer
    /// than K peers of its own, else later, paced.
    Shared,
    /// It sent us a LIVE PING though we do not hold it, after our table reached K peers:
    /// pinged padded later, paced, as a shared address is.
    Stranger,
}

/// Who a PONG from some address answers.
enum Pinged {
    Peer(PeerIdx),
    Candidate,
}

impl Node {
    /// A PING: answer it, and if the sender is new and not read-only, make it a candidate and
    /// ping it back within the anti-amplification allowance (§5, §8). A read-only sender (a
    /// short-lived client, BEP 43) is answered but never enters the candidate list or table.
    pub(super) fn on_ping(
        &mut self,
        from: SocketAddr,
        kind: PingKind,
        nonce: [u8; 32],
        read_only: bool,
    ) {
        match kind {
            PingKind::Live => {
                if !self.may_answer(from, LIVE_PONG_LEN) {
                    self.reject(from, RejectReason::AmplificationLimit);
                    return;
                }
                let pong = Pong {
                    kind,
                    nonce,
                    auth: None,
                };
                self.send(from, &Message::Pong(pong));
            }
            PingKind::Auth => {
                if !self.send_auth_pong(from, nonce) {
                    return;
                }
            }
        }
        if read_only {
            return;
        }
        // A table peer's ping (nearly every ping) needs nothing more, and is told apart by one
        // index probe before the candidate list is scanned.
        if self.peers.by_addr(&from).is_some() || !self.acceptable_peer_addr(&from) {
            return;
        }
        // One scan of the candidate list answers both questions below about our handshake.
        let handshake = self.peers.candidates.pending_ping(&from);
        let known = handshake.is_some_and(|p| awaited(p, self.now, self.config.query_timeout))
            || self
                .peers
                .evictions
                .iter()
                .any(|e| e.newcomer.addr() == from);
        if known {
            return;
        }
        // A LIVE PING from a stranger comes from a node that verified us long ago and keeps us
        // in its table while we do not keep it: once our table holds K peers it is paced like a
        // shared address instead of answered with a handshake at once. Decision (issue 11,
        // found at 2,000 nodes): the nodes that joined first sit in hundreds of tables (test
        // before evict keeps incumbents), and each of their ~1,000 strangers' pings, every
        // PING_EVERY, overflowed the recently verified list and started a full AUTH handshake:
        // 4 of the 7.5 AUTH PONGs a node signed each second at steady state, one in six
        // datagrams, for strangers that found no room. An AUTH PING from a stranger is first
        // contact (a join, a referral) and is still answered at once, as is any stranger whose
        // handshake we began and lost (its retry, below).
        if kind == PingKind::Live
            && self.peers.bucketed_len() >= self.config.k
            && handshake.is_none()
        {
            if self.wants_shared_candidates() {
                self.offer_candidate(from, Source::Stranger);
            }
            return;
        }
        // The answering AUTH PING is padded with what the allowance has left after our answer
        // (up to a padded PING), so that it alone earns its own AUTH PONG whichever of our two
        // datagrams arrives first (§8). Decision (issue 11, found at 10,000 nodes): sent
        // unpadded, it reached the pinger before our PONG about half the time under jitter;
        // the pinger could not afford to answer 34 bytes with 147, the handshake stopped half
        // done (the pinger held us, we never held it), and so did every later try, made in
        // answer to its 34-byte LIVE pings: of 10,000 nodes joining within 3 s, 22 had not
        // joined after 30 s (docs/simulator.md §"Join time"); padded, none.
        if let Some(pad_to) = self.stranger_ping_pad(from, PING_LEN) {
            self.offer_candidate(from, Source::PingSender { pad_to });
        }
    }

    /// Spends and returns the padding of a handshake PING to `to`, an address outside the
    /// table, under the 3× rule (§8): what its live allowance has left, up to a padded PING;
    /// `None` when that is less than a bare PING. `unlimited` is the padding when the rule is off.
    fn stranger_ping_pad(&mut self, to: SocketAddr, unlimited: usize) -> Option<usize> {
        let pad_to = if self.config.anti_amplification {
            self.amp
                .live_allowance(&to, self.now)
                .min(PADDED_PING_LEN as u64) as usize
        } else {
            unlimited
        };
        (pad_to >= PING_LEN && self.may_answer(to, pad_to)).then_some(pad_to)
    }

    /// Signs and queues an AUTH PONG with as many shared peers as the allowance permits.
    fn send_auth_pong(&mut self, to: SocketAddr, nonce: [u8; 32]) -> bool {
        let mut n = self.config.npeer_limit.min(u8::MAX as usize);
        if self.config.anti_amplification {
            let allowance = self.allowance(&to).min(usize::MAX as u64) as usize;
            if allowance < AUTH_PONG_BASE {
                self.reject(to, RejectReason::AmplificationLimit);
                return false;
            }
            n = n.min((allowance - AUTH_PONG_BASE) / ADDR_LEN);
        }
        let mut addrs = Vec::new();
        let rng = &mut self.rng;
        self.peers
            .share(&to, n, || rand_core::Rng::next_u64(rng), &mut addrs);
        let len = AUTH_PONG_BASE + ADDR_LEN * addrs.len();
        if !self.may_answer(to, len) {
            self.reject(to, RejectReason::AmplificationLimit);
            return false;
        }
        let salt: [u8; 16] = self.random_bytes();
        let list = AddrList::Addrs(&addrs);
        let sig = self
            .crypto
            .sign(&self.signing_key, &pong_digest(&nonce, &salt, &list));
        let auth = PongAuth {
            salt,
            pubkey: self.public_key,
            sig,
            addrs: list,
        };
        let pong = Pong {
            kind: PingKind::Auth,
            nonce,
            auth: Some(auth),
        };
        self.send(to, &Message::Pong(pong));
        true
    }

    /// Sends a PING and returns it as pending. `pad_to` 0 for a peer that passed a round trip
    /// or an answer within the allowance, [`PADDED_PING_LEN`] otherwise. A read-only node flags
    /// and pads every PING: nobody completes a round trip with it, so every answer it gets is
    /// paid from its own bytes (§5, §8).
    fn send_ping(&mut self, to: SocketAddr, kind: PingKind, pad_to: usize) -> PendingPing {
        let nonce = ping_nonce(&self.nonce_key, &to, kind, self.now);
        let read_only = self.config.read_only;
        let pad_to = if read_only { PADDED_PING_LEN } else { pad_to };
        self.send(
            to,
            &Message::Ping {
                kind,
                nonce,
                read_only,
                pad_to,
            },
        );
        PendingPing::new(kind, self.now)
    }

    /// Offers an address to the candidate list (§5). How it is pinged depends on where it came
    /// from (see [`Source`]). Addresses verified recently without entering the table are not
    /// offered again for REAUTH_EVERY.
    pub(super) fn offer_candidate(&mut self, addr: SocketAddr, source: Source) {
        if !self.acceptable_peer_addr(&addr) || self.peers.by_addr(&addr).is_some() {
            return;
        }
        let ttl = self.config.reauth_every;
        if self.peers.candidates.recent(&addr, self.now, ttl).is_some() {
            return;
        }
        let candidate = Candidate::new(&addr);
        let group_limit = if self.config.local && crate::addr::is_local(&addr) {
            usize::MAX
        } else {
            self.config.group_limit_table
        };
        let rng = &mut self.rng;
        let offer =
            self.peers
                .candidates
                .offer(candidate, self.config.max_candidates, group_limit, || {
                    rand_core::Rng::next_u64(rng)
                });
        // A known candidate is pinged again when it pings us or is referred to us, unless its
        // last AUTH PING may still be answered. Decision (issue 11, found in baseline.json):
        // a handshake datagram lost on a 2 % lossy link left the candidate's unanswered ping
        // standing until it expired, and the node met that neighbour ten seconds later, at its
        // next refresh, although the neighbour had been pinging it all along (a tenth of the
        // 300 starts joined in about 10 s instead of under one).
        let retry = offer == Offer::Known
            && !matches!(source, Source::Shared | Source::Stranger)
            && !self
                .peers
                .candidates
                .awaits_answer(&addr, self.now, self.config.query_timeout);
        if offer != Offer::Added && !retry {
            return;
        }
        let pad_to = match source {
            Source::PingSender { pad_to } => pad_to,
            Source::Referral => PADDED_PING_LEN,
            Source::Shared if self.peers.bucketed_len() < self.config.k => PADDED_PING_LEN,
            Source::Shared | Source::Stranger => {
                if self.timers.get(Timer::Candidates).is_none() {
                    self.timers.set(Timer::Candidates, Some(self.now));
                }
                return;
            }
        };
        self.ping_candidate(addr, pad_to);
    }

    /// Whether shared addresses (and strangers' LIVE PINGs) are worth keeping as candidates:
    /// while the table holds fewer than K peers of its own, or a far bucket has room.
    fn wants_shared_candidates(&self) -> bool {
        self.peers.bucketed_len() < self.config.k || self.peers.wants_peers(self.config.k)
    }

    fn ping_candidate(&mut self, addr: SocketAddr, pad_to: usize) {
        let ping = self.send_ping(addr, PingKind::Auth, pad_to);
        if let Some(c) = self.peers.candidates.get_mut(&addr) {
            c.ping = Some(ping);
        }
        let due = self.now + self.config.query_timeout;
        if self
            .timers
            .get(Timer::HandshakeRetry)
            .is_none_or(|armed| armed > due)
        {
            self.timers.set(Timer::HandshakeRetry, Some(due));
        }
    }

    /// Sends each candidate whose AUTH PING went unanswered for QUERY_TIMEOUT its next retry
    /// (at most [`HANDSHAKE_RETRIES`]), padded as far as the address's anti-amplification
    /// allowance permits (§5, §8). Decision (issue 11, found in `growth.json`): a handshake
    /// datagram lost on a 1 % lossy link — our PING or the AUTH PONG answering it — left the
    /// node without that neighbour until the neighbour happened to ping it (PING_EVERY later,
    /// if it held the node) or the next refresh; those were the starts of growth's join tail,
    /// 5 and 10 s. The retry is sent only within the allowance: an address that sent us nothing
    /// in the last second (a dead referral, a spoofed pinger's victim) gets no second datagram,
    /// while a live neighbour that answered our lookup's GET or pinged us back has earned it.
    /// Two retries rather than one: on `lossy.json`'s bursty 14 % loss a second one moved the
    /// join p90 from 4.5–5.4 s to 3.4–4.2 s (seeds 1–5); a third changed nothing measurable.
    pub(super) fn retry_handshakes(&mut self) {
        let retry = self.config.query_timeout;
        while let Some((addr, n)) =
            self.peers
                .candidates
                .take_unanswered(self.now, retry, HANDSHAKE_RETRIES)
        {
            if let Some(pad_to) = self.stranger_ping_pad(addr, PADDED_PING_LEN) {
                let ping = self.send_ping(addr, PingKind::Auth, pad_to).with_retries(n);
                if let Some(c) = self.peers.candidates.get_mut(&addr) {
                    c.ping = Some(ping);
                }
            }
        }
        self.timers.set(
            Timer::HandshakeRetry,
            self.peers
                .candidates
                .next_unanswered(retry, HANDSHAKE_RETRIES),
        );
    }

    /// The candidate pacing timer: one padded AUTH PING to a random shared candidate per
    /// [`CANDIDATE_PACE`], while the table has room where a random newcomer would likely land.
    pub(super) fn ping_next_candidate(&mut self) {
        if !self.peers.wants_peers(self.config.k) {
            self.peers.candidates.drop_unpinged();
            // Re-check later: peers may drop.
            self.timers
                .set(Timer::Candidates, Some(self.now + self.config.ping_every));
            return;
        }
        let random = self.random_u64();
        match self.peers.candidates.unpinged(random) {
            Some(addr) => {
                self.ping_candidate(addr, PADDED_PING_LEN);
                self.timers
                    .set(Timer::Candidates, Some(self.now + CANDIDATE_PACE));
            }
            None => self.timers.set(Timer::Candidates, None),
        }
    }

    /// A PONG: valid only as the answer to our pending ping from that address, with the right
    /// nonce and kind, within one ping interval; an AUTH PONG must also show the pinned key (if
    /// any) and a valid signature. Anything else is rejected and the nonce stays pending.
    pub(super) fn on_pong(&mut self, from: SocketAddr, pong: &Pong<'_>) {
        let now = self.now;
        let validity = self.config.ping_every;
        let nonce_key = self.nonce_key;
        let matches = |p: &Option<PendingPing>| {
            p.as_ref().is_some_and(|p| {
                p.kind() == pong.kind
                    && now.saturating_duration_since(p.sent()) <= validity
                    && ping_nonce(&nonce_key, &from, p.kind(), p.sent()) == pong.nonce
            })
        };
        let (pinged, pending) = match self.peers.by_addr(&from) {
            Some(idx) => match self.peers.get(idx) {
                Some(peer) if matches(&peer.ping) => (Pinged::Peer(idx), peer.ping),
                _ => return self.reject(from, RejectReason::UnexpectedPong),
            },
            None => match self.peers.candidates.get_mut(&from) {
                Some(c) if matches(&c.ping) => (Pinged::Candidate, c.ping),
                _ => return self.reject(from, RejectReason::UnexpectedPong),
            },
        };
        let Some(pending) = pending else { return };
        let rtt = now.saturating_duration_since(pending.sent());

        if let Some(auth) = &pong.auth {
            let mismatch = match pinged {
                Pinged::Peer(idx) => self
                    .peers
                    .get(idx)
                    .is_some_and(|p| p.is_verified() && !p.holds_key(&auth.pubkey)),
                Pinged::Candidate => false,
            };
            if mismatch {
                return self.reject(from, RejectReason::PinnedKeyMismatch);
            }
            let id = crate::id::NodeId::from_public_key(&auth.pubkey);
            if id == self.node_id {
                return self.reject(from, RejectReason::DuplicateIdentity);
            }
            let digest = pong_digest(&pong.nonce, &auth.salt, &auth.addrs);
            if !self.crypto.verify(&auth.pubkey, &digest, &auth.sig) {
                return self.reject(from, RejectReason::BadPongSignature);
            }
        }

        match pinged {
            Pinged::Peer(idx) => self.peer_answered(idx, pong, rtt),
            Pinged::Candidate => {
                self.peers.candidates.remove(&from);
                if let Some(auth) = &pong.auth {
                    let peer = Peer::verified(from, auth.pubkey, now, rtt);
                    self.admit(peer);
                }
            }
        }
        if let Some(auth) = &pong.auth {
            let id = crate::id::NodeId::from_public_key(&auth.pubkey);
            self.lookups.learn_identity(from, id);
            if self.wants_shared_candidates() {
                for addr in auth.addrs.iter() {
                    if addr != from {
                        self.offer_candidate(addr, Source::Shared);
                    }
                }
            }
        }
    }

    /// A table peer answered its pending ping correctly.
    fn peer_answered(&mut self, idx: PeerIdx, pong: &Pong<'_>, rtt: std::time::Duration) {
        let now = self.now;
        let Some(peer) = self.peers.get_mut(idx) else {
            return;
        };
        peer.ping = None;
        let (addr, first_verification) = (peer.addr(), !peer.is_verified());
        match (&pong.auth, first_verification) {
            (Some(auth), true) => {
                // An edge's first AUTH PONG pins its key.
                if !self.peers.pin_edge(idx, auth.pubkey, now, rtt) {
                    return self.reject(addr, RejectReason::DuplicateIdentity);
                }
                let node_id = crate::id::NodeId::from_public_key(&auth.pubkey);
                self.edge_retry = EDGE_RETRY_MIN;
                self.emit(Event::PeerAdded {
                    addr,
                    node_id,
                    edge: true,
                });
                self.on_verified();
            }
            (Some(_), false) => {
                peer.last_auth = crate::time::MaybeTime::some(now);
                peer.answered(now, rtt);
            }
            (None, _) => peer.answered(now, rtt),
        }
        self.update_activity(idx);
        if let Some(peer) = self.peers.get(idx) {
            if peer.verified_at.get().is_some_and(|t| t < now) {
                let (addr, edge) = (peer.addr(), peer.edge);
                self.consider_addr_question(addr, edge);
            }
        }
    }

    /// Places a newly verified candidate in the table (§5 limits, test-before-evict).
    fn admit(&mut self, peer: Peer) {
        let (addr, node_id) = (peer.addr(), peer.id);
        match self.peers.admit(peer, self.now, &self.config) {
            Admit::Added(_) => {
                self.adopt_credit(&addr);
                self.emit(Event::PeerAdded {
                    addr,
                    node_id,
                    edge: false,
                });
                self.on_verified();
            }
            Admit::Replaced {
                addr: evicted,
                node_id: evicted_id,
                reliability,
            } => {
                self.adopt_credit(&addr);
                self.emit(Event::PeerEvicted {
                    addr: evicted,
                    node_id: evicted_id,
                    reliability,
                });
                self.emit(Event::PeerAdded {
                    addr,
                    node_id,
                    edge: false,
                });
                self.on_verified();
            }
            Admit::Testing { incumbent } => self.test_incumbent(incumbent),
            Admit::BucketFull | Admit::GroupLimit | Admit::Duplicate => {
                self.peers.candidates.remember(addr, node_id, self.now);
            }
        }
    }

    /// Pings the incumbent of a full bucket unless a ping to it is already pending.
    fn test_incumbent(&mut self, idx: PeerIdx) {
        let Some(peer) = self.peers.get(idx) else {
            return;
        };
        let pending_fresh = peer
            .ping
            .is_some_and(|p| self.now.saturating_duration_since(p.sent()) < self.config.ping_every);
        if pending_fresh {
            return;
        }
        let addr = peer.addr();
        let ping = self.send_ping(addr, PingKind::Live, 0);
        if let Some(peer) = self.peers.get_mut(idx) {
            peer.ping = Some(ping);
        }
    }

    /// Settles test-before-evict contests whose deadline passed (§5).
    pub(super) fn settle_evictions(&mut self) {
        let now = self.now;
        let mut i = 0;
        while i < self.peers.evictions.len() {
            if self.peers.evictions[i].deadline > now {
                i += 1;
                continue;
            }
            let pending = self.peers.evictions.swap_remove(i);
            let (addr, node_id) = (pending.newcomer.addr(), pending.newcomer.id);
            if let Some((evicted, _)) = self.peers.settle_eviction(pending, now, &self.config) {
                self.adopt_credit(&addr);
                self.emit(Event::PeerEvicted {
                    addr: evicted.addr(),
                    node_id: evicted.id,
                    reliability: evicted.reliability.score(),
                });
                self.emit(Event::PeerAdded {
                    addr,
                    node_id,
                    edge: false,
                });
                self.on_verified();
            }
        }
    }

    /// Activates a peer verified ACTIVATE_AFTER ago that answered within DEACTIVATE_AFTER, and
    /// deactivates an active one that has been silent longer (§5).
    fn update_activity(&mut self, idx: PeerIdx) {
        let now = self.now;
        let (activate_after, deactivate_after) =
            (self.config.activate_after, self.config.deactivate_after);
        let Some(peer) = self.peers.get_mut(idx) else {
            return;
        };
        let Some(verified_at) = peer.verified_at.get() else {
            return;
        };
        let answered_recently = peer
            .last_pong
            .get()
            .is_some_and(|t| now.saturating_duration_since(t) <= deactivate_after);
        let old_enough = now.saturating_duration_since(verified_at) >= activate_after;
        let (addr, node_id) = (peer.addr(), peer.id);
        if !peer.active && answered_recently && old_enough {
            peer.active = true;
            self.emit(Event::PeerActivated { addr, node_id });
            self.start_handoff(node_id);
        } else if peer.active && !answered_recently {
            peer.active = false;
            self.emit(Event::PeerDeactivated { addr, node_id });
        }
    }

    /// Handles every peer due for maintenance: drop if silent for DROP_AFTER, update activity,
    /// and send the next LIVE ping (or AUTH ping every REAUTH_EVERY and until verified).
    pub(super) fn maintain_peers(&mut self) {
        let now = self.now;
        let mut pinged_silent_edge = false;
        while let Some(idx) = self.peers.pop_due(now) {
            let Some(peer) = self.peers.get(idx) else {
                continue;
            };
            let heard = peer.last_pong.get().or(peer.verified_at.get());
            let silent = heard.map(|t| now.saturating_duration_since(t));
            if !peer.edge && silent.is_none_or(|s| s >= self.config.drop_after) {
                if let Some(peer) = self.peers.remove(idx) {
                    self.emit(Event::PeerDropped {
                        addr: peer.addr(),
                        node_id: peer.id,
                    });
                }
                continue;
            }
            if peer.edge
                && peer.is_verified()
                && silent.is_some_and(|s| s >= self.config.drop_after)
            {
                // An edge is never dropped, but after DROP_AFTER of silence its pinned key is
                // released, so that an edge restarted with a new key is re-admitted (§5 says a
                // new key is accepted "once the old entry drops"; an edge's entry never does).
                self.peers.unpin_edge(idx);
            }
            self.update_activity(idx);
            let Some(peer) = self.peers.get(idx) else {
                continue;
            };
            let reauth = !peer.is_verified()
                || peer
                    .last_auth
                    .get()
                    .is_none_or(|t| now.saturating_duration_since(t) >= self.config.reauth_every);
            let kind = if reauth {
                PingKind::Auth
            } else {
                PingKind::Live
            };
            // An AUTH PONG is larger than 3× an unpadded AUTH PING, and the 3× rule holds for
            // verified peers too (§8); a LIVE PONG is the size of its PING.
            let pad = if kind == PingKind::Auth || !peer.has_round_trip() {
                PADDED_PING_LEN
            } else {
                0
            };
            let addr = peer.addr();
            let ping = self.send_ping(addr, kind, pad);
            if let Some(peer) = self.peers.get_mut(idx) {
                peer.ping = Some(ping);
            }
            let mut next = now + self.ping_interval();
            if let Some(peer) = self.peers.get(idx) {
                // An edge that has not answered yet (not up yet, or its first answer lost) is
                // asked again soon: until it answers the node knows nobody at all.
                if peer.edge && !peer.is_verified() {
                    next = next.min(now + self.edge_retry);
                    pinged_silent_edge = true;
                }
                // The ping that can activate a new peer goes out the moment it is old enough,
                // so its answer activates it ACTIVATE_AFTER (plus a round trip) after its
                // verification, not a whole ping interval later.
                if let Some(verified_at) = peer.verified_at.get().filter(|_| !peer.active) {
                    let ripe = verified_at + self.config.activate_after;
                    if ripe > now {
                        next = next.min(ripe);
                    }
                }
            }
            self.peers.reschedule(idx, next);
        }
        if pinged_silent_edge {
            self.edge_retry = (self.edge_retry * 2).min(self.config.ping_every);
        }
    }

    /// The delay to a peer's next ping: PING_EVERY less a random tenth of it, so that peers
    /// added together (a join, a restart) drift apart instead of being pinged in one burst
    /// forever. Never longer than PING_EVERY, so a peer is pinged at least that often.
    fn ping_interval(&mut self) -> std::time::Duration {
        let every = self.config.ping_every;
        let tenth = u64::try_from(every.as_micros() / 10).unwrap_or(u64::MAX);
        let jitter = if tenth == 0 {
            0
        } else {
            self.random_u64() % tenth
        };
        every - std::time::Duration::from_micros(jitter)
    }

    /// Periodic cleanup: unanswered candidates and idle anti-amplification entries.
    pub(super) fn housekeeping(&mut self) {
        let now = self.now;
        let remember_for = self.config.reauth_every.max(self.config.drop_after);
        self.peers
            .candidates
            .expire(now, self.config.ping_every, remember_for);
        self.amp.expire(now);
        self.announce_anchors();
        self.timers.set(
            crate::timer::Timer::Housekeeping,
            Some(now + self.config.ping_every),
        );
    }

    /// Removes a table entry at our own address once we learn it (§6).
    pub(super) fn forget_own_address(&mut self, own: SocketAddr) {
        self.peers.candidates.remove(&own);
        if let Some(idx) = self.peers.by_addr(&own) {
            if self.peers.get(idx).is_some_and(|p| !p.edge) {
                self.peers.remove(idx);
            }
        }
    }
}

/// The nonce of our ping of `kind` to `to` sent at `sent`: a keyed BLAKE3 under the node's
/// secret nonce key, so a pending ping stores 8 bytes instead of 48 (every peer and
/// candidate holds one) and its nonce is recomputed when the pong arrives. Unpredictable
/// without the key, as a random nonce is; one pending ping per address, so unique where
/// it matters.
fn ping_nonce(
    key: &[u8; 32],
    to: &SocketAddr,
    kind: PingKind,
    sent: crate::time::Time,
) -> [u8; 32] {
    let mut input = [0u8; crate::addr::ADDR_LEN + 9];
    let (addr, rest) = input.split_at_mut(crate::addr::ADDR_LEN);
    let mut encoded = [0u8; crate::addr::ADDR_LEN];
    crate::addr::encode_addr(to, &mut encoded);
    addr.copy_from_slice(&encoded);
    rest[..8].copy_from_slice(&sent.as_micros().to_le_bytes());
    rest[8] = match kind {
        PingKind::Auth => 0,
        PingKind::Live => 1,
    };
    *blake3::keyed_hash(key, &input).as_bytes()
}
