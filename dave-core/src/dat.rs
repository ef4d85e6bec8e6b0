//! Records ("dats"): signed, proof-of-work key-value pairs and the rules for accepting them
//! (docs/protocol.md §3).
//!
//! A record is addressed by (owner public key, key). The owner signs a length-prefixed,
//! domain-separated digest of key, value and time; the writer then pays proof-of-work over the
//! signature. Receivers check the cheap rules first (sizes, time, work) so that junk costs one
//! hash, never a signature check.

use std::sync::atomic::{AtomicU64, Ordering};

use ed25519_dalek::SigningKey;

use crate::crypto::{Crypto, DirectCrypto, work_hash};
use crate::hash::{DAT_CONTEXT, h, leading_zeros};
use crate::id::RecordId;

/// Longest key a record may have.
pub const MAX_KEY_LEN: usize = 255;
/// Largest `len(key) + len(val)`: makes the largest GET_ACK exactly 1424 bytes.
pub const MAX_KEY_VAL_LEN: usize = 1267;
/// Most work [`Dat::new`] will try to mine: it counts at most 2^64 salts.
pub const MAX_MINABLE_WORK: u32 = 64;
/// Bytes of an encoded record besides its key and value:
/// time 8, salt 16, work 32, sig 64, pubkey 32, key length 1, value length 2.
pub const DAT_FIXED_LEN: usize = 8 + 16 + 32 + 64 + 32 + 1 + 2;

/// Why a record was refused, one variant per rule of §3, in the order they are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DatError {
    /// Keys have 1 to 255 bytes.
    #[error("key length {0} is outside 1..=255")]
    KeyLength(usize),
    /// Key and value together exceed what fits a datagram.
    #[error("key + value is {0} bytes, more than 1267")]
    TooLarge(usize),
    /// The record claims a time further ahead of ours than clocks can plausibly differ.
    #[error("record time is {ahead_ms} ms ahead of now, more than the allowed clock skew")]
    FromTheFuture {
        /// How far ahead of `now` the record's time is.
        ahead_ms: u64,
    },
    /// The record has lived its TTL.
    #[error("record expired")]
    Expired,
    /// `work` does not recompute from salt and signature, or has too few leading zeros.
    #[error("proof-of-work invalid or below the minimum")]
    WorkInvalid,
    /// A writer asked to mine more work than the miner's 2^64-salt search can be expected to
    /// find (the search would never return).
    #[error("{0} bits of work cannot be mined (at most 64)")]
    WorkUnreachable(u32),
    /// The signature does not verify under the record's public key.
    #[error("signature does not verify")]
    SignatureInvalid,
}

/// The receiver's acceptance rules, taken from its `Config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyRules {
    /// MIN_WORK: leading zero bits the work hash must have.
    pub min_work: u32,
    /// MAX_CLOCK_SKEW in milliseconds: how far in the future a record's time may be.
    pub max_clock_skew_ms: u64,
    /// TTL in milliseconds: how long a record lives after its time.
    pub ttl_ms: u64,
}

/// The version of a record: newer time wins, then larger work bytes. A total order, so two
/// nodes holding different versions always agree which one is newer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Record time in milliseconds.
    pub time: u64,
    /// Work hash, compared bytewise.
    pub work: [u8; 32],
}

/// An owned record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dat {
    /// Milliseconds since the Unix epoch (or the simulator's epoch) when it was written.
    pub time: u64,
    /// The miner's salt.
    pub salt: [u8; 16],
    /// `H("dave v1 work", salt ‖ sig)`.
    pub work: [u8; 32],
    /// The owner's signature of [`sign_digest`](DatRef::sign_digest).
    pub sig: [u8; 64],
    /// The owner's Ed25519 public key.
    pub pubkey: [u8; 32],
    /// 1..=255 bytes.
    pub key: Vec<u8>,
    /// Any bytes, within the size limit.
    pub val: Vec<u8>,
}

/// A record borrowed from a datagram: decoding a PUT or GET_ACK allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DatRef<'a> {
    /// See [`Dat::time`].
    pub time: u64,
    /// See [`Dat::salt`].
    pub salt: [u8; 16],
    /// See [`Dat::work`].
    pub work: [u8; 32],
    /// See [`Dat::sig`].
    pub sig: [u8; 64],
    /// See [`Dat::pubkey`].
    pub pubkey: [u8; 32],
    /// See [`Dat::key`].
    pub key: &'a [u8],
    /// See [`Dat::val`].
    pub val: &'a [u8],
}

