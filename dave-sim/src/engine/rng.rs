//! Random streams (docs/simulator.md §"Determinism"): one root seed; every consumer gets its own
//! ChaCha stream derived from (root seed, purpose, index) by BLAKE3, so adding a node or a
//! consumer never shifts the numbers another consumer draws.

use rand_chacha::ChaCha12Rng;
use rand_core::SeedableRng;

/// 32 seed bytes for (root, purpose, index): also used directly as node RNG seeds and keys.
pub fn seed_bytes(root: u64, purpose: &str, index: u64) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("dave-sim v1 random stream");
    h.update(&root.to_le_bytes());
    h.update(&(purpose.len() as u64).to_le_bytes());
    h.update(purpose.as_bytes());
    h.update(&index.to_le_bytes());
    *h.finalize().as_bytes()
}

/// The ChaCha stream for (root, purpose, index).
pub fn stream(root: u64, purpose: &str, index: u64) -> ChaCha12Rng {
    ChaCha12Rng::from_seed(seed_bytes(root, purpose, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a = stream(1, "network", 0).next_u64();
        assert_eq!(a, stream(1, "network", 0).next_u64());
        assert_ne!(a, stream(1, "network", 1).next_u64());
        assert_ne!(a, stream(1, "churn", 0).next_u64());
        assert_ne!(a, stream(2, "network", 0).next_u64());
    }
}
