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
//! What stops it is the victim's table policy: group limits per /24 and test-before-evict. The
//! host is an [`Advertiser`] that hands out its own group's addresses.

use super::AttackerContext;
use super::advertiser::{Advert, Advertiser};

/// One eclipse attacker host aiming at `ctx.targets` (the victims), pinging each every
/// `ping_every_us` and handing out only attacker addresses.
pub fn eclipse(ctx: &AttackerContext<'_>, ping_every_us: u64) -> Advertiser {
    Advertiser::new(ctx, ping_every_us, Advert::Own)
}
