//! `dave-node bench` runs end to end and really serves records (its speed is reported, never
//! asserted).

mod common;

use std::process::Command;

/// Runs `dave-node bench` with `args`; its standard output, after checking it succeeded.
fn bench(args: &[&str]) -> String {
    let out = Command::new(common::BIN)
        .args(["bench"])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn bench_serves_found_answers_and_reports_cpu_per_get() {
    let stdout = bench(&["--seconds", "0.3", "--records", "20", "--in-flight", "4"]);
    let found: u64 = stdout
        .split("(found ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no found count in {stdout:?}"));
    assert!(found > 0, "{stdout}");
    assert!(
        stdout.contains("not found 0,"),
        "every GET asks for a stored record: {stdout}"
    );
    assert!(stdout.contains("µs per GET"), "{stdout}");
}

#[test]
fn put_bench_stores_every_distinct_record_with_and_without_workers() {
    let stdout = bench(&[
        "--mode",
        "put",
        "--seconds",
        "20",
        "--records",
        "40",
        "--verify-workers",
        "0,2",
    ]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, workers) in lines.iter().zip(["0", "2"]) {
        assert!(
            line.starts_with(&format!("put, verify_workers={workers}: 40 PUTs stored")),
            "{line}"
        );
        assert!(line.contains("rejected 0, lost 0)"), "{line}");
        assert!(line.contains("µs per PUT"), "{line}");
    }
    assert!(
        lines[1].contains("signatures verified by workers"),
        "{stdout}"
    );
}
