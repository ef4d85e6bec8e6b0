//! The address poisoner: a real Dave identity that introduces itself to a few honest nodes
//! (its `contacts`, an AUTH PING every `ping_every`), answers every PING so that it stays in
//! their tables, and fills every address list it hands out — the peers of its AUTH PONGs and
//! the referrals of its not-found GET_ACKs — with poison: a share `fake` of addresses no
//! host has (routable-looking, so only a handshake can tell), a share `unroutable`
//! (port 0, unspecified, multicast), and attacker addresses of its own group for the rest.
//!
//! The defences it meets (§5): unroutable addresses are never added; a shared or referred
//! address is only a candidate until it answers an AUTH PING, so fake ones never reach a
//! table or another node's PONG; attacker addresses are held to the group limits.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use dave_core::wire::Message;
use rand::RngExt;

use super::speaker::Speaker;
use super::{AdversaryEvent, AttackCounters, Attacker, AttackerContext};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};
use crate::network::addr;

/// One poisoner host.
pub struct Poisoner {
    speaker: Speaker,
    addr: SocketAddr,
    group: Arc<Vec<SocketAddr>>,
    contacts: Vec<SocketAddr>,
    fake: f64,
    unroutable: f64,
    ping_every: u64,
    next_ping: u64,
    npeer_limit: usize,
    referrals: usize,
}

/// What a poisoner advertises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Poison {
    /// Share of fake addresses.
    pub fake: f64,
    /// Share of unroutable addresses.
    pub unroutable: f64,
    /// Interval between AUTH PINGs to each contact, µs.
    pub ping_every_us: u64,
}

impl Poisoner {
    /// A poisoner introducing itself to `ctx.targets`.
    pub fn new(ctx: &AttackerContext<'_>, poison: Poison) -> Poisoner {
        let mut speaker = Speaker::new(ctx);
        let every = poison.ping_every_us.max(1);
        let phase = speaker.rng.random_range(0..every);
        Poisoner {
            speaker,
            addr: ctx.addr,
            group: ctx.group.clone(),
            contacts: ctx.targets.to_vec(),
            fake: poison.fake,
            unroutable: poison.unroutable,
            ping_every: every,
            next_ping: ctx.now.0 + phase,
            npeer_limit: ctx.config.npeer_limit.min(u8::MAX as usize),
            referrals: ctx.config.referrals.min(u8::MAX as usize),
        }
    }

    /// `n` poisoned addresses.
    fn poison(&mut self, n: usize) -> Vec<SocketAddr> {
        let own = self.speaker.pick(&self.group, n, self.addr);
        (0..n)
            .map(|i| {
                let r: f64 = self.speaker.rng.random();
                if r < self.fake {
                    addr::fake(self.speaker.rng.random())
                } else if r < self.fake + self.unroutable {
                    unroutable(self.speaker.rng.random_range(0..3u8))
                } else {
                    own.get(i).copied().unwrap_or_else(|| addr::fake(i as u32))
                }
            })
            .collect()
    }
}

/// One of the unroutable kinds §5 names: port 0, unspecified, multicast.
fn unroutable(kind: u8) -> SocketAddr {
    let (ip, port) = match kind {
        0 => (Ipv4Addr::new(11, 0, 0, 1), 0),
        1 => (Ipv4Addr::UNSPECIFIED, addr::PORT),
        _ => (Ipv4Addr::new(224, 0, 0, 1), addr::PORT),
    };
    SocketAddr::V4(SocketAddrV4::new(ip, port))
}

impl SimHost for Poisoner {
    type Event = AdversaryEvent;

    fn handle_datagram(&mut self, _: SimTime, from: SocketAddr, bytes: &[u8]) {
        let limits = self.speaker.limits;
        let Ok(msg) = Message::decode_with(bytes, &limits) else {
            return;
        };
        match msg {
            Message::Ping { kind, nonce, .. } => {
                let addrs = self.poison(self.npeer_limit);
                self.speaker.pong(from, kind, nonce, &addrs);
            }
            Message::Get { pubkey, key, .. } => {
                let referrals = self.poison(self.referrals);
                self.speaker.refer(from, pubkey, key, &referrals);
            }
            Message::GetMyAddrPort => self.speaker.send(from, &Message::GetMyAddrPortAck(from)),
            Message::Pong(_)
            | Message::Put(_)
            | Message::GetAck(_)
            | Message::GetMyAddrPortAck(_) => {}
        }
    }

    fn handle_timeout(&mut self, now: SimTime) {
        if now.0 < self.next_ping {
            return;
        }
        for i in 0..self.contacts.len() {
            let contact = self.contacts[i];
            self.speaker.auth_ping(contact);
        }
        self.next_ping = now.0 + self.ping_every;
    }

    fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<HostTransmit> {
        self.speaker.poll_transmit(buf)
    }

    fn poll_timeout(&mut self) -> Option<SimTime> {
        Some(SimTime(self.next_ping))
    }

    fn poll_event(&mut self) -> Option<AdversaryEvent> {
        None
    }
}

impl Attacker for Poisoner {
    fn counters(&self) -> &AttackCounters {
        &self.speaker.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unroutable_kinds_are_refused_by_dave_core() {
        for k in 0..3 {
            assert!(!dave_core::addr::is_routable(&unroutable(k)), "{k}");
        }
        assert!(dave_core::addr::is_routable(&addr::fake(7)));
    }
}
