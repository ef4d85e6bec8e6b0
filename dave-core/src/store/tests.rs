//! Unit and property tests of the store (§7).

use super::*;
use proptest::prelude::*;

fn config(capacity: u64) -> Config {
    Config {
        shard_capacity: capacity,
        entry_overhead: 10,
        ..Config::default()
    }
}

/// A record for store tests: the store never checks signatures, so fields are arbitrary.
fn dat(owner: u8, key: &[u8], val_len: usize, time: u64, work0: u8) -> Dat {
    let mut work = [0u8; 32];
    work[0] = work0;
    Dat {
        time,
        salt: [0; 16],
        work,
        sig: [0; 64],
        pubkey: [owner; 32],
        key: key.to_vec(),
        val: vec![7; val_len],
    }
}

/// Finds `n` distinct keys whose records fall in shard 0, so capacity tests hit one shard.
fn keys_in_shard(owner: u8, shard: usize, n: usize) -> Vec<Vec<u8>> {
    (0u32..)
        .map(|i| i.to_le_bytes().to_vec())
        .filter(|k| Store::shard_of(RecordId::of(&[owner; 32], k)) == shard)
        .take(n)
        .collect()
}

const DAY_MS: u64 = 86_400_000;

#[test]
fn retention_key_matches_spec_formula() {
    let ttl = 365 * DAY_MS;
    assert_eq!(retention_key(1000, 0, ttl), 1000 + ttl);
    // Half the ring away loses half the TTL.
    assert_eq!(retention_key(1000, 1 << 63, ttl), 1000 + ttl - ttl / 2);
    // The farthest record keeps just over nothing.
    let far = retention_key(0, u64::MAX, ttl);
    assert!(far < 2, "{far}");
}

#[test]
fn insert_get_and_versions() {
    let mut store = Store::new(NodeId(0), &config(1 << 20));
    let mut evicted = Vec::new();
    let now = DAY_MS;
    let v1 = dat(1, b"k", 10, now, 0);
    let id = v1.record_id();
    assert!(store.insert(v1.clone(), now, &mut evicted).is_ok());
    assert_eq!(store.find(&[1; 32], b"k", id), Some(&v1));
    assert_eq!(
        store.insert(v1.clone(), now, &mut evicted).unwrap_err(),
        Refusal::Stale
    );
    // Same time, larger work wins; smaller loses.
    let v1b = dat(1, b"k", 12, now, 5);
    let replaced = store
        .insert(v1b.clone(), now, &mut evicted)
        .unwrap()
        .replaced;
    assert_eq!(replaced, Some(v1.clone()));
    assert_eq!(
        store.insert(v1, now, &mut evicted).unwrap_err(),
        Refusal::Stale
    );
    // Newer time wins.
    let v2 = dat(1, b"k", 3, now + 1, 0);
    assert!(store.insert(v2.clone(), now, &mut evicted).is_ok());
    assert_eq!(store.record_count(), 1);
    assert_eq!(store.stored_bytes(), 1 + 3 + 10);
    assert!(evicted.is_empty());
    store.check_invariants().unwrap();
}

#[test]
fn evicts_lower_retention_until_it_fits_and_never_overshoots() {
    // Each record costs 4 (key) + 36 (value) + 10 (overhead) = 50 bytes; times are days apart so
    // time, not distance within the shard, decides the retention order.
    let mut store = Store::new(NodeId(0), &config(150));
    let keys = keys_in_shard(1, 0, 5);
    let now = 10 * DAY_MS;
    let mut evicted = Vec::new();
    for (i, k) in keys.iter().take(3).enumerate() {
        store
            .insert(
                dat(1, k, 36, now + i as u64 * 2 * DAY_MS, 0),
                now,
                &mut evicted,
            )
            .unwrap();
    }
    assert_eq!(store.shard_bytes(0), 150);
    // An older record ranks below everything: refused, nothing changes.
    let old = dat(1, &keys[3], 36, now - 5 * DAY_MS, 0);
    assert_eq!(
        store.insert(old, now, &mut evicted).unwrap_err(),
        Refusal::NoRoom
    );
    assert_eq!(store.record_count(), 3);
    assert!(evicted.is_empty());
    // A newer record needing two slots evicts the two oldest.
    let big = dat(1, &keys[4], 36 + 50, now + 10 * DAY_MS, 0);
    store.insert(big, now, &mut evicted).unwrap();
    assert_eq!(evicted.len(), 2);
    assert!(evicted.iter().all(|(_, r)| *r == EvictReason::Capacity));
    assert_eq!(evicted[0].0.time, now);
    assert_eq!(store.shard_bytes(0), 150);
    store.check_invariants().unwrap();
}

