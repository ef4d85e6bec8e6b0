//! Real processes on real loopback sockets (issue 6): bootstrap, put/get across nodes, restart
//! from a backup after SIGKILL, recovery from a truncated backup.

#![cfg_attr(not(unix), allow(unused_imports))] // the backup tests end nodes with signals

mod common;

use std::fs;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{NodeProc, free_addr, get, host, keygen, put};
use dave_core::dat::Dat;
use dave_node::backup::{Backup, BackupOptions};

const BOOT: Duration = Duration::from_secs(20);

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn eight_nodes_bootstrap_from_one_edge_and_share_records() {
    let dir = tempfile::tempdir().unwrap();
    let (edge_key, _) = keygen(dir.path(), "edge.key");
    let edge = NodeProc::spawn(free_addr(&host(1)), &[], &edge_key, None);
    // All eight start at once: a node that meets the edge before the others are active learns
    // of them later, from their pings and from the node's own refresh lookups.
    let nodes: Vec<NodeProc> = (0..8u8)
        .map(|i| {
            let (key, _) = keygen(dir.path(), &format!("n{i}.key"));
            NodeProc::spawn(free_addr(&host(2 + i)), &[edge.addr], &key, None)
        })
        .collect();
    // Every node ends up knowing most of the network, not only the edge.
    for node in &nodes {
        assert!(
            node.wait_for(BOOT, |s| s.active >= 7),
            "node {} did not bootstrap: {:?}\n{}",
            node.addr,
            node.status(),
            node.log().join("\n")
        );
    }
    let (writer, writer_pub) = keygen(dir.path(), "writer.key");
    let out = put(nodes[2].addr, &writer, "greeting", "hello, dave", &host(40));
    assert_eq!(out.status.code(), Some(0), "put: {}", stderr(&out));
    let out = get(nodes[7].addr, &writer_pub, "greeting", &host(41));
    assert_eq!(out.status.code(), Some(0), "get: {}", stderr(&out));
    assert_eq!(stdout(&out), "hello, dave");
    let out = get(nodes[5].addr, &writer_pub, "no such key", &host(42));
    assert_eq!(
        out.status.code(),
        Some(1),
        "get of a missing key: {}",
        stderr(&out)
    );
}

#[test]
#[cfg(unix)] // ends the node with SIGTERM
fn a_node_killed_with_sigkill_restarts_from_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let (edge_key, _) = keygen(dir.path(), "edge.key");
    let (node_key, _) = keygen(dir.path(), "node.key");
    let backup = dir.path().join("node.backup");
    let mut edge = NodeProc::spawn(free_addr(&host(50)), &[], &edge_key, None);
    let node_addr = free_addr(&host(51));
    let mut node = NodeProc::spawn(node_addr, &[edge.addr], &node_key, Some(&backup));
    assert!(
        node.wait_for(BOOT, |s| s.active >= 1),
        "{}",
        node.log().join("\n")
    );
    assert!(
        edge.wait_for(BOOT, |s| s.active >= 1),
        "{}",
        edge.log().join("\n")
    );

    let (writer, writer_pub) = keygen(dir.path(), "writer.key");
    // Written through the node itself, so that it is certainly one of the replicas.
    let mut puts = Vec::new();
    for i in 0..3 {
        let out = put(
            node.addr,
            &writer,
            &format!("k{i}"),
            &format!("v{i}"),
            &host(52),
        );
        assert_eq!(out.status.code(), Some(0), "put: {}", stderr(&out));
        puts.push(format!("{}{}", stdout(&out), stderr(&out)));
    }
    assert!(
        node.wait_for(BOOT, |s| s.records >= 3),
        "{}\n{}",
        puts.join("\n"),
        node.log().join("\n")
    );
    node.kill();
    edge.kill();

    // Alone now: whatever it serves comes from its backup.
    let mut node = NodeProc::spawn(node_addr, &[], &node_key, Some(&backup));
    assert!(
        node.wait_for(BOOT, |s| s.records >= 3),
        "{}",
        node.log().join("\n")
    );
    for i in 0..3 {
        let out = get(node.addr, &writer_pub, &format!("k{i}"), &host(53));
        assert_eq!(out.status.code(), Some(0), "get k{i}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("v{i}"));
    }
    assert_eq!(node.terminate(), Some(0), "{}", node.log().join("\n"));
    assert!(node.log().iter().any(|l| l.contains("stopped")));
}

#[test]
#[cfg(unix)] // ends the node with SIGINT
fn a_truncated_backup_recovers_every_complete_record_and_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (node_key, _) = keygen(dir.path(), "node.key");
    let (writer_path, writer_pub) = keygen(dir.path(), "writer.key");
    let writer = dave_node::keyfile::read(&writer_path).unwrap();
    let backup_path = dir.path().join("node.backup");
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    // No process may start while this process holds the locked backup (see `descriptors`).
    let writing = common::descriptors();
    let (mut backup, _) = Backup::open(&backup_path, BackupOptions::default()).unwrap();
    let mut last_len = 0;
    for i in 0..4 {
        let dat = Dat::new(
            &writer,
            format!("k{i}").as_bytes(),
            b"value",
            now_ms,
            8,
            1,
            [i; 16],
        )
        .unwrap();
        backup.persist(&dat.as_ref(), Instant::now()).unwrap();
        last_len = dat.encoded_len() as u64 + 9;
    }
    backup.sync().unwrap();
    let full = backup.file_len();
    drop(backup);
    drop(writing);
    let cut = full - 5;
    fs::OpenOptions::new()
        .write(true)
        .open(&backup_path)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let tail = fs::read(&backup_path).unwrap()[(full - last_len) as usize..].to_vec();

    let mut node = NodeProc::spawn(free_addr(&host(60)), &[], &node_key, Some(&backup_path));
    assert!(
        node.wait_for(BOOT, |s| s.records == 3),
        "{}",
        node.log().join("\n")
    );
    let log = node.log();
    let report = log
        .iter()
        .find(|l| l.contains("damaged tail"))
        .unwrap_or_else(|| panic!("no damage report:\n{}", log.join("\n")));
    let offset = full - last_len;
    assert!(
        report.contains(&format!("{} bytes at offset {offset}", last_len - 5)),
        "{report}"
    );
    let saved: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("node.backup.corrupt-"))
        .collect();
    assert_eq!(saved.len(), 1);
    assert_eq!(fs::read(&saved[0]).unwrap(), tail);

    for i in 0..3 {
        let out = get(node.addr, &writer_pub, &format!("k{i}"), &host(61));
        assert_eq!(out.status.code(), Some(0), "get k{i}: {}", stderr(&out));
        assert_eq!(stdout(&out), "value");
    }
    let out = get(node.addr, &writer_pub, "k3", &host(61));
    assert_eq!(
        out.status.code(),
        Some(1),
        "the torn record is gone: {}",
        stderr(&out)
    );
    assert_eq!(node.interrupt(), Some(0), "{}", node.log().join("\n"));
    // The damaged tail was cut off: a second start finds a clean log with the three records.
    let node = NodeProc::spawn(free_addr(&host(62)), &[], &node_key, Some(&backup_path));
    assert!(
        node.wait_for(BOOT, |s| s.records == 3),
        "{}",
        node.log().join("\n")
    );
    assert!(!node.log().iter().any(|l| l.contains("damaged tail")));
}
