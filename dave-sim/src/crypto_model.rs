//! The simulator's crypto providers and the scenario's choice between them (issue 11).
//!
//! - `ed25519`: real signatures, verified through [`MemoCrypto`]'s cache. Honest about the CPU a
//!   node spends, and 50–100 µs per unique verification: at 1,000 nodes more than half the wall
//!   time goes into curve arithmetic.
//! - `modeled` (the default): every signature is a 64-byte keyed BLAKE3 tag of (public key,
//!   digest) under a secret only this provider holds. Verification recomputes the tag, about
//!   0.1 µs.
//!
//! **Why modeled is the default.** Simulated nodes never see CPU time — virtual time does not
//! advance while a node computes — so the cost of ed25519 changes no simulated outcome, only how
//! long a researcher waits. What does shape outcomes is what a signature *means*, and the model
//! keeps all of it: signatures are 64 bytes (datagram sizes and proof-of-work, which hashes the
//! signature, are unchanged in distribution); a valid signature exists only for a (public key,
//! digest) pair its key holder signed, because producing one needs [`Crypto::sign`] with that
//! `SigningKey`; any other key, digest or flipped bit fails; public keys and NodeIds are real
//! ed25519 keys derived from the same seeds. An attacker node holds only its own keys and the
//! bytes it received, exactly as with ed25519, so every protocol decision and attack plays out
//! the same. Choose `ed25519` to measure what real crypto costs, or to record traffic whose
//! signatures real implementations accept (`--pcap`).
//!
//! The model's secret is derived from the run's seed, so a run stays a pure function of
//! (scenario, seed) and its bytes are reproducible; nodes never see the secret.

use std::sync::atomic::{AtomicU64, Ordering};

use dave_core::crypto::Crypto;
use ed25519_dalek::SigningKey;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::crypto_memo::MemoCrypto;
use crate::engine::rng::seed_bytes;

/// Which signature scheme a scenario's nodes use (scenario field `crypto`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CryptoMode {
    /// Real ed25519 signatures, verified through a cache shared by all nodes.
    Ed25519,
    /// Unforgeable keyed-BLAKE3 stand-ins of the same size: identical protocol behaviour,
    /// a thousand times cheaper (see the module docs for why this is the default).
    #[default]
    Modeled,
}

/// Signatures that behave like ed25519's for the protocol but cost one BLAKE3 block.
///
/// `sign(key, d)` = the first 64 bytes of BLAKE3-keyed(secret, pubkey(key) ‖ d), extended
/// output. Without `secret` a tag for a new (pubkey, digest) is a 512-bit guess.
pub struct ModeledCrypto {
    secret: [u8; 32],
    verified: AtomicU64,
}

impl ModeledCrypto {
    /// A provider whose secret is `secret`.
    pub fn new(secret: [u8; 32]) -> ModeledCrypto {
        ModeledCrypto {
            secret,
            verified: AtomicU64::new(0),
        }
    }

    /// The provider of a run with root seed `seed`.
    pub fn for_seed(seed: u64) -> ModeledCrypto {
        ModeledCrypto::new(seed_bytes(seed, "modeled-crypto", 0))
    }

    /// Verifications computed.
    pub fn verified(&self) -> u64 {
        self.verified.load(Ordering::Relaxed)
    }

    fn tag(&self, pubkey: &[u8; 32], digest: &[u8; 32]) -> [u8; 64] {
        let mut h = blake3::Hasher::new_keyed(&self.secret);
        h.update(pubkey);
        h.update(digest);
        let mut sig = [0u8; 64];
        h.finalize_xof().fill(&mut sig);
        sig
    }
}

impl Crypto for ModeledCrypto {
    fn sign(&self, key: &SigningKey, digest: &[u8; 32]) -> [u8; 64] {
        self.tag(key.verifying_key().as_bytes(), digest)
    }

    fn verify(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
        self.verified.fetch_add(1, Ordering::Relaxed);
        self.tag(pubkey, digest) == *sig
    }
}

/// The provider every node of one run shares.
pub struct SimCrypto {
    scheme: Scheme,
    signed: AtomicU64,
}

enum Scheme {
    /// Real ed25519, memoized.
    Ed25519(MemoCrypto),
    /// Keyed-BLAKE3 model.
    Modeled(ModeledCrypto),
}

impl SimCrypto {
    /// The provider a scenario asks for, for a run with root seed `seed`.
    pub fn new(mode: CryptoMode, seed: u64) -> SimCrypto {
        let scheme = match mode {
            CryptoMode::Ed25519 => Scheme::Ed25519(MemoCrypto::default()),
            CryptoMode::Modeled => Scheme::Modeled(ModeledCrypto::for_seed(seed)),
        };
        SimCrypto {
            scheme,
            signed: AtomicU64::new(0),
        }
    }

    /// Signatures made (metric `signatures_made`).
    pub fn signed(&self) -> u64 {
        self.signed.load(Ordering::Relaxed)
    }

    /// Verifications actually computed (metric `verifications_computed`).
    pub fn computed(&self) -> u64 {
        match &self.scheme {
            Scheme::Ed25519(m) => m.computed(),
            Scheme::Modeled(m) => m.verified(),
        }
    }

