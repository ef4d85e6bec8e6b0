//! Property tests of records (docs/protocol.md §3): what `Dat::new` makes always verifies, every
//! single-bit tamper is caught by the rule that owns the field, sizes are refused before any
//! signing, and versions are a total order consistent with (time, work).
//!
//! Signing and verifying cost ~100 µs each even in debug (the crypto crates are optimised in
//! test builds), and mining at ≤ 6 bits is ~64 hashes, so 64 cases keep this to well under a
//! second.

use std::cmp::Ordering;

use dave_core::crypto::DirectCrypto;
use dave_core::dat::{Dat, DatError, MAX_KEY_LEN, MAX_KEY_VAL_LEN, VerifyRules, Version};
use dave_core::hash::leading_zeros;
use dave_core::wire::{Message, decode_dat_body, encode_dat_body};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use proptest::sample::Index;

const SKEW_MS: u64 = 2_000;
const TTL_MS: u64 = 365 * 24 * 3600 * 1000;

fn rules(min_work: u32) -> VerifyRules {
    VerifyRules {
        min_work,
        max_clock_skew_ms: SKEW_MS,
        ttl_ms: TTL_MS,
    }
}

/// Key and value within the limits, favouring the extremes.
fn key_val() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    prop_oneof![1..=8usize, 1..=MAX_KEY_LEN, Just(MAX_KEY_LEN)]
        .prop_flat_map(|key_len| {
            let room = MAX_KEY_VAL_LEN - key_len;
            (Just(key_len), prop_oneof![Just(0), Just(room), 0..=room])
        })
        .prop_flat_map(|(key_len, val_len)| {
            (
                prop::collection::vec(any::<u8>(), key_len),
                prop::collection::vec(any::<u8>(), val_len),
            )
        })
}

/// Record times from the epoch to far beyond any real clock (but not at `u64::MAX`, where
/// every record is expired because nothing lives past the end of time).
fn time() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 0u64..(1 << 62)]
}

/// A freshly signed and mined record, with the work it was mined to.
fn fresh_dat() -> impl Strategy<Value = (Dat, u32)> {
    (
        any::<[u8; 32]>(),
        key_val(),
        time(),
        0u32..=6,
        1usize..=3,
        any::<[u8; 16]>(),
    )
        .prop_map(|(seed, (key, val), time, min_work, threads, salt_start)| {
            let signer = SigningKey::from_bytes(&seed);
            let dat = Dat::new(&signer, &key, &val, time, min_work, threads, salt_start)
                .expect("sizes are within the limits");
            (dat, min_work)
        })
}

/// Versions drawn from a small alphabet so that equal times and equal work bytes are common.
fn version() -> impl Strategy<Value = Version> {
    (
        prop_oneof![0u64..3, any::<u64>()],
        prop_oneof![prop::array::uniform32(0u8..2), any::<[u8; 32]>()],
    )
        .prop_map(|(time, work)| Version { time, work })
}

/// The record's fields as a flat bit string, to flip one bit anywhere a receiver looks.
#[derive(Clone, Copy, Debug)]
enum Field {
    Time,
    Salt,
    Work,
    Sig,
    Pubkey,
    Key,
    Val,
}