#[test]
fn refused_insert_restores_partially_evicted_records() {
    let mut store = Store::new(NodeId(0), &config(150));
    let keys = keys_in_shard(1, 0, 4);
    let now = DAY_MS;
    let mut evicted = Vec::new();
    store
        .insert(dat(1, &keys[0], 36, now, 0), now, &mut evicted)
        .unwrap();
    store
        .insert(dat(1, &keys[1], 36, now + 5 * DAY_MS, 0), now, &mut evicted)
        .unwrap();
    store
        .insert(dat(1, &keys[2], 36, now + 9 * DAY_MS, 0), now, &mut evicted)
        .unwrap();
    // Needs all 150 bytes but only outranks the first two records: must be refused whole.
    let greedy = dat(1, &keys[3], 136, now + 6 * DAY_MS, 0);
    assert_eq!(
        store.insert(greedy, now, &mut evicted).unwrap_err(),
        Refusal::NoRoom
    );
    assert!(evicted.is_empty());
    assert_eq!(store.record_count(), 3);
    store.check_invariants().unwrap();
}

#[test]
fn expiry_drops_records_whose_retention_passed() {
    let ttl = 10 * DAY_MS;
    let mut store = Store::new(
        NodeId(0),
        &Config {
            ttl: std::time::Duration::from_millis(ttl),
            ..config(1 << 20)
        },
    );
    let mut evicted = Vec::new();
    let a = dat(1, b"a", 1, DAY_MS, 0);
    let b = dat(1, b"b", 1, 3 * DAY_MS, 0);
    let (ka, kb) = (
        store.retention_of(a.time, a.record_id()),
        store.retention_of(b.time, b.record_id()),
    );
    store.insert(a, DAY_MS, &mut evicted).unwrap();
    store.insert(b, DAY_MS, &mut evicted).unwrap();
    assert_eq!(store.next_expiry(), Some(ka.min(kb)));
    store.expire(ka.min(kb), &mut evicted);
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0].1, EvictReason::Expired);
    store.expire(ka.max(kb), &mut evicted);
    assert_eq!(store.record_count(), 0);
    assert_eq!(store.stored_bytes(), 0);
    // A record already past its retention key is refused.
    let stale = dat(1, b"c", 1, 0, 0);
    assert_eq!(
        store.insert(stale, ttl + 1, &mut evicted).unwrap_err(),
        Refusal::Expired
    );
    store.check_invariants().unwrap();
}

#[test]
fn collision_of_record_ids_is_refused() {
    let mut store = Store::new(NodeId(0), &config(1 << 20));
    let mut evicted = Vec::new();
    let a = dat(1, b"a", 1, DAY_MS, 0);
    store.insert(a.clone(), DAY_MS, &mut evicted).unwrap();
    // Forge an entry with the same id but another key by inserting it under a's id directly.
    let mut other = dat(2, b"zz", 1, DAY_MS + 1, 0);
    let id = a.record_id();
    let slot = store.index[&id];
    std::mem::swap(&mut store.slab.get_mut(slot).unwrap().dat, &mut other);
    assert_eq!(
        store.insert(a, DAY_MS, &mut evicted).unwrap_err(),
        Refusal::Collision
    );
}

