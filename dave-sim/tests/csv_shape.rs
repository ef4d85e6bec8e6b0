//! Every CSV a real run or sweep writes is tidy (docs/simulator.md §"CSV files"), the shape
//! `pandas.read_csv(path)` with no options turns into typed columns:
//! - a header row of unique, non-empty snake_case names, and every row as long as the header;
//! - one value per cell: no `;`-packed lists;
//! - each column one kind: numbers (or empty cells for missing numbers), booleans, or labels;
//! - a column whose name carries a unit (`_s`, `_ms`, `_bytes`, `bytes_`) holds numbers.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dave_sim(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_dave-sim"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dave-sim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn tiny() -> String {
    format!("{}/../scenarios/tiny.json", env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Boolean,
    Label,
}

fn kind(cell: &str) -> Option<Kind> {
    if cell.is_empty() {
        None
    } else if cell.parse::<f64>().is_ok_and(f64::is_finite) {
        Some(Kind::Number)
    } else if cell == "true" || cell == "false" {
        Some(Kind::Boolean)
    } else {
        Some(Kind::Label)
    }
}

fn has_unit(name: &str) -> bool {
    name.ends_with("_s")
        || name.ends_with("_ms")
        || name.ends_with("_bytes")
        || name.starts_with("bytes_")
}

/// Checks one file; returns its number of rows.
fn assert_tidy(path: &Path) -> usize {
    let file = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let header: Vec<String> = reader
        .headers()
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .iter()
        .map(str::to_owned)
        .collect();
    assert!(!header.is_empty(), "{file}: no header");
    for (i, name) in header.iter().enumerate() {
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        assert!(plain, "{file}: column {i} is named {name:?}");
        assert!(
            !header[..i].contains(name),
            "{file}: two columns named {name}"
        );
    }
    let mut kinds: Vec<Option<Kind>> = vec![None; header.len()];
    let mut rows = 0;
    for (line, record) in reader.records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("{file}: {e}"));
        let line = line + 2;
        assert_eq!(record.len(), header.len(), "{file}:{line}: ragged row");
        for (col, cell) in record.iter().enumerate() {
            let name = &header[col];
            assert!(!cell.contains(';'), "{file}:{line}: {name} packs {cell:?}");
            assert!(
                cell.trim() == cell && !cell.contains('\n'),
                "{file}:{line}: {name} = {cell:?}"
            );
            let Some(k) = kind(cell) else { continue };
            match kinds[col] {
                None => kinds[col] = Some(k),
                // A label column may hold cells that happen to look like numbers (hex ids).
                Some(Kind::Label) => {}
                Some(seen) if k == Kind::Label && seen == Kind::Number && name == "record" => {
                    kinds[col] = Some(Kind::Label);
                }
                Some(seen) => assert_eq!(seen, k, "{file}:{line}: {name} mixes kinds ({cell:?})"),
            }
        }
        rows += 1;
    }
    for (name, k) in header.iter().zip(&kinds) {
        if has_unit(name) {
            assert!(
                matches!(k, Some(Kind::Number) | None),
                "{file}: {name} has a unit but holds {k:?}"
            );
        }
    }
    rows
}

fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_csv_of_a_run_is_tidy() {
    let dir = workdir("csv-shape-run");
    dave_sim(&["run", &tiny(), "--quiet", "--out", dir.to_str().unwrap()]);
    let files = csv_files(&dir);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "joins.csv",
        "lookups.csv",
        "peers.csv",
        "records.csv",
        "replicas.csv",
        "timeseries.csv",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing: {names:?}"
        );
    }
    for f in &files {
        assert!(assert_tidy(f) > 0, "{} has no rows", f.display());
    }
    // One column per op, named, in the order of the op table.
    let header = csv::Reader::from_path(dir.join("timeseries.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    for op in dave_sim::network::OPS {
        for prefix in ["datagrams_delivered_", "bytes_delivered_"] {
            let name = format!("{prefix}{op}");
            assert!(header.iter().any(|h| h == name), "{name} missing");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_csv_of_a_sweep_is_tidy() {
    let dir = workdir("csv-shape-sweep");
    dave_sim(&[
        "sweep",
        &tiny(),
        "--param",
        "network.loss.bernoulli=0,0.1",
        "--seeds",
        "2",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let files = csv_files(&dir);
    assert!(files.len() >= 2, "{files:?}");
    for f in &files {
        assert!(assert_tidy(f) > 0, "{} has no rows", f.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_checker_rejects_what_pandas_would_misread() {
    let dir = workdir("csv-shape-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("packed.csv", "time_s,by_op\n1.0,1;2;3\n"),
        ("ragged.csv", "a,b\n1,2\n3\n"),
        ("mixed.csv", "a\n1\nx\n"),
        ("unit.csv", "latency_ms\nslow\n"),
        ("unnamed.csv", "a,\n1,2\n"),
    ];
    for (name, text) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let caught = std::panic::catch_unwind(|| assert_tidy(&path)).is_err();
        assert!(caught, "{name} passed the check");
    }
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "time_s,up,kind,latency_ms\n0.5,true,get,\n1.5,false,put,12.5\n",
    )
    .unwrap();
    assert_eq!(assert_tidy(&good), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