    /// Verifications answered from a cache (metric `verifications_cached`; the model has none).
    pub fn cached(&self) -> u64 {
        match &self.scheme {
            Scheme::Ed25519(m) => m.cached(),
            Scheme::Modeled(_) => 0,
        }
    }
}

impl Crypto for SimCrypto {
    fn sign(&self, key: &SigningKey, digest: &[u8; 32]) -> [u8; 64] {
        self.signed.fetch_add(1, Ordering::Relaxed);
        match &self.scheme {
            Scheme::Ed25519(c) => c.sign(key, digest),
            Scheme::Modeled(c) => c.sign(key, digest),
        }
    }

    fn verify(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
        match &self.scheme {
            Scheme::Ed25519(c) => c.verify(pubkey, digest, sig),
            Scheme::Modeled(c) => c.verify(pubkey, digest, sig),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dave_core::crypto::DirectCrypto;
    use dave_core::dat::Dat;

    const RULES: dave_core::dat::VerifyRules = dave_core::dat::VerifyRules {
        min_work: 4,
        max_clock_skew_ms: 60_000,
        ttl_ms: u64::MAX / 4,
    };

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32])
    }

    fn pubkey(k: &SigningKey) -> [u8; 32] {
        k.verifying_key().to_bytes()
    }

    #[test]
    fn accepts_what_the_key_signed_and_rejects_every_forgery() {
        let m = ModeledCrypto::for_seed(1);
        let (alice, bob) = (key(1), key(2));
        let digest = [7u8; 32];
        let sig = m.sign(&alice, &digest);
        assert!(m.verify(&pubkey(&alice), &digest, &sig));
        assert!(
            !m.verify(&pubkey(&bob), &digest, &sig),
            "another key's signature"
        );
        assert!(
            !m.verify(&pubkey(&alice), &[8u8; 32], &sig),
            "another digest"
        );
        for bit in [0, 100, 511] {
            let mut flipped = sig;
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(!m.verify(&pubkey(&alice), &digest, &flipped), "bit {bit}");
        }
        // Bob signing the same digest gets his own, different signature.
        assert_ne!(m.sign(&bob, &digest), sig);
        assert!(!m.verify(&pubkey(&alice), &digest, &[0u8; 64]));
        assert_eq!(m.verified(), 7);
    }

    #[test]
    fn other_secrets_and_real_ed25519_do_not_cross_verify() {
        let (a, b) = (ModeledCrypto::for_seed(1), ModeledCrypto::for_seed(2));
        let k = key(3);
        let digest = [9u8; 32];
        let modeled = a.sign(&k, &digest);
        let real = DirectCrypto.sign(&k, &digest);
        assert!(!b.verify(&pubkey(&k), &digest, &modeled));
        assert!(!a.verify(&pubkey(&k), &digest, &real));
        assert!(!DirectCrypto.verify(&pubkey(&k), &digest, &modeled));
        assert!(DirectCrypto.verify(&pubkey(&k), &digest, &real));
    }

    #[test]
    fn same_seed_same_bytes() {
        let k = key(4);
        let digest = [1u8; 32];
        let a = ModeledCrypto::for_seed(5).sign(&k, &digest);
        assert_eq!(a, ModeledCrypto::for_seed(5).sign(&k, &digest));
        assert_ne!(a, ModeledCrypto::for_seed(6).sign(&k, &digest));
        let (x, y) = (
            SimCrypto::new(CryptoMode::Modeled, 5),
            SimCrypto::new(CryptoMode::Ed25519, 5),
        );
        assert_eq!(x.sign(&k, &digest), a);
        assert_eq!(y.sign(&k, &digest), DirectCrypto.sign(&k, &digest));
        assert_eq!((x.signed(), y.signed()), (1, 1));
    }

    #[test]
    fn a_record_verifies_only_under_its_owner_and_provider() {
        let m = SimCrypto::new(CryptoMode::Modeled, 1);
        let owner = key(5);
        let dat = Dat::new_with(&m, &owner, b"k", b"v", 1_000, 4, 1, [0; 16]).expect("fits");
        assert_eq!(dat.pubkey, pubkey(&owner));
        assert_eq!(dat.as_ref().verify(1_000, &RULES, &m), Ok(()));
        let mut stolen = dat.clone();
        stolen.pubkey = pubkey(&key(6));
        assert!(stolen.as_ref().verify(1_000, &RULES, &m).is_err());
        let mut altered = dat.clone();
        altered.val = b"w".to_vec();
        assert!(altered.as_ref().verify(1_000, &RULES, &m).is_err());
        let other_run = SimCrypto::new(CryptoMode::Modeled, 2);
        assert!(dat.as_ref().verify(1_000, &RULES, &other_run).is_err());
        assert!(dat.as_ref().verify(1_000, &RULES, &DirectCrypto).is_err());
        let real = Dat::new_with(
            &SimCrypto::new(CryptoMode::Ed25519, 1),
            &owner,
            b"k",
            b"v",
            1_000,
            4,
            1,
            [0; 16],
        )
        .expect("fits");
        assert_eq!(real.as_ref().verify(1_000, &RULES, &DirectCrypto), Ok(()));
        assert!(real.as_ref().verify(1_000, &RULES, &m).is_err());
    }
}
