//! The one-shot clients against real processes at the specification's timing (issue 10): a read
//! through a node that joined ten seconds ago finds every earlier record, `put` says how many of
//! REPLICAS took a record, and the read-only clients stay out of every peer table.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::thread::sleep;
use std::time::Duration;

use common::{BIN, NodeProc, free_addr, host, keygen};

/// The specification's timing (no `--time-scale`), with cheap proof-of-work.
const SPEC: [&str; 2] = ["--min-work", "8"];

fn client(verb: &str, edges: &[SocketAddr], from: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg(verb);
    for edge in edges {
        cmd.arg("--edge").arg(edge.to_string());
    }
    cmd.args(["--timeout", "10", "--listen"])
        .arg(format!("{from}:0"))
        .args(SPEC)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn put(edges: &[SocketAddr], key: &Path, record_key: &str, from: &str, extra: &[&str]) -> Output {
    let key = key.to_str().unwrap();
    let mut args = vec!["--key", key, "--work", "8"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[record_key, "before"]);
    client("put", edges, from, &args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_string()
}

#[test]
fn a_get_through_a_node_started_ten_seconds_ago_finds_every_record_written_before() {
    let dir = tempfile::tempdir().unwrap();
    let (edge_key, _) = keygen(dir.path(), "edge.key");
    let edge = NodeProc::spawn_with(free_addr(&host(1)), &[], &edge_key, None, &SPEC);
    let nodes: Vec<NodeProc> = (0..3u8)
        .map(|i| {
            let (key, _) = keygen(dir.path(), &format!("n{i}.key"));
            NodeProc::spawn_with(free_addr(&host(2 + i)), &[edge.addr], &key, None, &SPEC)
        })
        .collect();
    for node in nodes.iter().chain([&edge]) {
        assert!(
            node.wait_for(Duration::from_secs(40), |s| s.active >= 3),
            "node {} did not bootstrap: {:?}",
            node.addr,
            node.status()
        );
    }
    let (writer, writer_pub) = keygen(dir.path(), "writer.key");
    let keys: Vec<String> = (0..8).map(|i| format!("record-{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        // Several edges, the first of them dead: the client starts with the one that answers.
        let dead = free_addr(&host(90));
        let out = put(&[dead, nodes[i % 3].addr], &writer, k, &host(40), &[]);
        assert_eq!(out.status.code(), Some(0), "put {k}: {}", text(&out.stderr));
        // Four nodes hold it, one fewer than REPLICAS: said, and warned about.
        assert_eq!(text(&out.stdout), "written to 4 of 5 replicas");
        assert!(
            text(&out.stderr).contains("warning: only 4 of 5"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = put(
        &[edge.addr],
        &writer,
        "strict",
        &host(40),
        &["--min-replicas", "5"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--min-replicas is 5"),
        "{}",
        text(&out.stderr)
    );

    let (late_key, _) = keygen(dir.path(), "late.key");
    let late = NodeProc::spawn_with(free_addr(&host(9)), &[edge.addr], &late_key, None, &SPEC);
    sleep(Duration::from_secs(10));
    let found = keys
        .iter()
        .filter(|k| {
            let out = client("get", &[late.addr], &host(41), &[&writer_pub, k]);
            out.status.code() == Some(0) && text(&out.stdout) == "before"
        })
        .count();
    assert_eq!(
        found,
        keys.len(),
        "a get through the new node found {found} of 8"
    );
    // The read-only clients never entered a table: five nodes know at most four others.
    sleep(Duration::from_millis(500));
    for node in nodes.iter().chain([&edge, &late]) {
        let status = node.status().expect("status line");
        assert!(status.peers <= 4, "node {} has {status:?}", node.addr);
    }
}
