//! The hosts of a run: who sits at which engine index, with which address and clock.
//!
//! Honest nodes come first, at indices `0..nodes.count`, so their addresses, clocks and every
//! stream keyed by their index stay the same whatever is added after them. A driver that
//! brings hosts of its own (an attacker group) adds them with [`Roster::add_group`] before
//! the engine is built and gets back the index range it owns.

use std::net::SocketAddr;
use std::ops::Range;

use rand::RngExt;

use crate::engine::rng::stream;
use crate::network::addr;
use crate::network::clock::Clock;
use crate::scenario::Scenario;

/// Addresses and clocks of every host of a run, indexed like the engine's nodes.
pub struct Roster {
    /// Address of each host.
    pub addrs: Vec<SocketAddr>,
    /// Clock of each host.
    pub clocks: Vec<Clock>,
    max_offset: i64,
    max_drift: i32,
    seed: u64,
}

impl Roster {
    /// The honest nodes of a scenario, packed into its /24 and /16 groups.
    pub fn honest(s: &Scenario, seed: u64) -> Roster {
        let n = s.nodes.count;
        let n24 = s.nodes.groups.ipv4_24s.unwrap_or(n);
        let n16 = s.nodes.groups.ipv4_16s.unwrap_or(n24);
        let mut roster = Roster {
            addrs: Vec::new(),
            clocks: Vec::new(),
            max_offset: s.network.clock.max_offset.0.min(i64::MAX as u64) as i64,
            max_drift: s.network.clock.max_drift_ppm.min(i32::MAX as u32) as i32,
            seed,
        };
        roster.add_group(addr::plan(n, n24, n16));
        roster
    }

    /// Appends hosts at the given addresses; returns their engine indices. Each host's clock
    /// is drawn from its own stream (keyed by its index), so no earlier host's draws change.
    pub fn add_group(&mut self, addrs: Vec<SocketAddr>) -> Range<u32> {
        let first = self.addrs.len() as u32;
        for i in first..first + addrs.len() as u32 {
            self.clocks.push(self.clock(i));
        }
        self.addrs.extend(addrs);
        first..self.addrs.len() as u32
    }

    /// Number of hosts.
    pub fn len(&self) -> usize {
        self.addrs.len()
    }

    /// Whether there are no hosts.
    pub fn is_empty(&self) -> bool {
        self.addrs.is_empty()
    }

    fn clock(&self, i: u32) -> Clock {
        let mut r = stream(self.seed, "clock", u64::from(i));
        Clock {
            offset_us: if self.max_offset > 0 {
                r.random_range(-self.max_offset..=self.max_offset)
            } else {
                0
            },
            drift_ppm: if self.max_drift > 0 {
                r.random_range(-self.max_drift..=self.max_drift)
            } else {
                0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::testing::scenario;

    const S: &str = r#"{
      "name": "r", "duration": "1s",
      "network": { "clock": { "max_offset": "1s", "max_drift_ppm": 100 } },
      "nodes": { "count": 6, "groups": { "ipv4_24s": 3, "ipv4_16s": 1 } },
      "edges": { "count": 1, "seeds": 1 }
    }"#;

    #[test]
    fn extra_groups_come_after_the_honest_nodes_and_change_none_of_them() {
        let s = scenario(S);
        let honest = Roster::honest(&s, 9);
        assert_eq!(honest.len(), 6);
        let mut with_extra = Roster::honest(&s, 9);
        let extra: Vec<SocketAddr> = (1..=4)
            .map(|i| format!("99.0.0.{i}:1").parse().unwrap())
            .collect();
        assert_eq!(with_extra.add_group(extra.clone()), 6..10);
        assert_eq!(with_extra.add_group(Vec::new()), 10..10);
        assert_eq!(&with_extra.addrs[..6], &honest.addrs[..]);
        assert_eq!(&with_extra.clocks[..6], &honest.clocks[..]);
        assert_eq!(&with_extra.addrs[6..], &extra[..]);
        assert_eq!(with_extra.clocks.len(), 10);
        assert!(
            with_extra
                .clocks
                .iter()
                .all(|c| c.offset_us.abs() <= 1_000_000 && c.drift_ppm.abs() <= 100)
        );
    }

    #[test]
    fn honest_nodes_pack_into_the_scenario_groups() {
        let r = Roster::honest(&scenario(S), 1);
        let prefix24 = |a: &SocketAddr| match a {
            SocketAddr::V4(v) => v.ip().octets()[..3].to_vec(),
            SocketAddr::V6(_) => unreachable!(),
        };
        let distinct: std::collections::BTreeSet<Vec<u8>> = r.addrs.iter().map(prefix24).collect();
        assert_eq!(distinct.len(), 3, "{:?}", r.addrs);
        assert_ne!(
            r.clocks,
            Roster::honest(&scenario(S), 2).clocks,
            "clocks follow the seed"
        );
    }
}