/// Checks the size rules: key 1..=255 bytes, key + value ≤ 1267 bytes.
pub fn check_sizes(key_len: usize, val_len: usize) -> Result<(), DatError> {
    if key_len == 0 || key_len > MAX_KEY_LEN {
        return Err(DatError::KeyLength(key_len));
    }
    if key_len + val_len > MAX_KEY_VAL_LEN {
        return Err(DatError::TooLarge(key_len + val_len));
    }
    Ok(())
}

/// The digest an owner signs: `H("dave v1 dat", u8 len(key) ‖ key ‖ u16 len(val) ‖ val ‖ u64 time)`.
///
/// The length prefixes stop a signature over ("ab", "c") from also covering ("a", "bc").
/// Callers must have checked sizes (a key over 255 bytes has no prefix).
pub fn sign_digest_of(key: &[u8], val: &[u8], time: u64) -> [u8; 32] {
    let key_len = [u8::try_from(key.len()).unwrap_or(u8::MAX)];
    let val_len = u16::try_from(val.len()).unwrap_or(u16::MAX).to_le_bytes();
    h(
        DAT_CONTEXT,
        &[&key_len, key, &val_len, val, &time.to_le_bytes()],
    )
}

impl Dat {
    /// Signs and mines a record.
    ///
    /// Mining counts the 128-bit little-endian salt upward from `salt_start` (give it random
    /// bytes) until the work hash has `min_work` leading zero bits. With `threads > 1` the search
    /// runs on that many scoped threads — the miner is a writer's utility outside the state
    /// machine (§10) — and still returns the *first* qualifying salt, so the result never depends
    /// on the thread count. Refuses a record that could not fit a datagram.
    pub fn new(
        signing_key: &SigningKey,
        key: &[u8],
        val: &[u8],
        time: u64,
        min_work: u32,
        threads: usize,
        salt_start: [u8; 16],
    ) -> Result<Dat, DatError> {
        Dat::new_with(
            &DirectCrypto,
            signing_key,
            key,
            val,
            time,
            min_work,
            threads,
            salt_start,
        )
    }

    /// [`Dat::new`] with the signature made by `crypto`: a simulator whose nodes verify with a
    /// modeled provider must sign its writers' records with the same provider.
    #[allow(clippy::too_many_arguments)]
    pub fn new_with(
        crypto: &dyn Crypto,
        signing_key: &SigningKey,
        key: &[u8],
        val: &[u8],
        time: u64,
        min_work: u32,
        threads: usize,
        salt_start: [u8; 16],
    ) -> Result<Dat, DatError> {
        check_sizes(key.len(), val.len())?;
        if min_work > MAX_MINABLE_WORK {
            return Err(DatError::WorkUnreachable(min_work));
        }
        let sig = crypto.sign(signing_key, &sign_digest_of(key, val, time));
        let salt = mine(
            &sig,
            min_work,
            threads.max(1),
            u128::from_le_bytes(salt_start),
        );
        Ok(Dat {
            time,
            salt,
            work: work_hash(&salt, &sig),
            sig,
            pubkey: signing_key.verifying_key().to_bytes(),
            key: key.to_vec(),
            val: val.to_vec(),
        })
    }

    /// Borrows this record as a [`DatRef`].
    pub fn as_ref(&self) -> DatRef<'_> {
        DatRef {
            time: self.time,
            salt: self.salt,
            work: self.work,
            sig: self.sig,
            pubkey: self.pubkey,
            key: &self.key,
            val: &self.val,
        }
    }

    /// See [`DatRef::record_id`].
    pub fn record_id(&self) -> RecordId {
        self.as_ref().record_id()
    }

    /// See [`DatRef::version`].
    pub fn version(&self) -> Version {
        self.as_ref().version()
    }

    /// See [`DatRef::encoded_len`].
    pub fn encoded_len(&self) -> usize {
        self.as_ref().encoded_len()
    }
}

