//! A memoizing crypto provider shared by every simulated node (issue 4, "Crypto in the
//! simulator").
//!
//! Signature verification is a pure function of (public key, digest, signature), so caching
//! its result changes no outcome — only the time spent. Thousands of nodes verifying the same
//! record would otherwise dominate the run. Counts of computed and cached verifications go into
//! the summary. The simulation is single-threaded and calls happen in a deterministic order,
//! so the counts are deterministic too. The cache is cleared when it reaches `capacity`
//! entries (AUTH PONG signatures are unique and would otherwise fill it forever).
//!
//! Decoded public keys are cached as well: most signatures that must really be checked are
//! AUTH PONGs, unique per nonce, but from a few hundred keys, and decoding (decompressing) the
//! key is a large share of a verification. The check itself is the same strict Ed25519
//! verification as `dave_core::crypto::verify_digest`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use dave_core::crypto::{Crypto, sign_digest};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

/// Default number of cached verification results (each entry is ~40 bytes).
pub const DEFAULT_CAPACITY: usize = 1 << 20;

/// The memoizing provider.
pub struct MemoCrypto {
    /// Key: BLAKE3 of (pubkey, digest, sig); only looked up, never iterated.
    cache: Mutex<HashMap<[u8; 32], bool>>,
    /// Decoded public keys (`None`: not a valid key); only looked up, never iterated.
    keys: Mutex<HashMap<[u8; 32], Option<VerifyingKey>>>,
    capacity: usize,
    computed: AtomicU64,
    cached: AtomicU64,
}

impl Default for MemoCrypto {
    fn default() -> Self {
        MemoCrypto::with_capacity(DEFAULT_CAPACITY)
    }
}

impl MemoCrypto {
    /// A provider that caches at most `capacity` results at a time.
    pub fn with_capacity(capacity: usize) -> MemoCrypto {
        MemoCrypto {
            cache: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            computed: AtomicU64::new(0),
            cached: AtomicU64::new(0),
        }
    }

    /// Verifications actually computed.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// Verifications answered from the cache.
    pub fn cached(&self) -> u64 {
        self.cached.load(Ordering::Relaxed)
    }
}

impl MemoCrypto {
    /// Strict verification with the decoded key taken from (or put into) the key cache.
    fn verify_uncached(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
        let mut keys = match self.keys.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if keys.len() >= self.capacity {
            keys.clear();
        }
        let key = *keys
            .entry(*pubkey)
            .or_insert_with(|| VerifyingKey::from_bytes(pubkey).ok());
        key.is_some_and(|k| k.verify_strict(digest, &Signature::from_bytes(sig)).is_ok())
    }
}

impl Crypto for MemoCrypto {
    fn sign(&self, key: &SigningKey, digest: &[u8; 32]) -> [u8; 64] {
        sign_digest(key, digest)
    }

    fn verify(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
        let mut h = blake3::Hasher::new();
        h.update(pubkey);
        h.update(digest);
        h.update(sig);
        let key = *h.finalize().as_bytes();
        let mut cache = match self.cache.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(&ok) = cache.get(&key) {
            self.cached.fetch_add(1, Ordering::Relaxed);
            return ok;
        }
        let ok = self.verify_uncached(pubkey, digest, sig);
        self.computed.fetch_add(1, Ordering::Relaxed);
        if cache.len() >= self.capacity {
            cache.clear();
        }
        cache.insert(key, ok);
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caches_results_without_changing_them() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let pubkey = key.verifying_key().to_bytes();
        let digest = [1u8; 32];
        let memo = MemoCrypto::default();
        let sig = memo.sign(&key, &digest);
        let mut bad = sig;
        bad[0] ^= 1;
        for _ in 0..3 {
            assert!(memo.verify(&pubkey, &digest, &sig));
            assert!(!memo.verify(&pubkey, &digest, &bad));
        }
        assert_eq!((memo.computed(), memo.cached()), (2, 4));
        // Same answers as the plain provider, including for a key that does not decode.
        let direct = dave_core::crypto::DirectCrypto;
        let not_a_key = [0xffu8; 32];
        for (k, s) in [(&pubkey, &sig), (&pubkey, &bad), (&not_a_key, &sig)] {
            assert_eq!(memo.verify(k, &digest, s), direct.verify(k, &digest, s));
        }
    }
}
