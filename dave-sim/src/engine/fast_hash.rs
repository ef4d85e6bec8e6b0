//! A fast hasher for the engine's lookup-only maps (address → node index).
//!
//! The standard SipHash resists hash flooding, which an in-process simulator whose keys are
//! its own address plan does not need, and costs ~20 ns per address: once per datagram sent.
//! This is the multiply-rotate hash rustc uses (FxHash). Maps keyed with it are only looked up,
//! never iterated, so the hash cannot influence a run.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0xf135_7aea_2e62_a9c5;

/// The hasher; build maps with [`FastHashBuilder`].
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            self.add(u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ (rest.len() as u64) << 59);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // Fold the high bits down: hashbrown picks buckets from the low bits.
        self.0 ^ (self.0 >> 32)
    }
}

/// Builds [`FastHasher`]s.
pub type FastHashBuilder = BuildHasherDefault<FastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::net::SocketAddr;

    #[test]
    fn finds_every_planned_address_and_nothing_else() {
        let addrs = crate::network::addr::plan(5000, 700, 30);
        let map: HashMap<SocketAddr, u32, FastHashBuilder> = addrs
            .iter()
            .enumerate()
            .map(|(i, a)| (*a, i as u32))
            .collect();
        assert_eq!(map.len(), 5000);
        for (i, a) in addrs.iter().enumerate() {
            assert_eq!(map.get(a), Some(&(i as u32)));
        }
        let stranger: SocketAddr = "11.0.0.1:4243".parse().expect("an address");
        assert_eq!(map.get(&stranger), None);
    }
}
