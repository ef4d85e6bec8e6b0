//! Hash maps for the node's lookups by address or id, which are never iterated in an order that
//! could reach an output.
//!
//! Why not `BTreeMap`: the simulator runs thousands of nodes, and a profile of
//! `scenarios/scale-10k.json` at 2,000 nodes spent 22 % of its time in B-tree searches keyed by
//! `SocketAddr` (the anti-amplification ledger, the peer table's address index, recently verified
//! candidates), each a chain of cache misses through 11-key nodes. A hash map answers in one probe.
//! (The peer table's indexes by address and NodeId have since moved to the more compact
//! `slot_index`; these maps serve the ledger of strangers and the recently verified list.)
//!
//! Why a wrapper: a hash map's iteration order depends on its hasher and history, and the
//! protocol's decisions must not (every run is a pure function of its seed). This type offers
//! lookups, inserts, removals, `retain` (whose result does not depend on the order it visits
//! entries) and [`KeyedMap::min_key_by`], which ranks by a key that ends in the map key itself, so
//! ties are broken the same way whatever the order. There is no other iteration.
//!
//! The hasher is foldhash with a per-node seed the node derives from its secret RNG seed: fast,
//! deterministic for a given node, and unknown to a peer who would like to craft colliding
//! addresses (the maps are bounded anyway, so collisions could only slow a node, never grow it).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hash};
use std::net::SocketAddr;

use foldhash::fast::FixedState;

/// A hash map with a seeded deterministic hasher and no order-dependent iteration.
#[derive(Clone, Debug)]
pub(crate) struct KeyedMap<K, V> {
    inner: HashMap<K, V, FixedState>,
}

impl<K, V> Default for KeyedMap<K, V> {
    fn default() -> Self {
        KeyedMap::with_seed(0)
    }
}

impl<K: Hash + Eq, V> KeyedMap<K, V> {
    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.inner.get(key)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.inner.get_mut(key)
    }

    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.inner.contains_key(key)
    }

    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.inner.insert(key, value)
    }

    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.inner.remove(key)
    }

    pub(crate) fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        self.inner.entry(key)
    }

    /// Keeps the entries `keep` accepts. `keep` must judge each entry on its own (it sees them
    /// in hash order).
    pub(crate) fn retain(&mut self, keep: impl FnMut(&K, &mut V) -> bool) {
        self.inner.retain(keep);
    }

    /// Gives back memory when the map holds less than a quarter of what it has room for (a hash
    /// map never shrinks by itself, so a burst would stay allocated for the node's lifetime).
    pub(crate) fn shrink_if_sparse(&mut self) {
        if self.inner.capacity() > 4 * self.inner.len() + 16 {
            self.inner.shrink_to(2 * self.inner.len());
        }
    }

    /// The key of the entry with the smallest `(rank(entry), key)`: the same entry whatever the
    /// order the map is visited in, since keys are unique. A linear scan: for eviction from a
    /// full map, not for every lookup.
    pub(crate) fn min_key_by<R: Ord>(&self, rank: impl Fn(&K, &V) -> R) -> Option<K>
    where
        K: Ord + Copy,
    {
        self.inner
            .iter()
            .map(|(k, v)| (rank(k, v), *k))
            .min()
            .map(|(_, k)| k)
    }

    /// Fills `out` with the entries of smallest `(rank(entry), key)`, smallest first, and says
    /// how many it found (fewer than `out.len()` if the map is smaller). Like
    /// [`KeyedMap::min_key_by`], the result does not depend on the order the map is visited in;
    /// one scan serves several evictions.
    pub(crate) fn smallest_by<R: Ord + Copy>(
        &self,
        rank: impl Fn(&K, &V) -> R,
        out: &mut [(R, K)],
    ) -> usize
    where
        K: Ord + Copy,
    {
        let mut len = 0;
        for (k, v) in &self.inner {
            let item = (rank(k, v), *k);
            if len == out.len() && out.last().is_none_or(|last| item >= *last) {
                continue;
            }
            // Insertion into the sorted prefix, dropping the largest when full.
            let mut i = len.min(out.len() - 1);
            while i > 0 && out[i - 1] > item {
                out[i] = out[i - 1];
                i -= 1;
            }
            out[i] = item;
            len = (len + 1).min(out.len());
        }
        len
    }
}

