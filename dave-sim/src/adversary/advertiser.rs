//! What the eclipse attacker and the poisoner share: a real Dave identity that sends each of
//! its targets a padded AUTH PING every `ping_every` (first at a random phase), answers every
//! PING (LIVE with the echo, AUTH with a signed PONG) so that it stays in the tables it enters,
//! answers every GET with not-found, answers GETMYADDRPORT truthfully and ignores the rest. The
//! two differ only in the addresses they hand out in PONGs and referrals: [`Advert`].

use std::net::SocketAddr;
use std::sync::Arc;

use dave_core::wire::Message;
use rand::RngExt;

use super::poisoner::{Mix, poisoned};
use super::speaker::Speaker;
use super::{AdversaryEvent, AttackCounters, Attacker, AttackerContext};
use crate::engine::SimTime;
use crate::engine::host::{HostTransmit, SimHost};

/// The addresses an advertiser hands out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Advert {
    /// Only attacker addresses of its own group (the eclipse attacker).
    Own,
    /// Fake, unroutable and own addresses in the given shares (the poisoner).
    Poison(Mix),
}

/// One advertising attacker host.
pub struct Advertiser {
    speaker: Speaker,
    addr: SocketAddr,
    group: Arc<Vec<SocketAddr>>,
    targets: Vec<SocketAddr>,
    advert: Advert,
    ping_every: u64,
    next_ping: u64,
    npeer_limit: usize,
    referrals: usize,
}

impl Advertiser {
    /// A host pinging each of `ctx.targets` every `ping_every_us` and handing out `advert`.
    pub fn new(ctx: &AttackerContext<'_>, ping_every_us: u64, advert: Advert) -> Advertiser {
        let mut speaker = Speaker::new(ctx);
        let every = ping_every_us.max(1);
        let phase = speaker.rng.random_range(0..every);
        Advertiser {
            speaker,
            addr: ctx.addr,
            group: ctx.group.clone(),
            targets: ctx.targets.to_vec(),
            advert,
            ping_every: every,
            next_ping: ctx.now.0 + phase,
            npeer_limit: ctx.config.npeer_limit.min(u8::MAX as usize),
            referrals: ctx.config.referrals.min(u8::MAX as usize),
        }
    }

    /// `n` addresses to hand out.
    fn advertise(&mut self, n: usize) -> Vec<SocketAddr> {
        let own = self.speaker.pick(&self.group, n, self.addr);
        match self.advert {
            Advert::Own => own,
            Advert::Poison(mix) => poisoned(&mut self.speaker, &own, n, mix),
        }
    }
}

impl SimHost for Advertiser {
    type Event = AdversaryEvent;

    fn handle_datagram(&mut self, _: SimTime, from: SocketAddr, bytes: &[u8]) {
        let limits = self.speaker.limits;
        let Ok(msg) = Message::decode_with(bytes, &limits) else {
            return;
        };
        match msg {
            Message::Ping { kind, nonce, .. } => {
                let addrs = self.advertise(self.npeer_limit);
                self.speaker.pong(from, kind, nonce, &addrs);
            }
            Message::Get { pubkey, key, .. } => {
                let referrals = self.advertise(self.referrals);
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
        for i in 0..self.targets.len() {
            let target = self.targets[i];
            self.speaker.auth_ping(target);
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

impl Attacker for Advertiser {
    fn counters(&self) -> &AttackCounters {
        &self.speaker.counters
    }
}
