use super::*;
use proptest::prelude::*;

type Owned = Vec<(EntryKind, Vec<u8>)>;

fn open_collect(path: &Path) -> Result<(LogFile, Owned, Option<DamageReport>), LogError> {
    let mut seen = Vec::new();
    let opened = LogFile::open(path, |kind, body| seen.push((kind, body.to_vec())))?;
    assert_eq!(opened.entries, seen.len());
    Ok((opened.log, seen, opened.damage))
}

fn sample_entries(n: usize) -> Owned {
    (0..n)
        .map(|i| {
            let kind = if i % 3 == 2 {
                EntryKind::Forget
            } else {
                EntryKind::Persist
            };
            (kind, vec![i as u8; i * 7 % 40])
        })
        .collect()
}

/// Writes `entries` to a fresh log and returns the file offsets where each entry ends.
fn write_log(path: &Path, entries: &Owned) -> Vec<u64> {
    let (mut log, seen, damage) = open_collect(path).unwrap();
    assert!(seen.is_empty() && damage.is_none());
    let mut ends = Vec::new();
    for (kind, body) in entries {
        log.append(*kind, body).unwrap();
        ends.push(log.len());
    }
    log.sync().unwrap();
    ends
}

fn corrupt_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    found.sort();
    found
}

#[test]
fn a_new_log_has_a_header_and_reopens_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let (log, seen, damage) = open_collect(&path).unwrap();
    assert!(seen.is_empty() && damage.is_none() && log.is_empty());
    assert_eq!(fs::read(&path).unwrap(), frame::header());
    drop(log);
    let (_, seen, damage) = open_collect(&path).unwrap();
    assert!(seen.is_empty() && damage.is_none());
}

#[test]
fn appends_come_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let entries = sample_entries(20);
    write_log(&path, &entries);
    let (_, seen, damage) = open_collect(&path).unwrap();
    assert_eq!(seen, entries);
    assert!(damage.is_none());
}

#[test]
fn an_unsynced_append_survives_the_process_dropping_the_log() {
    // Dropping without sync models a killed process: the kernel has every write already.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let (mut log, _, _) = open_collect(&path).unwrap();
    log.append(EntryKind::Persist, b"unsynced").unwrap();
    assert!(log.is_dirty());
    drop(log);
    let (_, seen, _) = open_collect(&path).unwrap();
    assert_eq!(seen, vec![(EntryKind::Persist, b"unsynced".to_vec())]);
}

#[test]
fn truncation_at_every_byte_keeps_complete_entries_and_sets_the_tail_aside() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("master");
    let entries = sample_entries(6);
    let ends = write_log(&master, &entries);
    let full = fs::read(&master).unwrap();
    for cut in 0..=full.len() {
        let case = tempfile::tempdir().unwrap();
        let path = case.path().join("backup");
        fs::write(&path, &full[..cut]).unwrap();
        let (mut log, seen, damage) = open_collect(&path).unwrap();
        let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
        assert_eq!(seen, entries[..complete], "cut at {cut}");
        let header_torn = cut > 0 && cut < frame::HEADER_LEN;
        let good_end = if header_torn {
            0
        } else if complete == 0 {
            frame::HEADER_LEN.min(cut) as u64
        } else {
            ends[complete - 1]
        };
        assert_eq!(
            damage.is_some(),
            cut as u64 != good_end,
            "cut at {cut}: {damage:?}"
        );
        if let Some(report) = &damage {
            assert_eq!(report.offset, good_end);
            assert_eq!(report.bytes, cut as u64 - good_end);
            assert_eq!(
                fs::read(&report.saved_to).unwrap(),
                &full[good_end as usize..cut]
            );
            assert_eq!(corrupt_files(case.path()), vec![report.saved_to.clone()]);
        } else {
            assert!(corrupt_files(case.path()).is_empty());
        }
        // Appending after recovery continues cleanly.
        log.append(EntryKind::Persist, b"after").unwrap();
        drop(log);
        let (_, again, damage) = open_collect(&path).unwrap();
        assert!(damage.is_none(), "cut at {cut}");
        assert_eq!(again.len(), complete + 1);
        assert_eq!(again.last().unwrap().1, b"after");
    }
}

#[test]
fn a_bit_flip_in_the_middle_keeps_what_precedes_it_and_saves_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let entries = sample_entries(10);
    let ends = write_log(&path, &entries);
    let mut bytes = fs::read(&path).unwrap();
    let flip_at = ends[4] as usize + 10; // inside entry 5
    bytes[flip_at] ^= 0x20;
    fs::write(&path, &bytes).unwrap();
    let (_, seen, damage) = open_collect(&path).unwrap();
    assert_eq!(seen, entries[..5]);
    let report = damage.unwrap();
    assert_eq!(report.offset, ends[4]);
    assert_eq!(report.bytes, bytes.len() as u64 - ends[4]);
    assert_eq!(report.kind, DamageKind::ChecksumMismatch);
    assert_eq!(
        fs::read(&report.saved_to).unwrap(),
        &bytes[ends[4] as usize..]
    );
    assert_eq!(fs::metadata(&path).unwrap().len(), ends[4]);
}

#[test]
fn two_damaged_opens_in_one_second_keep_both_tails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    for _ in 0..2 {
        let (mut log, _, _) = open_collect(&path).unwrap();
        log.append(EntryKind::Persist, b"x").unwrap();
        drop(log);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
        drop(f);
        let (_, _, damage) = open_collect(&path).unwrap();
        assert!(damage.is_some());
    }
    assert_eq!(corrupt_files(dir.path()).len(), 2);
}

