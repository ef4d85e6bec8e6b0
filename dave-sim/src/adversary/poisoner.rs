//! The address poisoner: a real Dave identity that introduces itself to a few honest nodes
//! (its `contacts`, an AUTH PING every `ping_every`), answers every PING so that it stays in
//! their tables, and fills every address list it hands out — the peers of its AUTH PONGs and
//! the referrals of its not-found GET_ACKs — with poison: a share `fake` of addresses no
//! host has (routable-looking, so only a handshake can tell), a share `unroutable`
//! (port 0, unspecified, multicast), and attacker addresses of its own group for the rest.
//!
//! The defences it meets (§5): unroutable addresses are never added; a shared or referred
//! address is only a candidate until it answers an AUTH PING, so fake ones never reach a
//! table or another node's PONG; attacker addresses are held to the group limits. The host is
//! an [`Advertiser`] that hands out a [`Mix`].

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use rand::RngExt;

use super::AttackerContext;
use super::advertiser::{Advert, Advertiser};
use super::speaker::Speaker;
use crate::network::addr;

/// The shares of what a poisoner hands out; the rest are its own group's addresses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    /// Share of fake addresses.
    pub fake: f64,
    /// Share of unroutable addresses.
    pub unroutable: f64,
}

/// One poisoner host introducing itself to `ctx.targets` (its contacts), pinging each every
/// `ping_every_us` and handing out `mix`.
pub fn poisoner(ctx: &AttackerContext<'_>, ping_every_us: u64, mix: Mix) -> Advertiser {
    Advertiser::new(ctx, ping_every_us, Advert::Poison(mix))
}

/// `n` poisoned addresses, drawing `own` attacker addresses (already picked) for the share
/// that is neither fake nor unroutable.
pub(super) fn poisoned(
    speaker: &mut Speaker,
    own: &[SocketAddr],
    n: usize,
    mix: Mix,
) -> Vec<SocketAddr> {
    (0..n)
        .map(|i| {
            let r: f64 = speaker.rng.random();
            if r < mix.fake {
                addr::fake(speaker.rng.random())
            } else if r < mix.fake + mix.unroutable {
                unroutable(speaker.rng.random_range(0..3u8))
            } else {
                own.get(i).copied().unwrap_or_else(|| addr::fake(i as u32))
            }
        })
        .collect()
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
