//! Every chart renders from a small synthetic run: the file exists, is a PNG of the stated size,
//! and is not blank; report.md references every chart with its computed sentence.

use std::path::{Path, PathBuf};

use dave_sim::report::{
    ChartMeta, EclipseData, ExpectationRow, GossipModel, HopModel, JoinData, LiarDetection,
    LookupData, LookupRow, OpSeries, PropagationData, ReliabilityData, ReliabilitySnapshot,
    ReportInput, StorageData, TrafficData, TrafficPoint, VictimSeries, chart, write_report,
};

/// A small deterministic pseudo-random sequence (xorshift), enough to give synthetic data spread.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn synthetic_input() -> ReportInput {
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let records = (0..40)
        .map(|_| {
            let speed = 0.5 + noise.next() * 2.0;
            (1..=20)
                .map(|i| {
                    let t = i as f64 * 0.25 * speed;
                    (t, (i as f64 / 5.0).min(1.0))
                })
                .collect()
        })
        .collect();
    let rows = (0..300)
        .map(|i| {
            let t = i as f64 * 2.0;
            LookupRow {
                issued_at_s: t,
                success: noise.next() > if t > 300.0 && t < 400.0 { 0.3 } else { 0.03 },
                latency_ms: 60.0 + noise.next() * 400.0,
                hops: (1.0 + noise.next() * 4.0) as u32,
            }
        })
        .collect();
    let snapshots = (0..=60)
        .map(|i| {
            let t = i as f64 * 10.0;
            let decay = (-(t / 200.0)).exp();
            ReliabilitySnapshot {
                t_s: t,
                of_honest: (0..50)
                    .map(|_| 0.5 + 0.45 * (1.0 - decay) * (0.7 + 0.3 * noise.next()))
                    .collect(),
                of_adversarial: (0..20).map(|_| 0.5 * decay + 0.1 * noise.next()).collect(),
            }
        })
        .collect();
    let victims = (0..3)
        .map(|v| VictimSeries {
            label: format!("10.0.{v}.1:4000"),
            points: (0..=60)
                .map(|i| {
                    let t = i as f64 * 10.0;
                    let share = if t < 120.0 {
                        0.0
                    } else {
                        (0.15 + 0.1 * v as f64) * (1.0 - (-(t - 120.0) / 60.0).exp())
                    };
                    (t, share)
                })
                .collect(),
        })
        .collect();
    let ops = ["PING", "PONG", "GET", "GET_ACK", "PUT"]
        .iter()
        .enumerate()
        .map(|(k, op)| OpSeries {
            op: (*op).to_owned(),
            points: (1..=60)
                .map(|i| {
                    let d = (5 - k) as f64 * 0.4 + noise.next() * 0.2;
                    TrafficPoint {
                        t_s: i as f64 * 10.0,
                        datagrams_per_node_s: d,
                        bytes_per_node_s: d * (80.0 + 200.0 * k as f64),
                    }
                })
                .collect(),
        })
        .collect();
    let held_distances = (0..2000)
        .map(|_| {
            let bits = 52 + (noise.next() * 6.0) as u32;
            (1u64 << bits) | (noise.next() * (1u64 << bits) as f64) as u64
        })
        .collect();
    ReportInput {
        meta: ChartMeta {
            scenario: "synthetic".into(),
            seed: 7,
        },
        propagation: PropagationData {
            records,
            written_late: 0,
            gossip: Some(GossipModel {
                nodes: 5,
                fanout: 5.0,
                round_s: 0.5,
            }),
        },
        lookups: LookupData {
            rows,
            duration_s: 600.0,
            hop_model: Some(HopModel {
                nodes: 200,
                k: 8,
                alpha: 3,
                referrals: 5,
                replicas: 5,
            }),
        },
        reliability: ReliabilityData {
            snapshots,
            reliability_min: Some(0.3),
            detection: Some(LiarDetection {
                kept: 0.5,
                measured: (1..=10)
                    .map(|n| (n, 1.0 - 0.55f64.powi(n as i32)))
                    .collect(),
            }),
        },
        eclipse: EclipseData {
            attack_start_s: Some(120.0),
            victims,
        },
        traffic: TrafficData {
            ops,
            drops: vec![
                ("loss".into(), 812),
                ("oversize".into(), 3),
                ("uplink queue full".into(), 97),
                ("partition".into(), 0),
            ],
        },
        join: JoinData {
            band: (0..60)
                .map(|i| {
                    let t = f64::from(i) * 0.25;
                    let size = 30.0 * (1.0 - (-t).exp());
                    (t, size * 0.8, size, size * 1.1)
                })
                .collect(),
            p50_ms: Some(400.0),
            p90_ms: Some(900.0),
            measured: 200,
        },
        storage: StorageData {
            nodes: 200,
            held_distances: Some(held_distances),
            replicas: Some(5),
        },
        expectations: vec![
            ExpectationRow {
                metric: "get_success_rate".into(),
                bound: ">= 0.9".into(),
                measured: Some(0.93),
                passed: true,
            },
            ExpectationRow {
                metric: "victim_honest_fraction_min".into(),
                bound: ">= 0.8".into(),
                measured: Some(0.55),
                passed: false,
            },
        ],
        reproduce_command: "dave-sim run scenarios/synthetic.json --seed 7".into(),
    }
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Decodes a PNG and returns (width, height, number of distinct RGB colours).
fn inspect_png(path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("chart file exists"));
    let mut reader = decoder.read_info().expect("valid PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("valid PNG data");
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    // One bit per 24-bit RGB colour: a linear pass, quick even in an unoptimised test build.
    let mut seen = vec![0u64; 1 << 18];
    let mut colours = 0;
    for px in bytes.chunks(channels) {
        let rgb = (usize::from(px[0]) << 16) | (usize::from(px[1]) << 8) | usize::from(px[2]);
        let (word, bit) = (rgb >> 6, 1u64 << (rgb & 63));
        if seen[word] & bit == 0 {
            seen[word] |= bit;
            colours += 1;
        }
    }
    (info.width, info.height, colours)
}

