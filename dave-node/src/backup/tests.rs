use super::*;
use dave_core::dat::Dat;
use ed25519_dalek::SigningKey;
use std::fs;

fn record(owner: u8, key: &str, val: &str, time: u64) -> Dat {
    let signer = SigningKey::from_bytes(&[owner; 32]);
    Dat::new(
        &signer,
        key.as_bytes(),
        val.as_bytes(),
        time,
        4,
        1,
        [owner; 16],
    )
    .unwrap()
}

fn options() -> BackupOptions {
    BackupOptions {
        sync_every: Duration::from_millis(100),
        compact_min_bytes: 0,
        compact_ratio: 2,
    }
}

#[test]
fn persisted_records_come_back_and_forgotten_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let now = Instant::now();
    let a = record(1, "a", "one", 1_000);
    let b = record(1, "b", "two", 1_000);
    let a2 = record(1, "a", "one, newer", 2_000);
    let c = record(2, "c", "three", 1_000);
    {
        let (mut backup, recovery) = Backup::open(&path, options()).unwrap();
        assert!(recovery.records.is_empty());
        for dat in [&a, &b, &a2, &c] {
            backup.persist(&dat.as_ref(), now).unwrap();
        }
        backup.forget(b.record_id(), now).unwrap();
        assert_eq!(backup.live_records(), 2);
        // Dropped without sync: models a killed process.
    }
    let (backup, recovery) = Backup::open(&path, options()).unwrap();
    let mut expected = vec![a2.clone(), c.clone()];
    expected.sort_by_key(Dat::record_id);
    assert_eq!(recovery.records, expected);
    assert_eq!(recovery.entries, 5);
    assert_eq!(recovery.undecodable, 0);
    assert!(recovery.damage.is_none());
    assert_eq!(backup.live_records(), 2);
}

#[test]
fn a_truncated_last_record_loses_only_that_record_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let now = Instant::now();
    let records: Vec<Dat> = (0..5)
        .map(|i| record(3, &format!("k{i}"), "v", 1_000))
        .collect();
    let (mut backup, _) = Backup::open(&path, options()).unwrap();
    for dat in &records {
        backup.persist(&dat.as_ref(), now).unwrap();
    }
    let full = backup.file_len();
    drop(backup);
    let cut = full - 7;
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let (_, recovery) = Backup::open(&path, options()).unwrap();
    let mut expected = records[..4].to_vec();
    expected.sort_by_key(Dat::record_id);
    assert_eq!(recovery.records, expected);
    let damage = recovery.damage.unwrap();
    let last_len = frame::framed_len(records[4].encoded_len()) as u64;
    assert_eq!(damage.offset, full - last_len);
    assert_eq!(damage.bytes, last_len - 7);
    assert!(damage.saved_to.exists());
}

#[test]
fn an_entry_with_a_good_checksum_but_a_bad_body_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let now = Instant::now();
    let (mut backup, _) = Backup::open(&path, options()).unwrap();
    let good = record(4, "k", "v", 1_000);
    backup.persist(&good.as_ref(), now).unwrap();
    drop(backup);
    let opened = log::LogFile::open(&path, |_, _| {}).unwrap();
    let mut log = opened.log;
    log.append(EntryKind::Persist, b"not a record").unwrap();
    log.append(EntryKind::Forget, b"short").unwrap();
    drop(log);
    let (_, recovery) = Backup::open(&path, options()).unwrap();
    assert_eq!(recovery.records, vec![good]);
    assert_eq!(recovery.undecodable, 2);
}

#[test]
fn sync_waits_for_the_interval_then_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let start = Instant::now();
    let (mut backup, _) = Backup::open(&path, options()).unwrap();
    assert_eq!(backup.sync_deadline(), None);
    backup
        .persist(&record(5, "k", "v", 1).as_ref(), start)
        .unwrap();
    let deadline = backup.sync_deadline().unwrap();
    assert_eq!(deadline, start + Duration::from_millis(100));
    backup
        .sync_if_due(start + Duration::from_millis(50))
        .unwrap();
    assert_eq!(backup.sync_deadline(), Some(deadline));
    backup.sync_if_due(deadline).unwrap();
    assert_eq!(backup.sync_deadline(), None);
}

#[test]
fn compaction_follows_the_store_and_shrinks_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let now = Instant::now();
    let (mut backup, _) = Backup::open(&path, options()).unwrap();
    let keep = record(6, "keep", "v", 5_000);
    for time in 1..=6 {
        backup
            .persist(&record(6, "keep", "v", time).as_ref(), now)
            .unwrap();
    }
    backup.persist(&keep.as_ref(), now).unwrap();
    assert!(backup.needs_compaction());
    let before = backup.file_len();
    backup.compact([&keep]).unwrap();
    assert!(backup.file_len() < before);
    assert!(!backup.needs_compaction());
    drop(backup);
    let (_, recovery) = Backup::open(&path, options()).unwrap();
    assert_eq!(recovery.records, vec![keep]);
    assert_eq!(recovery.entries, 1);
}

mod model {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::sync::OnceLock;

    /// Six records (three keys × two versions), mined once for all cases.
    fn pool() -> &'static [Dat] {
        static POOL: OnceLock<Vec<Dat>> = OnceLock::new();
        POOL.get_or_init(|| {
            (0..6)
                .map(|i| {
                    record(
                        7,
                        &format!("key{}", i % 3),
                        &"v".repeat(i),
                        1_000 + i as u64,
                    )
                })
                .collect()
        })
    }

    #[derive(Clone, Debug)]
    enum Op {
        Persist(usize),
        Forget(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..6usize).prop_map(Op::Persist),
            1 => (0..6usize).prop_map(Op::Forget),
        ]
    }

    fn apply(model: &mut BTreeMap<RecordId, Dat>, op: &Op) {
        match *op {
            Op::Persist(i) => {
                model.insert(pool()[i].record_id(), pool()[i].clone());
            }
            Op::Forget(i) => {
                model.remove(&pool()[i].record_id());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any sequence of persists and forgets, the file then cut at any byte: reopening gives
        /// exactly the store that the complete entries describe.
        #[test]
        fn reopening_after_any_cut_matches_the_model(
            ops in prop::collection::vec(op(), 0..24),
            cut_seed in any::<prop::sample::Index>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("backup");
            let now = Instant::now();
            let (mut backup, _) = Backup::open(&path, options()).unwrap();
            let mut ends = Vec::new();
            for op in &ops {
                match *op {
                    Op::Persist(i) => backup.persist(&pool()[i].as_ref(), now).unwrap(),
                    Op::Forget(i) => backup.forget(pool()[i].record_id(), now).unwrap(),
                }
                ends.push(backup.file_len());
            }
            let full = backup.file_len();
            drop(backup);
            let header = frame::HEADER_LEN as u64;
            let cut = header + cut_seed.index((full - header + 1) as usize) as u64;
            fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(cut).unwrap();

            let mut model = BTreeMap::new();
            for (op, end) in ops.iter().zip(&ends) {
                if *end <= cut {
                    apply(&mut model, op);
                }
            }
            let (backup, recovery) = Backup::open(&path, options()).unwrap();
            let expected: Vec<Dat> = model.into_values().collect();
            prop_assert_eq!(&recovery.records, &expected);
            prop_assert_eq!(backup.live_records(), expected.len());
            let complete_end = ends.iter().copied().filter(|&e| e <= cut).max().unwrap_or(header);
            prop_assert_eq!(recovery.damage.is_some(), cut != complete_end);
        }
    }
}
