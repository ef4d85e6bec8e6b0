//! The binary's contract: exit 0 when expectations hold, 1 when one fails (naming it and its
//! measured value), 2 for bad input; `validate`, `schema`, and the files a run writes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dave-sim"))
}

fn tiny() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tiny.json")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dave-sim-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn run_writes_every_file_and_exits_0_when_expectations_hold() {
    let dir = out_dir("ok");
    let o = bin()
        .arg(tiny())
        .arg("--out")
        .arg(&dir)
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("trace hash "));
    for f in [
        "summary.json",
        "timing.json",
        "timeseries.csv",
        "records.csv",
        "lookups.csv",
        "peers.csv",
        "joins.csv",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["passed"], true);
    assert!(
        summary.get("wall_s").is_none(),
        "wall time belongs in timing.json"
    );
    assert_theory_beside_measurement(&summary);
    assert_timeseries_bytes_by_op_add_up(&dir, &summary);
    let _ = std::fs::remove_dir_all(&dir);
}

/// summary.json's `theory` section sets each model's prediction beside the run's measurement
/// (issue 5): the lookup-hops row predicts docs/simulator.md's model for tiny.json's 12 nodes.
fn assert_theory_beside_measurement(summary: &serde_json::Value) {
    let theory = summary["theory"]
        .as_array()
        .expect("summary.json has a theory section");
    let hops = theory
        .iter()
        .find(|r| r["quantity"] == "mean lookup hops")
        .unwrap_or_else(|| panic!("no lookup hops row: {theory:?}"));
    let c = dave_core::config::Config::default();
    let model = dave_sim::report::theory::lookup_hops(dave_sim::report::theory::LookupShape {
        nodes: 12,
        k: c.k as u64,
        alpha: c.alpha as u64,
        referrals: c.referrals as u64,
        replicas: c.replicas as u64,
    })
    .expect("the model applies");
    let predicted = hops["predicted"].as_f64().expect("predicted is a number");
    assert!((predicted - model).abs() < 1e-12, "{hops}");
    let measured = hops["measured"].as_f64().expect("tiny.json issues GETs");
    let ratio = hops["ratio"].as_f64().expect("ratio is a number");
    assert!((ratio - measured / predicted).abs() < 1e-12, "{hops}");
    assert!(hops["model"].as_str().is_some_and(|m| m.contains("N=12")));
}

/// The last sample's cumulative `bytes_delivered_<op>` columns in timeseries.csv are the run's
/// bytes by op.
fn assert_timeseries_bytes_by_op_add_up(dir: &std::path::Path, summary: &serde_json::Value) {
    let mut reader = csv::Reader::from_path(dir.join("timeseries.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let last = reader.records().last().expect("samples").unwrap();
    let mut total = 0;
    for op in dave_sim::network::OPS {
        let name = format!("bytes_delivered_{op}");
        let column = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("timeseries.csv has no {name}"));
        let bytes: u64 = last[column].parse().unwrap();
        assert_eq!(
            summary["traffic"][op]["bytes"].as_u64(),
            Some(bytes),
            "{op}"
        );
        total += bytes;
    }
    assert!(total > 0);
}

#[test]
fn failed_expectation_exits_1_and_names_the_metric() {
    let dir = out_dir("fail");
    let o = bin()
        .args([
            "run",
            tiny().to_str().unwrap(),
            "--quiet",
            "--set",
            "expect.datagrams_delivered=< 1",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("FAIL datagrams_delivered < 1 (measured "),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_exits_2_with_a_located_message() {
    let dir = out_dir("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"name\": \"x\",\n  \"duration\": \"5 minutes\",\n  \"nodes\": {\"count\": 3}\n}\n",
    )
    .unwrap();
    let o = bin().arg(&bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains("bad.json:3:") && t.contains("`duration`"), "{t}");
    let o = bin()
        .args(["validate", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = bin()
        .args(["run", tiny().to_str().unwrap(), "--set", "nodes.count=-1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--set nodes.count=-1"), "{}", text(&o));
    // A protocol constant that cannot work is a scenario error too, for run and validate alike
    // (a zero period used to make `run` spin forever at one instant).
    let zero = dir.join("zero.json");
    let tiny_text = std::fs::read_to_string(tiny()).unwrap();
    std::fs::write(
        &zero,
        tiny_text.replace(r#""min_work": 4"#, r#""min_work": 4, "ping_every": "0s""#),
    )
    .unwrap();
    for verb in ["run", "validate"] {
        let o = bin().args([verb, zero.to_str().unwrap()]).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{verb}: {}", text(&o));
        assert!(text(&o).contains("nodes.config.ping_every"), "{}", text(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn validate_and_schema() {
    let o = bin()
        .args(["validate", tiny().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = bin().arg("schema").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(schema["properties"]["network"].is_object());
}

#[test]
fn check_determinism_passes_on_a_deterministic_run() {
    let dir = out_dir("det");
    let o = bin()
        .arg(tiny())
        .arg("--check-determinism")
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("determinism: both runs gave trace hash"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// With stderr not a terminal (a pipe here, a log file under Slurm or CI) a run prints plain
/// progress lines; `--quiet` silences them; results do not depend on either.
#[test]
fn progress_lines_when_stderr_is_not_a_terminal() {
    let dir = out_dir("progress");
    let o = bin()
        .arg(tiny())
        .args(["--progress-every", "0", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("progress: "))
        .collect();
    assert!(lines.len() >= 2, "{stderr}");
    for l in &lines {
        assert!(
            l.contains(" s virtual (") && l.contains(" events/s, ") && l.contains(" s elapsed"),
            "{l}"
        );
    }
    let hash = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .find(|l| l.starts_with("trace hash "))
            .map(str::to_string)
    };
    let quiet = bin()
        .arg(tiny())
        .args(["--quiet", "--progress-every", "0", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet));
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert_eq!(hash(&o), hash(&quiet));
    assert!(hash(&o).is_some());
    let bad = bin()
        .arg(tiny())
        .args(["--progress-every=-1"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("--progress-every"), "{}", text(&bad));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dave-sim` starts itself again with glibc's heap on transparent huge pages (a run of
/// thousands of nodes is bound by TLB and cache misses), and `bench` says which heap it ran on,
/// so figures are compared like with like. An explicit `GLIBC_TUNABLES` is left alone.
#[test]
fn bench_runs_on_huge_pages_unless_told_otherwise() {
    let bench = |tunables: Option<&str>| {
        let mut cmd = bin();
        cmd.args(["bench", "--nodes", "4", "--seconds", "1"]);
        match tunables {
            Some(t) => cmd.env("GLIBC_TUNABLES", t),
            None => cmd.env_remove("GLIBC_TUNABLES"),
        };
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        text(&o)
    };
    let default = bench(None);
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        assert!(
            default.contains("heap: transparent huge pages requested (glibc.malloc.hugetlb=1)"),
            "{default}"
        );
    } else {
        assert!(default.contains("heap: ordinary pages"), "{default}");
    }
    let opted_out = bench(Some(""));
    assert!(opted_out.contains("heap: ordinary pages"), "{opted_out}");
    assert!(opted_out.contains("echo hosts"), "{opted_out}");
}