#[test]
fn a_foreign_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    fs::write(&path, b"my precious notes").unwrap();
    assert!(matches!(
        open_collect(&path),
        Err(LogError::NotABackup { .. })
    ));
    assert_eq!(fs::read(&path).unwrap(), b"my precious notes");
    let mut future = frame::header().to_vec();
    future[8] = 9;
    fs::write(&path, &future).unwrap();
    assert!(matches!(
        open_collect(&path),
        Err(LogError::UnsupportedVersion { version: 9, .. })
    ));
}

#[test]
fn compaction_keeps_exactly_the_given_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let entries = sample_entries(30);
    write_log(&path, &entries);
    let (mut log, _, _) = open_collect(&path).unwrap();
    let live: Owned = entries
        .iter()
        .filter(|(k, _)| *k == EntryKind::Persist)
        .take(5)
        .cloned()
        .collect();
    log.rewrite(live.iter().map(|(k, b)| (*k, b.as_slice())))
        .unwrap();
    assert_eq!(log.len(), fs::metadata(&path).unwrap().len());
    log.append(EntryKind::Forget, b"later").unwrap();
    drop(log);
    let (_, seen, damage) = open_collect(&path).unwrap();
    assert!(damage.is_none());
    let mut expected = live.clone();
    expected.push((EntryKind::Forget, b"later".to_vec()));
    assert_eq!(seen, expected);
    assert!(!temp_path(&path).exists());
}

#[test]
fn a_compaction_cut_short_before_the_rename_leaves_the_old_log_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let entries = sample_entries(12);
    write_log(&path, &entries);
    let before = fs::read(&path).unwrap();
    // The crash: the new file was being written and never renamed.
    let temp = temp_path(&path);
    let len = write_compacted(&temp, [(EntryKind::Persist, &b"new"[..])]).unwrap();
    let f = OpenOptions::new().write(true).open(&temp).unwrap();
    f.set_len(len - 2).unwrap();
    drop(f);
    let (_, seen, damage) = open_collect(&path).unwrap();
    assert_eq!(seen, entries);
    assert!(damage.is_none());
    assert_eq!(fs::read(&path).unwrap(), before);
    assert!(!temp.exists(), "the stale temp file is removed on open");
}

#[test]
fn an_oversized_entry_is_refused_without_touching_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let (mut log, _, _) = open_collect(&path).unwrap();
    let len = log.len();
    let huge = vec![0u8; frame::MAX_PAYLOAD];
    assert!(matches!(
        log.append(EntryKind::Persist, &huge),
        Err(LogError::EntryTooLarge { .. })
    ));
    assert_eq!(log.len(), len);
    assert_eq!(fs::metadata(&path).unwrap().len(), len);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Arbitrary appends, then the file cut at any byte: reopening recovers every entry that was
    /// complete before the cut, saves the rest aside, and the log keeps working.
    #[test]
    fn appends_then_any_cut_recover_every_complete_entry(
        entries in prop::collection::vec(
            (prop_oneof![Just(EntryKind::Persist), Just(EntryKind::Forget)],
             prop::collection::vec(any::<u8>(), 0..200)),
            0..16),
        cut_seed in any::<prop::sample::Index>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup");
        let ends = write_log(&path, &entries);
        let full = fs::read(&path).unwrap();
        let cut = frame::HEADER_LEN + cut_seed.index(full.len() - frame::HEADER_LEN + 1);
        OpenOptions::new().write(true).open(&path).unwrap().set_len(cut as u64).unwrap();
        let (mut log, seen, damage) = open_collect(&path).unwrap();
        let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
        prop_assert_eq!(&seen[..], &entries[..complete]);
        let good_end = if complete == 0 { frame::HEADER_LEN as u64 } else { ends[complete - 1] };
        match damage {
            Some(report) => {
                prop_assert_eq!(report.offset, good_end);
                prop_assert_eq!(report.bytes, cut as u64 - good_end);
                prop_assert_eq!(fs::read(&report.saved_to).unwrap(), &full[good_end as usize..cut]);
            }
            None => prop_assert_eq!(cut as u64, good_end),
        }
        log.append(EntryKind::Persist, b"next").unwrap();
        drop(log);
        let (_, again, damage) = open_collect(&path).unwrap();
        prop_assert!(damage.is_none());
        prop_assert_eq!(again.len(), complete + 1);
    }
}

#[test]
fn a_failed_compaction_leaves_the_log_appendable_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let entries = sample_entries(5);
    write_log(&path, &entries);
    let (mut log, _, _) = open_collect(&path).unwrap();
    // Something in the way of the temp file: the compaction cannot even start writing.
    fs::create_dir(temp_path(&path)).unwrap();
    let live = [(EntryKind::Persist, &b"only"[..])];
    assert!(matches!(log.rewrite(live), Err(LogError::Io { .. })));
    log.append(EntryKind::Persist, b"after").unwrap();
    drop(log);
    fs::remove_dir(temp_path(&path)).unwrap();
    let (_, seen, damage) = open_collect(&path).unwrap();
    assert!(damage.is_none());
    let mut expected = entries.clone();
    expected.push((EntryKind::Persist, b"after".to_vec()));
    assert_eq!(seen, expected);
}

#[test]
fn a_second_opener_is_refused_until_the_first_lets_go_even_across_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup");
    let (mut log, _, _) = open_collect(&path).unwrap();
    assert!(matches!(open_collect(&path), Err(LogError::Locked { .. })));
    log.rewrite([(EntryKind::Persist, &b"x"[..])]).unwrap();
    assert!(matches!(open_collect(&path), Err(LogError::Locked { .. })));
    drop(log);
    let (_, seen, _) = open_collect(&path).unwrap();
    assert_eq!(seen, vec![(EntryKind::Persist, b"x".to_vec())]);
}