impl DatRef<'_> {
    /// Copies the borrowed record into an owned one.
    pub fn to_owned_dat(&self) -> Dat {
        Dat {
            time: self.time,
            salt: self.salt,
            work: self.work,
            sig: self.sig,
            pubkey: self.pubkey,
            key: self.key.to_vec(),
            val: self.val.to_vec(),
        }
    }

    /// Where the record lives on the ring.
    pub fn record_id(&self) -> RecordId {
        RecordId::of(&self.pubkey, self.key)
    }

    /// Its version, for choosing between two records of the same (pubkey, key).
    pub fn version(&self) -> Version {
        Version {
            time: self.time,
            work: self.work,
        }
    }

    /// Bytes of the record's encoding (the body of a PUT).
    pub fn encoded_len(&self) -> usize {
        DAT_FIXED_LEN + self.key.len() + self.val.len()
    }

    /// The digest the owner signed.
    pub fn sign_digest(&self) -> [u8; 32] {
        sign_digest_of(self.key, self.val, self.time)
    }

    /// Applies every acceptance rule of §3, cheapest first: sizes, clock skew, expiry, work,
    /// signature. Returns the first rule that fails.
    pub fn verify(
        &self,
        now_ms: u64,
        rules: &VerifyRules,
        crypto: &dyn Crypto,
    ) -> Result<(), DatError> {
        check_sizes(self.key.len(), self.val.len())?;
        let latest = now_ms.saturating_add(rules.max_clock_skew_ms);
        if self.time > latest {
            return Err(DatError::FromTheFuture {
                ahead_ms: self.time - now_ms,
            });
        }
        if self.time.saturating_add(rules.ttl_ms) <= now_ms {
            return Err(DatError::Expired);
        }
        if !crypto.check_work(&self.salt, &self.sig, &self.work, rules.min_work) {
            return Err(DatError::WorkInvalid);
        }
        if !crypto.verify(&self.pubkey, &self.sign_digest(), &self.sig) {
            return Err(DatError::SignatureInvalid);
        }
        Ok(())
    }
}

