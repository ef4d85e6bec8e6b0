//! Issue 15's acceptance: five `dave-node` processes started together on one machine, all in
//! 127.0.0.0/24 with `--local`, serve a put through one and a get through each of the others
//! five seconds after they start, with the specification's timing (no `--time-scale`). Run
//! three times, because the failure it guards against was intermittent.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{NodeProc, free_addr, get_with, keygen, put_with};

/// The nodes' flags: the specification's intervals, cheap proof-of-work, a local cluster.
const LOCAL: [&str; 3] = ["--min-work", "8", "--local"];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_string()
}

fn logs(nodes: &[NodeProc]) -> String {
    nodes
        .iter()
        .map(|n| format!("--- {}\n{}", n.addr, n.log().join("\n")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn five_local_nodes_serve_a_put_and_gets_five_seconds_after_they_start() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let addrs: Vec<_> = (1..=5)
            .map(|i| free_addr(&format!("127.0.0.{i}")))
            .collect();
        let keys: Vec<_> = (0..5)
            .map(|i| keygen(dir.path(), &format!("n{i}.key")).0)
            .collect();
        let (writer, writer_pub) = keygen(dir.path(), "writer.key");
        let started = Instant::now();
        let nodes: Vec<NodeProc> = (0..5)
            .map(|i| {
                let edges = if i == 0 { vec![] } else { vec![addrs[0]] };
                NodeProc::spawn_with(addrs[i], &edges, &keys[i], None, &LOCAL)
            })
            .collect();
        thread::sleep(Duration::from_secs(5).saturating_sub(started.elapsed()));

        let value = format!("hello from round {round}");
        let out = put_with(
            nodes[1].addr,
            &writer,
            "greeting",
            &value,
            "127.0.0.9",
            &[&LOCAL[..], &["--min-replicas", "5"]].concat(),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: put: {}\n{}",
            text(&out.stderr),
            logs(&nodes)
        );
        for (i, node) in nodes.iter().enumerate().filter(|&(i, _)| i != 1) {
            let out = get_with(node.addr, &writer_pub, "greeting", "127.0.0.9", &LOCAL);
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: get through node {i}: {}\n{}",
                text(&out.stderr),
                logs(&nodes)
            );
            assert_eq!(text(&out.stdout), value);
        }
    }
}