fn flip(dat: &mut Dat, field: Field, at: Index, bit: u8) -> bool {
    let bytes: &mut [u8] = match field {
        Field::Time => {
            let mut t = dat.time.to_le_bytes();
            t[at.index(8)] ^= 1 << bit;
            dat.time = u64::from_le_bytes(t);
            return true;
        }
        Field::Salt => &mut dat.salt,
        Field::Work => &mut dat.work,
        Field::Sig => &mut dat.sig,
        Field::Pubkey => &mut dat.pubkey,
        Field::Key => &mut dat.key,
        Field::Val => &mut dat.val,
    };
    if bytes.is_empty() {
        return false;
    }
    bytes[at.index(bytes.len())] ^= 1 << bit;
    true
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Time),
        Just(Field::Salt),
        Just(Field::Work),
        Just(Field::Sig),
        Just(Field::Pubkey),
        Just(Field::Key),
        Just(Field::Val),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// What `Dat::new` makes verifies under matching rules, keeps what it was given, and still
    /// verifies after a trip through the wire.
    #[test]
    fn new_records_verify((dat, min_work) in fresh_dat()) {
        prop_assert!(leading_zeros(&dat.work) >= min_work);
        prop_assert_eq!(dat.as_ref().verify(dat.time, &rules(min_work), &DirectCrypto), Ok(()));
        // At the edges of the acceptance window too.
        let oldest_now = dat.time + TTL_MS - 1;
        prop_assert_eq!(dat.as_ref().verify(oldest_now, &rules(min_work), &DirectCrypto), Ok(()));
        let earliest_now = dat.time.saturating_sub(SKEW_MS);
        prop_assert_eq!(
            dat.as_ref().verify(earliest_now, &rules(min_work), &DirectCrypto),
            Ok(())
        );

        let mut buf = [0u8; 1424];
        let len = Message::Put(dat.as_ref()).encode(&mut buf)
            .map_err(|e| TestCaseError::fail(format!("a new record must fit a PUT: {e}")))?;
        let Ok(Message::Put(back)) = Message::decode(&buf[..len]) else {
            return Err(TestCaseError::fail("PUT did not decode as a PUT"));
        };
        prop_assert_eq!(back.verify(dat.time, &rules(min_work), &DirectCrypto), Ok(()));
        prop_assert_eq!(back.to_owned_dat(), dat);
    }

    /// The miner's answer does not depend on how many threads searched.
    #[test]
    fn mining_is_deterministic(
        seed in any::<[u8; 32]>(),
        salt_start in any::<[u8; 16]>(),
        min_work in 0u32..=6,
        threads in 2usize..=4,
    ) {
        let signer = SigningKey::from_bytes(&seed);
        let one = Dat::new(&signer, b"k", b"v", 1, min_work, 1, salt_start).expect("fits");
        let many = Dat::new(&signer, b"k", b"v", 1, min_work, threads, salt_start).expect("fits");
        prop_assert_eq!(one, many);
    }

    /// Any single flipped bit is caught, by the rule that owns the field: a changed salt,
    /// signature or work no longer recomputes the work; a changed key, value, time or public
    /// key no longer matches the signature.
    #[test]
    fn any_flipped_bit_is_refused(
        (dat, min_work) in fresh_dat(),
        field in field(),
        at in any::<Index>(),
        bit in 0u8..8,
    ) {
        let mut tampered = dat.clone();
        prop_assume!(flip(&mut tampered, field, at, bit));
        // Judged at the (possibly tampered) record's own time, so the time rules pass and the
        // rule that owns the field is the one that must fail.
        let got = tampered.as_ref().verify(tampered.time, &rules(min_work), &DirectCrypto);
        let expected = match field {
            Field::Salt | Field::Work | Field::Sig => Err(DatError::WorkInvalid),
            Field::Time | Field::Key | Field::Val | Field::Pubkey => {
                Err(DatError::SignatureInvalid)
            }
        };
        prop_assert_eq!(got, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Out-of-range sizes are refused up front, with the rule that failed.
    #[test]
    fn bad_sizes_are_refused_before_signing(
        key_len in prop_oneof![Just(0usize), Just(256usize), 0..=300usize],
        val_len in 0..=1500usize,
    ) {
        let fits = (1..=MAX_KEY_LEN).contains(&key_len) && key_len + val_len <= MAX_KEY_VAL_LEN;
        prop_assume!(!fits);
        let signer = SigningKey::from_bytes(&[1; 32]);
        let got = Dat::new(&signer, &vec![7; key_len], &vec![7; val_len], 0, 0, 1, [0; 16]);
        let expected = if key_len == 0 || key_len > MAX_KEY_LEN {
            DatError::KeyLength(key_len)
        } else {
            DatError::TooLarge(key_len + val_len)
        };
        prop_assert_eq!(got, Err(expected));
    }

    /// A record body that decodes is within the size rules (the codec and `verify` agree).
    #[test]
    fn decoded_bodies_pass_the_size_rules(
        bytes in prop::collection::vec(any::<u8>(), 155..=1500),
        key_len in 0u8..=255,
    ) {
        let mut bytes = bytes;
        bytes[152] = key_len;
        if let Ok(dat) = decode_dat_body(&bytes) {
            prop_assert!((1..=MAX_KEY_LEN).contains(&dat.key.len()));
            prop_assert!(dat.key.len() + dat.val.len() <= MAX_KEY_VAL_LEN);
            let mut buf = [0u8; 1500];
            let len = encode_dat_body(&dat, &mut buf)
                .map_err(|e| TestCaseError::fail(format!("re-encode failed: {e}")))?;
            prop_assert_eq!(&buf[..len], &bytes[..]);
        }
    }

    /// Versions order exactly as the tuple (time, work bytes): newer time first, then larger
    /// work; equal only when both are equal.
    #[test]
    fn version_order_is_time_then_work(a in version(), b in version()) {
        prop_assert_eq!(a.cmp(&b), (a.time, a.work).cmp(&(b.time, b.work)));
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
        prop_assert_eq!(a.partial_cmp(&b), Some(a.cmp(&b)));
    }

    #[test]
    fn version_order_is_transitive(a in version(), b in version(), c in version()) {
        if a <= b && b <= c {
            prop_assert!(a <= c);
        }
        if a < b && b < c {
            prop_assert!(a < c);
        }
        let mut sorted = [a, b, c];
        sorted.sort();
        prop_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    }
}
