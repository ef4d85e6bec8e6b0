//! `dave-node run --metrics ADDR`: a Prometheus scraper sees the node's peers, records, traffic
//! by op, rejections, challenges and backup, in the text exposition format.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{FAST, NodeProc, free_addr, host, keygen, put};

/// A free TCP port on loopback (bound then released).
fn free_tcp() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// One HTTP request; returns the status line, the headers and the body.
fn http(addr: SocketAddr, request: &str) -> (String, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the metrics endpoint");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_string(), headers.to_string(), body.to_string())
}

/// Parses the text format into `series → value`, checking that every sample's metric has a
/// TYPE line before it and that every value is a number.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut typed = Vec::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().unwrap().to_string();
            let kind = parts.next().unwrap();
            assert!(kind == "gauge" || kind == "counter", "{line}");
            assert!(kind != "counter" || name.ends_with("_total"), "{line}");
            typed.push(name);
            continue;
        }
        if line.starts_with("# HELP ") || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name = series.split('{').next().unwrap();
        assert!(typed.iter().any(|t| t == name), "{name} has no TYPE line");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        samples.insert(series.to_string(), value);
    }
    samples
}

#[test]
fn a_scrape_reports_peers_records_traffic_rejections_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let (edge_key, _) = keygen(dir.path(), "edge.key");
    let metrics = free_tcp();
    let backup = dir.path().join("edge.bak");
    let metrics_flag = metrics.to_string();
    let edge = NodeProc::spawn_with(
        free_addr(&host(1)),
        &[],
        &edge_key,
        Some(&backup),
        &[FAST.as_slice(), &["--metrics", &metrics_flag]].concat(),
    );
    let (key, _) = keygen(dir.path(), "n.key");
    let node = NodeProc::spawn(free_addr(&host(2)), &[edge.addr], &key, None);
    assert!(
        node.wait_for(Duration::from_secs(30), |s| s.active >= 1),
        "{}",
        node.log().join("\n")
    );
    let (writer, _) = keygen(dir.path(), "writer.key");
    let out = put(edge.addr, &writer, "k", "v", &host(40));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A datagram the edge must reject: an unknown op byte.
    let junk = std::net::UdpSocket::bind((host(41).as_str(), 0)).unwrap();
    junk.send_to(&[0xff, 1, 2, 3], edge.addr).unwrap();

    // The snapshot is republished every second: wait until it shows the record and the junk.
    let deadline = Instant::now() + Duration::from_secs(20);
    let samples = loop {
        let (status, headers, body) = http(
            metrics,
            "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain\r\n\r\n",
        );
        assert_eq!(status, "HTTP/1.1 200 OK", "{headers}\n{body}");
        assert!(
            headers.contains("Content-Type: text/plain; version=0.0.4"),
            "{headers}"
        );
        let samples = parse(&body);
        let rejected: f64 = samples
            .iter()
            .filter(|(k, _)| k.starts_with("dave_node_datagrams_rejected_total"))
            .map(|(_, v)| v)
            .sum();
        if samples.get("dave_node_records") >= Some(&1.0) && rejected >= 1.0 {
            break samples;
        }
        assert!(
            Instant::now() < deadline,
            "metrics never showed the record:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let get = |series: &str| {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in {samples:#?}"))
    };
    assert!(
        get("dave_node_peers{state=\"active\"}") + get("dave_node_peers{state=\"verified\"}")
            >= 1.0
    );
    assert!(get("dave_node_stored_bytes") > 0.0);
    assert!(get("dave_node_datagrams_received_total{op=\"ping\"}") >= 1.0);
    assert!(get("dave_node_datagrams_sent_total{op=\"pong\"}") >= 1.0);
    assert!(get("dave_node_datagrams_received_total{op=\"put\"}") >= 1.0);
    assert!(get("dave_node_datagrams_rejected_total{reason=\"malformed\"}") >= 1.0);
    for result in ["passed", "not_found", "invalid", "stale", "timeout"] {
        get(&format!(
            "dave_node_challenges_total{{result=\"{result}\"}}"
        ));
    }
    // The backup holds the record: header plus one entry.
    assert!(get("dave_node_backup_bytes") > 12.0);
    assert_eq!(get("dave_node_backup_records"), 1.0);

    let (status, _, _) = http(metrics, "GET /other HTTP/1.1\r\n\r\n");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    let (status, _, _) = http(metrics, "POST /metrics HTTP/1.1\r\n\r\n");
    assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
}

#[test]
fn a_metrics_port_in_use_is_a_clear_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = keygen(dir.path(), "n.key");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = std::process::Command::new(common::BIN)
        .args(["run", "--listen"])
        .arg(free_addr(&host(3)).to_string())
        .arg("--key")
        .arg(&key)
        .args(["--metrics", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot serve metrics on {addr}")),
        "{stderr}"
    );
}