fn assert_charts_valid(written: &[PathBuf], charts: usize, min_colours: usize) {
    let pngs: Vec<&PathBuf> = written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(pngs.len(), charts, "{written:?}");
    for png in pngs {
        let (w, h, colours) = inspect_png(png);
        assert_eq!((w, h), (chart::WIDTH, chart::HEIGHT), "{}", png.display());
        assert!(
            colours >= min_colours,
            "{} has only {colours} colours",
            png.display()
        );
    }
}

#[test]
fn every_chart_renders_from_a_small_run() {
    let dir = out_dir("report_full");
    let input = synthetic_input();
    let written = write_report(&input, &dir).expect("report renders");
    // Antialiased text, bands and lines give hundreds of colours; a blank canvas has one.
    assert_charts_valid(&written, 11, 50);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for png in written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
    {
        let name = png.file_name().unwrap().to_str().unwrap();
        assert!(md.contains(&format!("]({name})")), "report.md lacks {name}");
    }
    assert!(md.contains("dave-sim run scenarios/synthetic.json --seed 7"));
    assert!(
        md.contains("| `victim_honest_fraction_min` | >= 0.8 | 0.5500 | **FAIL** |"),
        "{md}"
    );
    assert!(md.contains("1 of 2 expectations held — the run FAILED"));
    assert!(md.contains("| mean lookup hops |"));
    let theory: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("theory.json")).unwrap()).unwrap();
    let hops = &theory[0];
    assert_eq!(hops["quantity"], "mean lookup hops");
    let predicted = hops["predicted"].as_f64().unwrap();
    // (1 − 5/200) · (1 + (log2(200/5) − log2 18) / log2 16).
    let model = (1.0 - 5.0 / 200.0) * (1.0 + (40f64.log2() - 18f64.log2()) / 4.0);
    assert!((predicted - model).abs() < 1e-12, "{theory}");
}

#[test]
fn empty_run_renders_no_data_notes() {
    let dir = out_dir("report_empty");
    let input = ReportInput {
        meta: ChartMeta {
            scenario: "empty".into(),
            seed: 1,
        },
        ..ReportInput::default()
    };
    let written = write_report(&input, &dir).expect("empty report renders");
    // Title, footer and the note are still drawn; the attack-only charts (eclipse, liar
    // detection) are left out, file and report.md entry.
    assert_charts_valid(&written, 9, 10);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("No GETs were issued"));
    assert!(
        !md.contains("eclipse") && !md.contains("liar_detection"),
        "{md}"
    );
    assert!(!dir.join("eclipse.png").exists());
}

#[test]
fn charts_are_deterministic() {
    let input = synthetic_input();
    let a = write_report(&input, &out_dir("report_det_a")).unwrap();
    let b = write_report(&input, &out_dir("report_det_b")).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            std::fs::read(x).unwrap(),
            std::fs::read(y).unwrap(),
            "{}",
            x.display()
        );
    }
}
