//! Bad input gets a clear one-line error and exit code 2 (issue 6), never a panic.

mod common;

use std::net::UdpSocket;
use std::process::{Command, Output};

use common::{BIN, FAST, keygen};

fn dave(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

/// Exit code 2 and a single non-empty line naming the problem on stderr.
fn assert_bad_input(out: &Output, mentions: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let first = stderr.lines().next().unwrap_or("");
    assert!(
        first.contains(mentions),
        "first line {first:?} should mention {mentions:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn help_is_not_an_error() {
    let out = dave(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("keygen"));
}

#[test]
fn unknown_flags_are_refused() {
    assert_bad_input(
        &dave(&["run", "--listen", "127.0.0.1:0", "--bogus"]),
        "--bogus",
    );
    assert_bad_input(&dave(&["frobnicate"]), "frobnicate");
}

#[test]
fn an_unparsable_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    let key = key.to_str().unwrap();
    assert_bad_input(
        &dave(&["run", "--listen", "127.0.0.1", "--key", key]),
        "127.0.0.1",
    );
    assert_bad_input(
        &dave(&[
            "run",
            "--listen",
            "127.0.0.1:0",
            "--edge",
            "nowhere:99999",
            "--key",
            key,
        ]),
        "nowhere:99999",
    );
}

#[test]
fn unreadable_or_malformed_key_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.key");
    assert_bad_input(
        &dave(&[
            "run",
            "--listen",
            "127.0.0.1:0",
            "--key",
            missing.to_str().unwrap(),
        ]),
        "missing.key",
    );
    let junk = dir.path().join("junk.key");
    std::fs::write(&junk, "hello").unwrap();
    assert_bad_input(
        &dave(&[
            "run",
            "--listen",
            "127.0.0.1:0",
            "--key",
            junk.to_str().unwrap(),
        ]),
        "junk.key",
    );
}

#[test]
fn a_port_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    assert_bad_input(
        &dave(&["run", "--listen", &addr, "--key", key.to_str().unwrap()]),
        &addr,
    );
}

#[test]
fn a_file_that_is_not_a_backup_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "precious").unwrap();
    assert_bad_input(
        &dave(&[
            "run",
            "--listen",
            "127.0.0.1:0",
            "--key",
            key.to_str().unwrap(),
            "--backup",
            notes.to_str().unwrap(),
        ]),
        "not a dave backup",
    );
    assert_eq!(std::fs::read(&notes).unwrap(), b"precious");
}

#[test]
#[cfg(unix)] // file modes
fn keygen_writes_0600_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (path, pubkey) = keygen(dir.path(), "node.key");
    assert_eq!(pubkey.len(), 64);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let before = std::fs::read(&path).unwrap();
    assert_bad_input(
        &dave(&["keygen", "--out", path.to_str().unwrap()]),
        "already exists",
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let out = dave(&["keygen", "--out", path.to_str().unwrap(), "--force"]);
    assert!(out.status.success());
    assert_ne!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn get_with_a_malformed_public_key_is_bad_input() {
    let mut args = vec![
        "get",
        "--edge",
        "127.0.0.1:9",
        "--timeout",
        "1",
        "abcd",
        "key",
    ];
    args.extend(FAST);
    assert_bad_input(&dave(&args), "public key");
}

#[test]
fn put_with_an_empty_key_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    let mut args = vec![
        "put",
        "--edge",
        "127.0.0.1:9",
        "--timeout",
        "1",
        "--key",
        key.to_str().unwrap(),
        "",
        "v",
    ];
    args.extend(FAST);
    assert_bad_input(&dave(&args), "key");
}

#[test]
fn a_nonsense_duration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    assert_bad_input(
        &dave(&[
            "run",
            "--listen",
            "127.0.0.1:0",
            "--key",
            key.to_str().unwrap(),
            "--status-every",
            "nan",
        ]),
        "nan",
    );
}

#[test]
fn a_backup_in_use_by_a_running_node_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    let backup = dir.path().join("shared.backup");
    let first = common::NodeProc::spawn(common::free_addr("127.0.70.1"), &[], &key, Some(&backup));
    assert!(first.wait_for(std::time::Duration::from_secs(10), |_| true));
    assert_bad_input(
        &dave(&[
            "run",
            "--listen",
            "127.0.71.1:0",
            "--key",
            key.to_str().unwrap(),
            "--backup",
            backup.to_str().unwrap(),
        ]),
        "in use",
    );
}

#[test]
fn a_silent_edge_means_not_found_after_the_timeout_not_a_hang() {
    // A bound socket that never answers stands in for a dead edge.
    let silent = UdpSocket::bind("127.0.72.1:0").unwrap();
    let edge = silent.local_addr().unwrap().to_string();
    let pubkey = "00".repeat(32);
    let mut args = vec![
        "get",
        "--edge",
        &edge,
        "--timeout",
        "0.5",
        "--listen",
        "127.0.73.1:0",
    ];
    args.extend(FAST);
    args.extend([pubkey.as_str(), "key"]);
    let out = dave(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no answer from edge"), "{stderr}");
}

#[test]
fn protocol_settings_that_cannot_work_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    let key = key.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--listen", "127.0.0.1:0", "--key", key];
        args.extend_from_slice(extra);
        dave(&args)
    };
    assert_bad_input(&run(&["--shard-capacity", "100"]), "--shard-capacity");
    assert_bad_input(&run(&["--min-work", "65"]), "--min-work");
    let get = dave(&[
        "get",
        "--edge",
        "127.0.0.1:9",
        "--min-work",
        "65",
        &"ab".repeat(32),
        "k",
    ]);
    assert_bad_input(&get, "min_work");
}

#[test]
fn more_min_replicas_than_replicas_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "k");
    let mut args = vec![
        "put",
        "--edge",
        "127.0.0.1:9",
        "--key",
        key.to_str().unwrap(),
        "--min-replicas",
        "6",
        "k",
        "v",
    ];
    args.extend(FAST);
    assert_bad_input(&dave(&args), "--min-replicas 6");
}
