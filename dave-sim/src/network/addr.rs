//! The address plan: each node gets an IPv4 address and port, packed into the scenario's
//! /24 and /16 groups (docs/simulator.md §"Addresses": by default every node sits in its own /24).
//!
//! Addresses start at 11.0.0.0 — public, routable space — so that no prefix is special to a
//! node's routability checks. Node `i` goes to /24 number `i mod n24`, and /24 number `g` to
//! /16 number `g mod n16`; hosts within a /24 are numbered from 1.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// UDP port every simulated node listens on.
pub const PORT: u16 = 4242;

/// /16 prefixes the honest plan may use (11.0/16 up to 110.255/16).
pub const HONEST_SLASH16: u32 = 100 * 256;
/// First /16 of the attackers' plan (121.0/16), after every honest prefix.
pub const ATTACKER_FIRST_SLASH16: u32 = HONEST_SLASH16 + 10 * 256;
/// /16 prefixes all attacker groups together may use (121.0/16 up to 180.255/16).
pub const ATTACKER_SLASH16: u32 = 60 * 256;
/// First octet of fake addresses (advertised by poisoners, held by no host): 200.0.0.0/8 and
/// up, disjoint from both plans.
const FAKE_FIRST_OCTET: u32 = 200;

/// Assigns addresses to `count` nodes packed into `n24` /24s spread over `n16` /16s.
/// The scenario validator guarantees `1 <= n16 <= n24 <= count` and the per-prefix limits.
pub fn plan(count: u32, n24: u32, n16: u32) -> Vec<SocketAddr> {
    plan_from(0, count, n24, n16)
}

/// Like [`plan`], with the /16s numbered from `first16` (0 is 11.0/16): attacker groups take
/// prefixes from [`ATTACKER_FIRST_SLASH16`] on, so no attacker shares a prefix with an honest node.
pub fn plan_from(first16: u32, count: u32, n24: u32, n16: u32) -> Vec<SocketAddr> {
    (0..count)
        .map(|i| {
            let g24 = i % n24;
            let host = i / n24 + 1;
            let g16 = first16 + g24 % n16;
            let slot24 = g24 / n16;
            // /16 number g16 → first two octets, skipping 0–10 and never reaching 224 (multicast).
            let a = 11 + g16 / 256;
            let b = g16 % 256;
            let ip = Ipv4Addr::new(a as u8, b as u8, slot24 as u8, host as u8);
            SocketAddr::V4(SocketAddrV4::new(ip, PORT))
        })
        .collect()
}

/// The `i`-th fake address: routable-looking, in no plan, so no host ever answers it.
pub fn fake(i: u32) -> SocketAddr {
    let host = i % 250 + 1;
    let rest = i / 250;
    let first = FAKE_FIRST_OCTET + (rest >> 16) % 20;
    let ip = Ipv4Addr::new(first as u8, (rest >> 8) as u8, rest as u8, host as u8);
    SocketAddr::V4(SocketAddrV4::new(ip, PORT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn prefix24(a: &SocketAddr) -> [u8; 3] {
        match a {
            SocketAddr::V4(v) => {
                let o = v.ip().octets();
                [o[0], o[1], o[2]]
            }
            SocketAddr::V6(_) => unreachable!("the plan is IPv4 only"),
        }
    }

    #[test]
    fn default_plan_puts_every_node_in_its_own_24() {
        let addrs = plan(1000, 1000, 1000);
        let set: BTreeSet<_> = addrs.iter().map(prefix24).collect();
        assert_eq!(set.len(), 1000);
    }

    #[test]
    fn attacker_and_fake_addresses_are_disjoint_from_the_honest_plan() {
        let honest: BTreeSet<_> = plan(2000, 2000, 2000).into_iter().collect();
        let last_honest = plan(HONEST_SLASH16, HONEST_SLASH16, HONEST_SLASH16);
        let attackers = plan_from(ATTACKER_FIRST_SLASH16, 1000, 4, 1);
        let last_attacker = plan_from(ATTACKER_FIRST_SLASH16 + ATTACKER_SLASH16 - 1, 1, 1, 1);
        let top = |a: &SocketAddr| prefix24(a)[0];
        assert!(last_honest.iter().all(|a| top(a) <= 110));
        assert!(attackers.iter().all(|a| (121..=180).contains(&top(a))));
        assert_eq!(top(&last_attacker[0]), 180);
        assert!(attackers.iter().all(|a| !honest.contains(a)));
        let fakes: BTreeSet<_> = (0..5000).map(fake).collect();
        assert_eq!(fakes.len(), 5000);
        assert!(fakes.iter().all(|a| (200..220).contains(&top(a))));
        let s24: BTreeSet<_> = attackers.iter().map(prefix24).collect();
        assert_eq!(s24.len(), 4);
    }

    #[test]
    fn packed_plan_uses_exactly_the_requested_groups() {
        let addrs = plan(100, 10, 2);
        let s24: BTreeSet<_> = addrs.iter().map(prefix24).collect();
        let s16: BTreeSet<_> = addrs
            .iter()
            .map(|a| [prefix24(a)[0], prefix24(a)[1]])
            .collect();
        assert_eq!((s24.len(), s16.len()), (10, 2));
        let unique: BTreeSet<_> = addrs.iter().collect();
        assert_eq!(unique.len(), 100);
    }
}
