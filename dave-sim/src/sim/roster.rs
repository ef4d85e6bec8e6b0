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