/// Finds the first salt at or after `start` (counting upward, wrapping) whose work hash has
/// `min_work` leading zeros. Thread `t` of `threads` tries offsets `t, t + threads, …`; the
/// smallest qualifying offset found by any thread wins, so the answer is the sequential one.
fn mine(sig: &[u8; 64], min_work: u32, threads: usize, start: u128) -> [u8; 16] {
    let qualifies = |offset: u64| {
        let salt = start.wrapping_add(u128::from(offset)).to_le_bytes();
        leading_zeros(&work_hash(&salt, sig)) >= min_work
    };
    let best = AtomicU64::new(u64::MAX);
    let search = |first: u64| {
        let mut offset = first;
        while offset < best.load(Ordering::Relaxed) {
            if qualifies(offset) {
                best.fetch_min(offset, Ordering::Relaxed);
                return;
            }
            offset = offset.saturating_add(threads as u64);
        }
    };
    if threads == 1 {
        search(0);
    } else {
        std::thread::scope(|scope| {
            for first in 0..threads as u64 {
                let search = &search;
                scope.spawn(move || search(first));
            }
        });
    }
    start
        .wrapping_add(u128::from(best.load(Ordering::Relaxed)))
        .to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: VerifyRules = VerifyRules {
        min_work: 8,
        max_clock_skew_ms: 2_000,
        ttl_ms: 365 * 24 * 3600 * 1000,
    };
    const NOW: u64 = 1_700_000_000_000;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn record(time: u64) -> Dat {
        Dat::new(&key(), b"hello", b"world", time, 8, 1, [0; 16]).expect("fits")
    }

    #[test]
    fn a_fresh_record_verifies() {
        let dat = record(NOW);
        assert!(leading_zeros(&dat.work) >= 8);
        assert_eq!(dat.as_ref().verify(NOW, &RULES, &DirectCrypto), Ok(()));
    }

    #[test]
    fn mining_is_independent_of_thread_count() {
        let one = Dat::new(&key(), b"k", b"v", NOW, 10, 1, [5; 16]).expect("fits");
        let four = Dat::new(&key(), b"k", b"v", NOW, 10, 4, [5; 16]).expect("fits");
        assert_eq!(one, four);
    }

    #[test]
    fn sizes_are_checked_first() {
        assert_eq!(check_sizes(0, 0), Err(DatError::KeyLength(0)));
        assert_eq!(check_sizes(256, 0), Err(DatError::KeyLength(256)));
        assert_eq!(check_sizes(255, 1012), Ok(()));
        assert_eq!(check_sizes(255, 1013), Err(DatError::TooLarge(1268)));
        let err = Dat::new(&key(), b"k", &[0; 1267], NOW, 0, 1, [0; 16]);
        assert_eq!(err, Err(DatError::TooLarge(1268)));
        let mut dat = record(NOW);
        dat.key.clear();
        assert_eq!(
            dat.as_ref().verify(NOW, &RULES, &DirectCrypto),
            Err(DatError::KeyLength(0))
        );
    }

    #[test]
    fn impossible_work_is_refused_not_mined_forever() {
        let err = Dat::new(&key(), b"k", b"v", NOW, MAX_MINABLE_WORK + 1, 1, [0; 16]);
        assert_eq!(err, Err(DatError::WorkUnreachable(65)));
    }

    #[test]
    fn time_rules() {
        let ahead = record(NOW + 2_001);
        assert_eq!(
            ahead.as_ref().verify(NOW, &RULES, &DirectCrypto),
            Err(DatError::FromTheFuture { ahead_ms: 2_001 })
        );
        let within_skew = record(NOW + 2_000);
        assert_eq!(
            within_skew.as_ref().verify(NOW, &RULES, &DirectCrypto),
            Ok(())
        );
        let old = record(NOW - RULES.ttl_ms);
        assert_eq!(
            old.as_ref().verify(NOW, &RULES, &DirectCrypto),
            Err(DatError::Expired)
        );
        let almost = record(NOW - RULES.ttl_ms + 1);
        assert_eq!(almost.as_ref().verify(NOW, &RULES, &DirectCrypto), Ok(()));
    }

    #[test]
    fn work_rules() {
        let mut dat = record(NOW);
        let strict = VerifyRules {
            min_work: leading_zeros(&dat.work) + 1,
            ..RULES
        };
        assert_eq!(
            dat.as_ref().verify(NOW, &strict, &DirectCrypto),
            Err(DatError::WorkInvalid)
        );
        dat.salt[0] ^= 1;
        assert_eq!(
            dat.as_ref().verify(NOW, &RULES, &DirectCrypto),
            Err(DatError::WorkInvalid)
        );
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let mut dat = record(NOW);
        dat.val = b"World".to_vec();
        assert_eq!(
            dat.as_ref().verify(NOW, &RULES, &DirectCrypto),
            Err(DatError::SignatureInvalid)
        );
    }

    #[test]
    fn no_record_verifies_under_the_node_lookup_key() {
        // The zero key is a point of order 4: with R the identity and s = 0, a lax verifier
        // accepts the signature of every fourth digest. Strict verification accepts none, so
        // a node lookup (§8) can never be answered found.
        let mut forged = [0u8; 64];
        forged[0] = 1;
        for i in 0u8..16 {
            let mut dat = record(NOW);
            dat.pubkey = crate::id::NODE_LOOKUP_KEY;
            dat.key = vec![i; 8];
            assert!(!DirectCrypto.verify(&dat.pubkey, &dat.as_ref().sign_digest(), &forged));
        }
    }

    #[test]
    fn moving_the_key_value_boundary_breaks_the_signature() {
        let mut dat = record(NOW);
        dat.key = b"hellow".to_vec();
        dat.val = b"orld".to_vec();
        assert_eq!(
            dat.as_ref().verify(NOW, &RULES, &DirectCrypto),
            Err(DatError::SignatureInvalid)
        );
    }

    #[test]
    fn versions_order_by_time_then_work() {
        let a = Version {
            time: 1,
            work: [9; 32],
        };
        let b = Version {
            time: 2,
            work: [0; 32],
        };
        let c = Version {
            time: 2,
            work: [1; 32],
        };
        assert!(a < b && b < c);
        assert_eq!(record(NOW).version().time, NOW);
    }

    #[test]
    fn owned_and_borrowed_agree() {
        let dat = record(NOW);
        assert_eq!(dat.as_ref().to_owned_dat(), dat);
        assert_eq!(dat.encoded_len(), DAT_FIXED_LEN + 10);
        assert_eq!(dat.record_id(), RecordId::of(&dat.pubkey, b"hello"));
    }
}
