//! Anchor peers (PROTOCOL.md §5, "Anchors"): the proven peers a node's backup keeps so that
//! a restart begins from them rather than from an empty table.
//!
//! The restart is an eclipse attacker's best moment (Heilman et al. 2015): the table is
//! empty and whoever answers first fills it. Bitcoin Core answers with anchor connections and
//! its persisted tried table; Dave keeps the addresses of its longest-proven active peers.
//! The node announces the list with [`Event::Anchors`] whenever it changed, at most once per
//! [`ANCHOR_EVERY`]; the driver writes it with the backup and hands it back through
//! [`Node::restore_anchors`], which pings each address at once, before any flooder can.
//! Only addresses are kept: a restored address is verified anew and pins whatever key
//! answers there, so a stale list costs a ping and grants nothing.

use std::net::SocketAddr;
use std::time::Duration;

use super::Node;
use super::liveness::Source;
use crate::event::Event;
use crate::time::Time;

/// Least interval between two anchor announcements.
pub const ANCHOR_EVERY: Duration = Duration::from_secs(60);

impl Node {
    /// The current anchors: up to ANCHORS active non-edge peers, longest verified first.
    pub fn anchors(&self) -> Vec<SocketAddr> {
        let mut proven: Vec<(Time, SocketAddr)> = self
            .peers
            .iter()
            .filter(|(_, p)| p.active && !p.edge)
            .filter_map(|(_, p)| p.verified_at.get().map(|t| (t, p.addr())))
            .collect();
        proven.sort_unstable();
        proven.truncate(self.config.anchors);
        // A list of exactly its size: the node keeps the last one and a simulator's backup log
        // keeps another, in every node (collecting in place would keep the room of every peer).
        let mut anchors = Vec::with_capacity(proven.len());
        anchors.extend(proven.into_iter().map(|(_, a)| a));
        anchors
    }

    /// Pings every restored anchor at once (padded AUTH PINGs, as to any unverified address).
    pub fn restore_anchors(&mut self, now: Time, anchors: impl IntoIterator<Item = SocketAddr>) {
        self.advance_clock(now);
        for addr in anchors.into_iter().take(self.config.anchors) {
            self.offer_candidate(addr, Source::Referral);
        }
        self.refresh_timers();
    }

    /// Announces the anchors if they changed and ANCHOR_EVERY passed since the last time.
    pub(super) fn announce_anchors(&mut self) {
        if self.config.anchors == 0
            || self
                .anchors_announced
                .is_some_and(|t| self.now.saturating_duration_since(t) < ANCHOR_EVERY)
        {
            return;
        }
        let anchors = self.anchors();
        let digest = anchors_digest(&anchors);
        if anchors.is_empty() || digest == self.last_anchors {
            return;
        }
        self.anchors_announced = Some(self.now);
        self.last_anchors = digest;
        self.emit(Event::Anchors(anchors));
    }
}

/// A collision-resistant digest of an anchor list, to tell whether it changed.
fn anchors_digest(anchors: &[SocketAddr]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key("dave v1 anchors digest");
    let mut encoded = [0u8; crate::addr::ADDR_LEN];
    for addr in anchors {
        crate::addr::encode_addr(addr, &mut encoded);
        hasher.update(&encoded);
    }
    *hasher.finalize().as_bytes()
}
