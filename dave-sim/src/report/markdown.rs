//! `report.md`: the command that reproduces the run, the expectations table, theory against
//! measurement, and every chart with one computed sentence about it (issue 5, "report.md").

use std::fmt::Write as _;

use super::stats::{quantile_sorted, sorted_finite};
use super::theory;
use super::{ChartEntry, ReportInput, propagation};
pub use crate::sim::TheoryRow;

/// One `expect` bound of the scenario and how the run fared.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectationRow {
    /// Metric name (SIMULATOR.md "Metric names").
    pub metric: String,
    /// The bound as the scenario wrote it, e.g. `>= 0.99`.
    pub bound: String,
    /// Measured value, `None` if the run could not compute it (which fails the expectation).
    pub measured: Option<f64>,
    /// Whether the bound held.
    pub passed: bool,
}

impl TheoryRow {
    /// A row with its ratio derived here, so summary.json, theory.json and report.md can never
    /// disagree on it.
    fn new(quantity: String, model: String, predicted: f64, measured: Option<f64>) -> TheoryRow {
        TheoryRow {
            quantity,
            model,
            predicted,
            measured,
            ratio: measured.filter(|_| predicted != 0.0).map(|m| m / predicted),
        }
    }
}

/// Every model that applies to this run, predicted against measured. summary.json (`theory`),
/// theory.json and report.md all show these so a reader sees where Dave and the textbook
/// models agree.
pub fn theory_rows(input: &ReportInput) -> Vec<TheoryRow> {
    let mut rows = Vec::new();
    let lookups = &input.lookups;
    if let Some((m, p)) = lookups
        .hop_model
        .and_then(|m| m.predicted().map(|p| (m, p)))
    {
        rows.push(TheoryRow::new(
            "mean lookup hops".into(),
            format!("log2(N)/(1+log2 K), N={}, K={}", m.nodes, m.k),
            p,
            lookups.mean_hops(),
        ));
    }
    if let Some(d) = &input.reliability.detection {
        let n = d.measured.last().map_or(1, |p| p.0);
        rows.push(TheoryRow::new(
            format!("liars caught after {n} challenges (fraction)"),
            format!("1 − s^n, s={}", d.kept),
            theory::liar_detection(d.kept, n),
            d.measured.last().map(|p| p.1),
        ));
    }
    let prop = &input.propagation;
    if let Some((g, completion)) = prop.gossip.and_then(|g| g.completion_s().map(|c| (g, c))) {
        let full = sorted_finite(
            prop.records
                .iter()
                .filter_map(|c| propagation::time_to_fraction(c, 1.0)),
        );
        rows.push(TheoryRow::new(
            "time for a record to reach all target replicas, median (s)".into(),
            format!(
                "push gossip (log_(1+f) N + ln N / f) rounds, N={}, f={}, round={} s",
                g.nodes, g.fanout, g.round_s
            ),
            completion,
            quantile_sorted(&full, 0.5),
        ));
    }
    let storage = &input.storage;
    if let (Some(held), Some((r, e))) = (
        &storage.held_distances,
        storage
            .replicas
            .and_then(|r| theory::replica_distance_bits(storage.nodes, r).map(|e| (r, e))),
    ) {
        let bits = sorted_finite(held.iter().map(|d| f64::from(64 - d.leading_zeros())));
        rows.push(TheoryRow::new(
            "XOR distance of held records, median (bits)".into(),
            format!("{r} closest of N={} at 64 − log2(N/{r})", storage.nodes),
            e,
            quantile_sorted(&bits, 0.5),
        ));
    }
    rows
}

/// A number for a table: enough digits to compare, no float noise.
fn num(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 1000.0 || v.abs() < 0.001 {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// Escapes the characters that would break a markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Builds the markdown text of the report.
pub(crate) fn render(input: &ReportInput, charts: &[ChartEntry]) -> String {
    let meta = &input.meta;
    let mut md = String::new();
    // Writing to a String cannot fail; `let _` keeps that explicit without unwrap.
    let _ = writeln!(
        md,
        "# dave-sim report: {} (seed {})\n",
        meta.scenario, meta.seed
    );
    let _ = writeln!(
        md,
        "Reproduce this run:\n\n```sh\n{}\n```\n",
        input.reproduce_command
    );

    let _ = writeln!(md, "## Expectations\n");
    if input.expectations.is_empty() {
        let _ = writeln!(md, "The scenario sets no expectations.\n");
    } else {
        let failed = input.expectations.iter().filter(|e| !e.passed).count();
        let _ = writeln!(
            md,
            "{} of {} expectations held{}.\n",
            input.expectations.len() - failed,
            input.expectations.len(),
            if failed > 0 {
                " — the run FAILED"
            } else {
                ""
            }
        );
        let _ = writeln!(
            md,
            "| metric | bound | measured | result |\n|---|---|---|---|"
        );
        for e in &input.expectations {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} |",
                cell(&e.metric),
                cell(&e.bound),
                e.measured.map_or("n/a".to_owned(), num),
                if e.passed { "pass" } else { "**FAIL**" }
            );
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Theory and simulation\n");
    let rows = theory_rows(input);
    if rows.is_empty() {
        let _ = writeln!(md, "No reference model applies to this run.\n");
    } else {
        let _ = writeln!(
            md,
            "| quantity | model | predicted | measured | measured ÷ predicted |\n|---|---|---|---|---|"
        );
        for r in &rows {
            let ratio = r.ratio.map_or("n/a".to_owned(), |q| format!("{q:.2}"));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                cell(&r.quantity),
                cell(&r.model),
                num(r.predicted),
                r.measured.map_or("n/a".to_owned(), num),
                ratio
            );
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Charts\n");
    for c in charts {
        let _ = writeln!(
            md,
            "### {}\n\n![{}]({})\n\n{}\n",
            c.heading, c.heading, c.file, c.sentence
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{HopModel, LookupData, LookupRow};

    #[test]
    fn theory_rows_set_measurement_beside_formula() {
        let input = ReportInput {
            lookups: LookupData {
                rows: vec![
                    LookupRow {
                        issued_at_s: 0.0,
                        success: true,
                        latency_ms: 10.0,
                        hops: 3,
                    };
                    2
                ],
                duration_s: 1.0,
                hop_model: Some(HopModel { nodes: 256, k: 8 }),
            },
            ..ReportInput::default()
        };
        let rows = theory_rows(&input);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].predicted, 2.0);
        assert_eq!(rows[0].measured, Some(3.0));
        assert_eq!(rows[0].ratio, Some(1.5));
        let md = render(&input, &[]);
        assert!(
            md.contains("| mean lookup hops | log2(N)/(1+log2 K), N=256, K=8 | 2 | 3 | 1.50 |"),
            "{md}"
        );
        assert!(md.contains("The scenario sets no expectations."));
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(num(2.0), "2");
        assert_eq!(num(0.123456), "0.1235");
        assert_eq!(num(123456.5), "1.2346e5");
        assert_eq!(cell("a|b"), "a\\|b");
    }
}
