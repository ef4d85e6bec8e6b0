//! The check's findings as table rows (scenario, check, baseline, measured, verdict), shared
//! by the terminal table and the markdown summary, and the rerun commands of failed seeds.

use super::compare::Verdict;
use super::outcome::{
    BaselineState, CheckReport, ScenarioCheck, comparison_change, comparison_verdict, number,
    spread,
};

/// Column titles.
pub const HEADER: [&str; 5] = [
    "scenario",
    "check",
    "baseline",
    "measured over seeds",
    "verdict",
];

/// One row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The cells, as [`HEADER`].
    pub cells: [String; 5],
    /// Whether the row fails the check (a missed bound or a regression).
    pub failed: bool,
}

fn row(
    s: &ScenarioCheck,
    check: String,
    baseline: String,
    measured: String,
    verdict: String,
    failed: bool,
) -> Row {
    Row {
        cells: [s.name.clone(), check, baseline, measured, verdict],
        failed,
    }
}

fn seeds(list: &[u64]) -> String {
    list.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every row of the report, scenario by scenario.
pub fn rows(report: &CheckReport) -> Vec<Row> {
    let mut out = Vec::new();
    for s in &report.scenarios {
        if s.expectations.is_empty() {
            out.push(row(
                s,
                "expect".into(),
                String::new(),
                String::new(),
                "no bounds in the scenario".into(),
                false,
            ));
        }
        for e in &s.expectations {
            let failing: Vec<String> = e
                .failing()
                .map(|f| format!("{} ({})", f.seed, number(f.value)))
                .collect();
            let verdict = match failing.len() {
                0 => "ok".to_string(),
                1 => format!("FAIL on seed {}", failing[0]),
                _ => format!("FAIL on seeds {}", failing.join(", ")),
            };
            out.push(row(
                s,
                format!("{} {}", e.metric, e.bound),
                String::new(),
                spread(&e.spread()),
                verdict,
                !failing.is_empty(),
            ));
        }
        baseline_rows(s, &mut out);
    }
    out
}

fn baseline_rows(s: &ScenarioCheck, out: &mut Vec<Row>) {
    let note = |text: String| {
        row(
            s,
            "baseline".into(),
            String::new(),
            String::new(),
            text,
            false,
        )
    };
    match &s.baseline {
        BaselineState::NotAsked => {}
        BaselineState::Missing(path) => {
            out.push(note(format!("none at {}: not compared", path.display())));
        }
        BaselineState::Compared(c) => {
            if c.scenario_changed {
                out.push(note(
                    "the scenario differs from the one the baseline ran (file edited or --set)"
                        .into(),
                ));
            }
            if c.baseline_version != env!("CARGO_PKG_VERSION") {
                out.push(note(format!(
                    "written by dave-sim {}, this is {}",
                    c.baseline_version,
                    env!("CARGO_PKG_VERSION")
                )));
            }
            if c.compared_seeds.is_empty() {
                out.push(note(format!(
                    "identical: every seed ({}) has the baseline's trace hash; no statistics needed",
                    seeds(&c.unchanged_seeds)
                )));
            } else if !c.unchanged_seeds.is_empty() {
                out.push(note(format!(
                    "seed{} {} unchanged (same trace hash): left out of the statistics",
                    if c.unchanged_seeds.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    seeds(&c.unchanged_seeds)
                )));
            }
            if !c.recomputed.is_empty() {
                out.push(note(format!(
                    "{} differ on unchanged traces: their computation changed, not the protocol",
                    c.recomputed.join(", ")
                )));
            }
            for cmp in &c.comparisons {
                out.push(row(
                    s,
                    format!("{} ({} is better)", cmp.metric, cmp.policy.better.name()),
                    spread(&cmp.baseline),
                    comparison_change(cmp),
                    comparison_verdict(cmp),
                    cmp.verdict == Verdict::Regression,
                ));
            }
        }
    }
}

/// `dave-sim run` commands that rerun each seed a bound failed on, one per (scenario, seed).
pub fn rerun_commands(report: &CheckReport) -> Vec<String> {
    let mut out = Vec::new();
    for s in &report.scenarios {
        let mut failed: Vec<u64> = s
            .failed_expectations()
            .flat_map(|e| e.failing().map(|f| f.seed))
            .collect();
        failed.sort_unstable();
        failed.dedup();
        out.extend(
            failed
                .into_iter()
                .map(|seed| s.rerun_command(seed, &report.set)),
        );
    }
    out
}