impl<K, V> KeyedMap<K, V> {
    /// An empty map whose hasher is seeded with `seed`.
    pub(crate) fn with_seed(seed: u64) -> Self {
        KeyedMap {
            inner: HashMap::with_hasher(FixedState::with_seed(seed)),
        }
    }
}

/// 64-bit fingerprints of addresses under a node's secret seed: a map keyed by fingerprint
/// takes 8 bytes a key instead of a `SocketAddr`'s 32. Users decide what a collision (about
/// 2^-64 per pair, and not something a peer can aim at without the seed) means: the peer table
/// hashes with them and checks the address behind every hit, the ledger shares one account
/// (still within 3×), the recently verified list would remember one address too many.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fingerprints(FixedState);

impl Fingerprints {
    /// Fingerprints under `seed` (the node's map seed).
    pub(crate) fn with_seed(seed: u64) -> Self {
        // A different seed from the maps' own hasher, which rehashes the fingerprints.
        Fingerprints(FixedState::with_seed(seed ^ 0x5eed_a3b1_7c0f_fee5))
    }

    /// The fingerprint of `addr`.
    pub(crate) fn of(&self, addr: &SocketAddr) -> u64 {
        self.0.hash_one(addr)
    }

    /// The fingerprint of any other key (a NodeId, which a peer can grind: hashing it under the
    /// secret seed keeps it from choosing where its entry lands in an index).
    pub(crate) fn of_key(&self, key: &impl Hash) -> u64 {
        self.0.hash_one(key)
    }
}

/// The seed a node gives its maps, derived from its secret RNG seed (so it costs no RNG draw
/// and a peer cannot predict it).
pub(crate) fn map_seed(rng_seed: &[u8; 32]) -> u64 {
    let derived = blake3::derive_key("dave v1 keyed map seed", rng_seed);
    let mut first = [0u8; 8];
    first.copy_from_slice(&derived[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_does_not_depend_on_the_seed_or_insertion_order() {
        let mut picks = Vec::new();
        for seed in 0..8 {
            let mut map = KeyedMap::with_seed(seed);
            let order: Vec<u32> = if seed % 2 == 0 {
                (0..100).collect()
            } else {
                (0..100).rev().collect()
            };
            for k in order {
                // Ranks tie in pairs: the smaller key must win.
                map.insert(k, k / 2 + 10);
            }
            picks.push(map.min_key_by(|_, v| *v));
        }
        assert!(picks.iter().all(|&p| p == Some(0)), "{picks:?}");
    }

    proptest::proptest! {
        /// The smallest entries are the first of a full sort, whatever the map's seed.
        #[test]
        fn smallest_by_agrees_with_a_sort(
            ranks in proptest::collection::vec(0u32..50, 0..200),
            seed in 0u64..8,
            n in 1usize..12,
        ) {
            let mut map = KeyedMap::with_seed(seed);
            for (k, r) in ranks.iter().enumerate() {
                map.insert(k as u32, *r);
            }
            let mut want: Vec<(u32, u32)> = ranks.iter().enumerate().map(|(k, r)| (*r, k as u32)).collect();
            want.sort();
            want.truncate(n);
            let mut out = vec![(0u32, 0u32); n];
            let len = map.smallest_by(|_, r| *r, &mut out);
            proptest::prop_assert_eq!(&out[..len], &want[..]);
        }
    }

    #[test]
    fn seeds_differ_between_nodes() {
        assert_ne!(map_seed(&[1; 32]), map_seed(&[2; 32]));
        assert_eq!(map_seed(&[1; 32]), map_seed(&[1; 32]));
    }
}
