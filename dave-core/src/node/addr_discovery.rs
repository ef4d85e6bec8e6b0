//! Own address and loopback prevention (docs/protocol.md §6).
//!
//! At start and every ADDR_EVERY the node asks its verified edges (or, without edges, a few
//! random active peers) "what address do you see me at?". It adopts an answer when an edge gives
//! it or two different responders agree, and then drops datagrams from that address and never
//! adds it to its table. Only addresses asked in the current round may answer, once each.
//! GETMYADDRPORT is answered only to verified peers, because the answer is 19× the question.

use std::net::SocketAddr;

use crate::event::{Event, RejectReason};
use crate::time::Time;
use crate::timer::Timer;
use crate::wire::Message;

use super::Node;

/// Active peers asked per round when the node has no edges.
const PEERS_ASKED: usize = 3;

#[derive(Debug, Default)]
pub(crate) struct AddrDiscovery {
    adopted: Option<SocketAddr>,
    /// `(responder, is_edge, answer)` for the current round.
    asked: Vec<(SocketAddr, bool, Option<SocketAddr>)>,
    /// When each responder of this round was last asked (parallel to `asked`).
    asked_at: Vec<Time>,
}

impl AddrDiscovery {
    pub(crate) fn adopted(&self) -> Option<SocketAddr> {
        self.adopted
    }
}

impl Node {
    /// Starts a discovery round: asks every verified edge, or a few random active peers.
    pub(super) fn start_addr_round(&mut self) {
        self.addr.asked.clear();
        self.addr.asked_at.clear();
        let has_edges = self.peers.iter().any(|(_, p)| p.edge);
        let mut targets = Vec::new();
        if has_edges {
            targets.extend(
                self.peers
                    .iter()
                    .filter(|(_, p)| p.edge && p.is_verified())
                    .map(|(_, p)| p.addr()),
            );
        } else {
            let rng = &mut self.rng;
            let unused = SocketAddr::from(([0, 0, 0, 0], 0));
            self.peers.share(
                &unused,
                PEERS_ASKED,
                || rand_core::Rng::next_u64(rng),
                &mut targets,
            );
        }
        for &to in &targets {
            self.ask_addr(to);
        }
        self.timers.set(
            Timer::AddrDiscovery,
            Some(self.now + self.config.addr_every),
        );
    }

    fn ask_addr(&mut self, to: SocketAddr) {
        let edge = self.peers.peer_at(&to).is_some_and(|p| p.edge);
        match self.addr.asked.iter().position(|(a, _, _)| *a == to) {
            Some(i) => self.addr.asked_at[i] = self.now,
            None => {
                self.addr.asked.push((to, edge, None));
                self.addr.asked_at.push(self.now);
            }
        }
        self.send(to, &Message::GetMyAddrPort);
    }

    /// A peer was just verified: schedule the join lookup. (It is asked for our address at its
    /// next pong, by when it has verified us too and will answer.)
    pub(super) fn on_verified(&mut self) {
        self.schedule_join();
    }

    /// While we lack an address, ask a peer that just answered a ping: edges always, other
    /// peers only when there are no edges. A question that went unanswered for a ping interval
    /// is asked again, because the peer answers only once it has verified us, which may happen
    /// a round trip after we verified it.
    pub(super) fn consider_addr_question(&mut self, addr: SocketAddr, edge: bool) {
        if self.addr.adopted.is_some() {
            return;
        }
        match self.addr.asked.iter().position(|(a, _, _)| *a == addr) {
            Some(i) => {
                let unanswered = self.addr.asked[i].2.is_none();
                let stale = self.now.saturating_duration_since(self.addr.asked_at[i])
                    >= self.config.ping_every;
                if unanswered && stale {
                    self.ask_addr(addr);
                }
            }
            None => {
                let has_edges = self.peers.iter().any(|(_, p)| p.edge);
                if edge || (!has_edges && self.addr.asked.len() < PEERS_ASKED) {
                    self.ask_addr(addr);
                }
            }
        }
    }

    /// GETMYADDRPORT: answered to verified peers only (§6): table peers that passed a round
    /// trip, newcomers waiting for a full bucket's test-before-evict, and addresses that proved
    /// their key within DROP_AFTER but found no room in the table (the candidate list
    /// remembers them).
    pub(super) fn on_get_my_addr(&mut self, from: SocketAddr) {
        let verified = self
            .peers
            .peer_at(&from)
            .is_some_and(|p| p.is_verified() && p.has_round_trip())
            || self
                .peers
                .evictions
                .iter()
                .any(|e| e.newcomer.addr() == from)
            || self
                .peers
                .candidates
                .recent(&from, self.now, self.config.drop_after)
                .is_some();
        if !verified {
            return self.reject(from, RejectReason::NotVerified);
        }
        self.send(from, &Message::GetMyAddrPortAck(from));
    }

    /// GETMYADDRPORT_ACK: counted only from an address asked this round, once.
    pub(super) fn on_my_addr(&mut self, from: SocketAddr, seen: SocketAddr) {
        let slot = self
            .addr
            .asked
            .iter_mut()
            .find(|(a, _, answer)| *a == from && answer.is_none());
        let Some((_, edge, answer)) = slot else {
            return self.reject(from, RejectReason::UnexpectedAddrAck);
        };
        if !crate::addr::is_routable(&seen) {
            return self.reject(from, RejectReason::UnexpectedAddrAck);
        }
        *answer = Some(seen);
        let edge = *edge;
        let agreeing = self
            .addr
            .asked
            .iter()
            .filter(|(_, _, a)| *a == Some(seen))
            .count();
        if (edge || agreeing >= 2) && self.addr.adopted != Some(seen) {
            self.addr.adopted = Some(seen);
            self.forget_own_address(seen);
            self.emit(Event::AddressAdopted { addr: seen });
        }
    }
}
