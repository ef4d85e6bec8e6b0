//! The report through the command line: `run` writes charts, report.md and `--pcap`; `sweep`
//! shards merge into the same aggregate as one unsharded sweep.

use std::path::{Path, PathBuf};
use std::process::Command;

const SCENARIO: &str = r#"{
  "name": "report-cli",
  "seed": 3,
  "duration": "40s",
  "sample_every": "5s",
  "network": { "latency": { "log_normal": { "median": "40ms", "sigma": 0.5 } }, "loss": { "bernoulli": 0.01 } },
  "nodes": { "count": 10, "join_over": "5s", "config": { "min_work": 4 } },
  "edges": { "count": 2, "seeds": 3 },
  "workload": {
    "writers": 2, "put_every": "10s", "readers": 4, "get_every": "5s",
    "value_bytes": 100, "work_bits": 4, "start": "10s", "read_after": "5s"
  },
  "expect": { "get_success_rate": ">= 0.5" }
}"#;

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test folder");
    std::fs::write(dir.join("scenario.json"), SCENARIO).expect("scenario file");
    dir
}

fn dave_sim(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dave-sim"))
        .args(args)
        .output()
        .expect("dave-sim runs");
    assert!(
        out.status.success(),
        "dave-sim {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn run_writes_charts_report_and_pcap() {
    let dir = workdir("report_cli_run");
    let scenario = dir.join("scenario.json");
    let out = dir.join("out");
    let pcap = dir.join("traffic.pcap");
    dave_sim(&[
        "run",
        scenario.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--pcap",
        pcap.to_str().unwrap(),
    ]);
    for chart in [
        "propagation.png",
        "lookups_success.png",
        "lookups_latency.png",
        "lookups_hops.png",
        "reliability.png",
        "traffic.png",
        "drops.png",
        "storage.png",
    ] {
        let bytes = std::fs::read(out.join(chart)).unwrap_or_else(|e| panic!("{chart}: {e}"));
        assert_eq!(&bytes[1..4], b"PNG", "{chart}");
    }
    for attack_only in ["liar_detection.png", "eclipse.png"] {
        assert!(
            !out.join(attack_only).exists(),
            "{attack_only} has no data here"
        );
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("--seed 3"), "{md}");
    assert!(
        !md.contains("eclipse.png") && !md.contains("liar_detection.png"),
        "{md}"
    );
    assert!(md.contains("| `get_success_rate` | >= 0.5 |"), "{md}");
    assert!(md.contains("| mean lookup hops |"), "{md}");
    assert!(
        md.contains("records each on average"),
        "storage has data: {md}"
    );

    // Every delivered datagram is in the capture.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let delivered = summary["metrics"]["datagrams_delivered"].as_f64().unwrap();
    let mut reader = pcap_file::pcap::PcapReader::new(std::fs::File::open(&pcap).unwrap()).unwrap();
    let mut packets = 0u64;
    let mut last = std::time::Duration::ZERO;
    while let Some(p) = reader.next_packet() {
        let p = p.expect("packet");
        assert!(p.timestamp >= last, "virtual timestamps never go back");
        last = p.timestamp;
        packets += 1;
    }
    assert!(packets > 0);
    assert_eq!(packets as f64, delivered);
    assert!(last <= std::time::Duration::from_secs(40));
}

#[test]
fn sweep_shards_merge_into_the_unsharded_aggregate() {
    let dir = workdir("report_cli_sweep");
    let scenario = dir.join("scenario.json");
    let s = scenario.to_str().unwrap();
    let path = |p: &str| dir.join(p).to_str().unwrap().to_owned();
    let grid = [
        "--param",
        "network.loss.bernoulli=0,0.1",
        "--seeds",
        "2",
        "--quiet",
    ];
    let whole = path("whole");
    dave_sim(&[&["sweep", s, "--jobs", "2", "--out", &whole][..], &grid[..]].concat());
    let shards: Vec<String> = (0..3).map(|i| path(&format!("shard{i}"))).collect();
    for (i, shard) in shards.iter().enumerate() {
        let spec = format!("{i}/3");
        dave_sim(
            &[
                &["sweep", s, "--jobs", "1", "--shard", &spec, "--out", shard][..],
                &grid[..],
            ]
            .concat(),
        );
    }
    let merged = path("merged");
    dave_sim(&[
        "sweep", "--merge", &shards[2], &shards[0], &shards[1], "--out", &merged, "--quiet",
    ]);
    // Every file of the unsharded sweep, charts included (one per metric that varies), and
    // only those, comes out of the merge byte for byte.
    let names = |dir: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let files = names(&whole);
    assert_eq!(files, names(&merged));
    for f in ["aggregate.csv", "runs.csv", "sweep.json"] {
        assert!(files.iter().any(|n| n == f), "{f} in {files:?}");
    }
    assert!(
        files.iter().any(|n| n == "sweep_datagrams_dropped.png"),
        "loss 0 against 0.1 varies the drops: {files:?}"
    );
    for f in &files {
        let a = std::fs::read(Path::new(&whole).join(f)).unwrap();
        let b = std::fs::read(Path::new(&merged).join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the unsharded sweep and the merge"
        );
    }
    let runs = std::fs::read_to_string(Path::new(&whole).join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 4, "{runs}");
}

#[test]
fn sweep_rejects_a_bad_parameter_before_running() {
    let dir = workdir("report_cli_bad");
    let out = Command::new(env!("CARGO_BIN_EXE_dave-sim"))
        .args([
            "sweep",
            dir.join("scenario.json").to_str().unwrap(),
            "--param",
            "network.nonsense=1,2",
            "--out",
            dir.join("out").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--param network.nonsense=1"), "{err}");
    assert!(
        !dir.join("out").exists(),
        "nothing runs when a grid point is invalid"
    );
}
