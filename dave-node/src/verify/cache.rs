//! The verification cache: results of real Ed25519 verifications, keyed by exactly what a
//! verification is a pure function of, (public key, digest, signature).
//!
//! Workers fill it ahead of the node ([`VerifyCache::warm`]); the node's crypto provider, which
//! is this cache ([`Crypto`] is implemented on it), answers from it and verifies itself on a
//! miss. Nothing but a verification can put a result in: there is no insert. A forged signature
//! therefore gets the answer a verification gives it, `false`, whether the worker or the node
//! computed it, and the node stays correct when workers are slow, overloaded or absent.
//!
//! Bounded: two generations of `capacity` entries each; when the current one fills, it becomes
//! the previous one and the old previous one is dropped. A warmed entry is read within a
//! queue's length of datagrams after it is written, far less than one generation, so eviction
//! costs only repeats (a record re-sent later is verified again).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use dave_core::crypto::{Crypto, sign_digest, verify_digest};
use ed25519_dalek::SigningKey;

/// Default entries per generation: 16 384 × ~200 bytes (key, value, table overhead) ≈ 3 MB for
/// both, at least ten times the datagrams the pipeline holds at once.
pub const DEFAULT_CAPACITY: usize = 16_384;

/// What one verification is a function of. Compared in full (no hash of it stands in for it),
/// so two different claims can never share an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Claim {
    /// The signer's Ed25519 public key, as received (it may not decode).
    pub pubkey: [u8; 32],
    /// The signed digest.
    pub digest: [u8; 32],
    /// The signature, as received.
    pub sig: [u8; 64],
}

/// Counts of how verifications were answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Verifications computed by workers ahead of the node.
    pub warmed: u64,
    /// Node verifications answered from the cache.
    pub hits: u64,
    /// Node verifications the node computed itself (not in the cache).
    pub misses: u64,
}

/// The thread-safe, bounded verification cache (see the module docs).
#[derive(Debug)]
pub struct VerifyCache {
    generations: Mutex<Generations>,
    capacity: usize,
    warmed: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Debug, Default)]
struct Generations {
    current: HashMap<Claim, bool>,
    previous: HashMap<Claim, bool>,
}

impl Default for VerifyCache {
    fn default() -> Self {
        VerifyCache::new(DEFAULT_CAPACITY)
    }
}

impl VerifyCache {
    /// An empty cache of at most `2 × capacity` results.
    pub fn new(capacity: usize) -> Self {
        VerifyCache {
            generations: Mutex::new(Generations::default()),
            capacity: capacity.max(1),
            warmed: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The lock; every critical section leaves the maps consistent, so poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, Generations> {
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lookup(&self, claim: &Claim) -> Option<bool> {
        let generations = self.lock();
        generations
            .current
            .get(claim)
            .or_else(|| generations.previous.get(claim))
            .copied()
    }

    /// Verifies `claim` (outside the lock, so workers verify in parallel) and keeps the result.
    fn compute(&self, claim: &Claim) -> bool {
        let ok = verify_digest(&claim.pubkey, &claim.digest, &claim.sig);
        let mut generations = self.lock();
        if generations.current.len() >= self.capacity {
            generations.previous = std::mem::take(&mut generations.current);
        }
        generations.current.insert(*claim, ok);
        ok
    }

    /// A worker's call: verifies `claim` unless already cached, so the node finds the result.
    pub fn warm(&self, claim: &Claim) -> bool {
        if let Some(ok) = self.lookup(claim) {
            return ok;
        }
        self.warmed.fetch_add(1, Ordering::Relaxed);
        self.compute(claim)
    }

    /// The node's call: the cached result, or a verification now.
    pub fn check(&self, claim: &Claim) -> bool {
        if let Some(ok) = self.lookup(claim) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return ok;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        self.compute(claim)
    }

    /// Results held (at most twice the capacity).
    pub fn len(&self) -> usize {
        let generations = self.lock();
        generations.current.len() + generations.previous.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How verifications were answered so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            warmed: self.warmed.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// The node's crypto provider: verification through the cache, signing and work checks as
/// [`dave_core::crypto::DirectCrypto`].
impl Crypto for VerifyCache {
    fn sign(&self, key: &SigningKey, digest: &[u8; 32]) -> [u8; 64] {
        sign_digest(key, digest)
    }

    fn verify(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
        self.check(&Claim {
            pubkey: *pubkey,
            digest: *digest,
            sig: *sig,
        })
    }
}

/// The workers' provider, for running the core's own acceptance rules
/// (`DatRef::verify`) ahead of the node: its verification warms the cache.
pub struct Warming<'a>(pub &'a VerifyCache);

impl Crypto for Warming<'_> {
    fn sign(&self, key: &SigningKey, digest: &[u8; 32]) -> [u8; 64] {
        sign_digest(key, digest)
    }

    fn verify(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
        self.0.warm(&Claim {
            pubkey: *pubkey,
            digest: *digest,
            sig: *sig,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dave_core::crypto::DirectCrypto;

    fn signed(seed: u8, digest: [u8; 32]) -> Claim {
        let key = SigningKey::from_bytes(&[seed; 32]);
        Claim {
            pubkey: key.verifying_key().to_bytes(),
            digest,
            sig: sign_digest(&key, &digest),
        }
    }

    #[test]
    fn a_forged_signature_is_never_accepted_through_the_cache() {
        let cache = VerifyCache::new(64);
        let good = signed(1, [7; 32]);
        let mut forged = good;
        forged.sig[10] ^= 0x40;
        let mut other_digest = good;
        other_digest.digest[0] ^= 1;
        let mut other_key = good;
        other_key.pubkey = signed(2, [7; 32]).pubkey;
        // Workers warm the genuine claim first: its `true` must not leak to near neighbours.
        assert!(cache.warm(&good));
        for claim in [forged, other_digest, other_key] {
            assert!(!cache.warm(&claim));
            // Answered from the cache now, and still false.
            assert!(!cache.check(&claim));
            assert!(!cache.verify(&claim.pubkey, &claim.digest, &claim.sig));
        }
        assert!(cache.check(&good));
        assert_eq!(
            cache.stats(),
            CacheStats {
                warmed: 4,
                hits: 7,
                misses: 0
            }
        );
    }

    #[test]
    fn a_miss_is_verified_by_the_node_and_agrees_with_the_plain_provider() {
        let cache = VerifyCache::new(64);
        let good = signed(3, [9; 32]);
        let mut forged = good;
        forged.sig[63] ^= 1;
        let not_a_key = Claim {
            pubkey: [0xff; 32],
            ..good
        };
        for claim in [good, forged, not_a_key] {
            let direct = DirectCrypto.verify(&claim.pubkey, &claim.digest, &claim.sig);
            assert_eq!(cache.check(&claim), direct);
            assert_eq!(cache.check(&claim), direct);
        }
        let stats = cache.stats();
        assert_eq!((stats.warmed, stats.misses, stats.hits), (0, 3, 3));
    }

    #[test]
    fn holds_at_most_two_generations() {
        let cache = VerifyCache::new(4);
        let claims: Vec<Claim> = (0..10).map(|i| signed(5, [i; 32])).collect();
        for claim in &claims {
            assert!(cache.warm(claim));
            assert!(cache.len() <= 8);
        }
        // The newest are still held; the oldest were dropped and cost a fresh verification.
        assert!(cache.check(&claims[9]));
        assert!(cache.check(&claims[0]));
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (1, 1));
    }
}
