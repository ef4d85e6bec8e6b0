//! The crypto provider: signing, signature verification and work checks behind one trait.
//!
//! Verification is a pure function of (public key, digest, signature) and costs about 105 µs
//! (`cargo bench -p dave-core`, `DatRef::verify`: 115 µs, of which the ed25519 check is 105 µs,
//! on the project's loaded 2-core machine), some hundred times a simulated datagram; the simulator therefore hands its nodes a provider that memoizes it
//! across nodes. The node only ever sees this trait.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::hash::{WORK_CONTEXT, h, leading_zeros};

/// Signs, verifies and checks proof-of-work for a node.
pub trait Crypto: Send + Sync {
    /// Ed25519 signature of a 32-byte digest.
    fn sign(&self, key: &SigningKey, digest: &[u8; 32]) -> [u8; 64];
    /// Whether `sig` is `pubkey`'s strict Ed25519 signature of `digest`. A malformed public key is
    /// simply a failed verification.
    fn verify(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool;
    /// Whether `work == H("dave v1 work", salt ‖ sig)` and it has at least `min_work` leading zeros.
    fn check_work(&self, salt: &[u8; 16], sig: &[u8; 64], work: &[u8; 32], min_work: u32) -> bool {
        work_is_valid(salt, sig, work, min_work)
    }
}

/// The plain provider: computes everything, caches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectCrypto;

impl Crypto for DirectCrypto {
    fn sign(&self, key: &SigningKey, digest: &[u8; 32]) -> [u8; 64] {
        sign_digest(key, digest)
    }

    fn verify(&self, pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
        verify_digest(pubkey, digest, sig)
    }
}

/// Ed25519 signature of a digest (deterministic, RFC 8032).
pub fn sign_digest(key: &SigningKey, digest: &[u8; 32]) -> [u8; 64] {
    key.sign(digest).to_bytes()
}

/// Strict Ed25519 verification of a digest: rejects small-order keys and non-canonical encodings,
/// so one signed text has exactly one valid signature per key.
pub fn verify_digest(pubkey: &[u8; 32], digest: &[u8; 32], sig: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(pubkey) else {
        return false;
    };
    key.verify_strict(digest, &Signature::from_bytes(sig))
        .is_ok()
}

/// The proof-of-work hash of a salt and signature.
pub fn work_hash(salt: &[u8; 16], sig: &[u8; 64]) -> [u8; 32] {
    h(WORK_CONTEXT, &[salt, sig])
}

/// Whether `work` recomputes from `salt ‖ sig` and has at least `min_work` leading zero bits.
/// The cheap bit count runs first, so junk with too little claimed work costs no hash.
pub fn work_is_valid(salt: &[u8; 16], sig: &[u8; 64], work: &[u8; 32], min_work: u32) -> bool {
    leading_zeros(work) >= min_work && work_hash(salt, sig) == *work
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let pubkey = key.verifying_key().to_bytes();
        let sig = DirectCrypto.sign(&key, &[1; 32]);
        assert!(DirectCrypto.verify(&pubkey, &[1; 32], &sig));
        assert!(!DirectCrypto.verify(&pubkey, &[2; 32], &sig));
        assert!(!DirectCrypto.verify(&[0xff; 32], &[1; 32], &sig));
    }

    #[test]
    fn work_must_recompute_and_meet_difficulty() {
        let sig = [3; 64];
        let salt = [4; 16];
        let work = work_hash(&salt, &sig);
        let bits = leading_zeros(&work);
        assert!(DirectCrypto.check_work(&salt, &sig, &work, bits));
        assert!(!DirectCrypto.check_work(&salt, &sig, &work, bits + 1));
        let mut forged = [0u8; 32];
        forged[31] = 1;
        assert!(!DirectCrypto.check_work(&salt, &sig, &forged, 8));
    }
}