#[test]
fn pushed_memory_is_bounded_and_a_new_version_starts_empty() {
    let mut store = Store::new(NodeId(0), &config(1 << 20));
    let mut evicted = Vec::new();
    let v1 = dat(1, b"k", 1, DAY_MS, 0);
    let id = v1.record_id();
    store.insert(v1, DAY_MS, &mut evicted).unwrap();
    for n in 0..20 {
        store.mark_pushed(id, NodeId(n));
        store.mark_pushed(id, NodeId(n));
    }
    assert_eq!(store.get(id).unwrap().pushed().len(), PUSHED_MEMORY);
    assert_eq!(
        store.get(id).unwrap().pushed()[0],
        NodeId(20 - PUSHED_MEMORY as u64)
    );
    // A refused (stale) update leaves the list alone.
    assert!(
        store
            .insert(dat(1, b"k", 1, DAY_MS - 1, 0), DAY_MS, &mut evicted)
            .is_err()
    );
    assert_eq!(store.get(id).unwrap().pushed().len(), PUSHED_MEMORY);
    // Peers that were sent v1 do not hold v2: re-propagation must reach them again (§8).
    store
        .insert(dat(1, b"k", 1, DAY_MS + 1, 0), DAY_MS, &mut evicted)
        .unwrap();
    assert_eq!(store.get(id).unwrap().pushed(), &[] as &[NodeId]);
}

#[test]
fn sample_and_batches_cover_the_store() {
    let mut store = Store::new(NodeId(0), &config(1 << 20));
    let mut evicted = Vec::new();
    assert!(store.sample(1).is_none());
    for i in 0..50u32 {
        store
            .insert(dat(1, &i.to_le_bytes(), 1, DAY_MS, 0), DAY_MS, &mut evicted)
            .unwrap();
    }
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let before = all.len();
        store.ids_after(cursor, 7, &mut all);
        if all.len() == before {
            break;
        }
        cursor = all.last().copied();
    }
    assert_eq!(all.len(), 50);
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    for r in 0..100u64 {
        assert!(store.sample(r.wrapping_mul(0x1234_5678_9abc)).is_some());
    }
}

/// Keys of owners 0..4 that all land in shards 0 and 1, so that the property tests fill shards.
fn crowded_keys() -> &'static Vec<Vec<Vec<u8>>> {
    static KEYS: std::sync::OnceLock<Vec<Vec<Vec<u8>>>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        (0u8..4)
            .map(|owner| {
                let mut keys = keys_in_shard(owner, 0, 20);
                keys.extend(keys_in_shard(owner, 1, 20));
                keys
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever is inserted in whatever order: no shard exceeds its capacity, every heap is in
    /// order, and the byte counts agree with the contents.
    #[test]
    fn capacity_and_heap_order_hold(ops in prop::collection::vec((0u8..4, 0u16..40, 0usize..60, 0u64..200, 0u8..3), 1..120)) {
        let mut store = Store::new(NodeId(0x5555_5555_5555_5555), &config(300));
        let mut evicted = Vec::new();
        for (owner, key, val, time, work) in ops {
            let now = DAY_MS + 100;
            let key = &crowded_keys()[owner as usize][key as usize];
            let _ = store.insert(dat(owner, key, val, DAY_MS + time * DAY_MS / 4, work), now, &mut evicted);
            prop_assert!(store.check_invariants().is_ok(), "{:?}", store.check_invariants());
        }
    }

    /// The newest version of a record is what remains, whatever order versions arrive in.
    #[test]
    fn newest_version_wins_any_order(versions in prop::collection::vec((0u64..50, 0u8..4), 1..12), seed in any::<u64>()) {
        let mut order = versions.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..order.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            order.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut store = Store::new(NodeId(0), &config(1 << 20));
        let mut evicted = Vec::new();
        for (time, work) in order {
            let _ = store.insert(dat(1, b"key", 4, DAY_MS + time, work), DAY_MS, &mut evicted);
        }
        let newest = versions.iter().map(|&(t, w)| dat(1, b"key", 4, DAY_MS + t, w).version()).max().unwrap();
        let id = RecordId::of(&[1; 32], b"key");
        prop_assert_eq!(store.version_of(id), Some(newest));
        prop_assert!(store.check_invariants().is_ok());
    }
}
