//! The eclipse attacker (Heilman et al. 2015; Marcus et al. 2018 for Ethereum's Kademlia):
//! one host per attacker address, each a real Dave identity that
//! - sends every victim a padded AUTH PING every `ping_every` (first at a random phase), so the
//!   victim pings it back, verifies its signed AUTH PONG and tries to admit it;
//! - answers every PING (LIVE with the echo, AUTH with a signed PONG that lists only attacker
//!   addresses), so it stays live and active in any table it enters;
//! - answers every GET with not-found and only attacker addresses as referrals, so the
//!   victim's lookups (its refreshes included) lead to more attackers;
//! - answers GETMYADDRPORT truthfully and ignores PUTs (it holds nothing).
//!
//! What stops it is the victim's table policy: group limits per /24 and test-before-evict.

use std::net::SocketAddr;
use std::sync::Arc;

use dave_core::wire::Message;
use rand::RngExt;

use super::speaker::Speaker;
use super::{AdversaryEvent, AttackCounters, Attacker, AttackerContext};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};

/// One eclipse attacker host.
pub struct Eclipse {
    speaker: Speaker,
    addr: SocketAddr,
    group: Arc<Vec<SocketAddr>>,
    victims: Vec<SocketAddr>,
    ping_every: u64,
    next_ping: u64,
    npeer_limit: usize,
    referrals: usize,
}

impl Eclipse {
    /// An attacker aiming at `ctx.targets`, pinging each every `ping_every_us`.
    pub fn new(ctx: &AttackerContext<'_>, ping_every_us: u64) -> Eclipse {
        let mut speaker = Speaker::new(ctx);
        let every = ping_every_us.max(1);
        let phase = speaker.rng.random_range(0..every);
        Eclipse {
            speaker,
            addr: ctx.addr,
            group: ctx.group.clone(),
            victims: ctx.targets.to_vec(),
            ping_every: every,
            next_ping: ctx.now.0 + phase,
            npeer_limit: ctx.config.npeer_limit.min(u8::MAX as usize),
            referrals: ctx.config.referrals.min(u8::MAX as usize),
        }
    }
}

impl SimHost for Eclipse {
    type Event = AdversaryEvent;

    fn handle_datagram(&mut self, _: SimTime, from: SocketAddr, bytes: &[u8]) {
        let limits = self.speaker.limits;
        let Ok(msg) = Message::decode_with(bytes, &limits) else {
            return;
        };
        match msg {
            Message::Ping { kind, nonce, .. } => {
                let addrs = self.speaker.pick(&self.group, self.npeer_limit, self.addr);
                self.speaker.pong(from, kind, nonce, &addrs);
            }
            Message::Get { pubkey, key, .. } => {
                let referrals = self.speaker.pick(&self.group, self.referrals, self.addr);
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
        for i in 0..self.victims.len() {
            let victim = self.victims[i];
            self.speaker.auth_ping(victim);
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

impl Attacker for Eclipse {
    fn counters(&self) -> &AttackCounters {
        &self.speaker.counters
    }
}
