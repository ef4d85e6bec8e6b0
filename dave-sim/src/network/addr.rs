//! The address plan: each node gets an IPv4 address and port, packed into the scenario's
//! /24 and /16 groups (docs/simulator.md §"Addresses": by default every node sits in its own /24).
//!
//! Addresses start at 11.0.0.0 — public, routable space — so that no prefix is special to a
//! node's routability checks. Node `i` goes to /24 number `i mod n24`, and /24 number `g` to
//! /16 number `g mod n16`; hosts within a /24 are numbered from 1.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// UDP port every simulated node listens on.
pub const PORT: u16 = 4242;

/// Assigns addresses to `count` nodes packed into `n24` /24s spread over `n16` /16s.
/// The scenario validator guarantees `1 <= n16 <= n24 <= count` and the per-prefix limits.
pub fn plan(count: u32, n24: u32, n16: u32) -> Vec<SocketAddr> {
    (0..count)
        .map(|i| {
            let g24 = i % n24;
            let host = i / n24 + 1;
            let g16 = g24 % n16;
            let slot24 = g24 / n16;
            // /16 number g16 → first two octets, skipping 0–10 and never reaching 224 (multicast).
            let a = 11 + g16 / 256;
            let b = g16 % 256;
            let ip = Ipv4Addr::new(a as u8, b as u8, slot24 as u8, host as u8);
            SocketAddr::V4(SocketAddrV4::new(ip, PORT))
        })
        .collect()
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
