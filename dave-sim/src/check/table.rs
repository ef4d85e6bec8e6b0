//! The terminal table: aligned columns, failing rows marked with `!` in the margin so they stand
//! out without colour (CI logs often strip it).

use super::outcome::CheckReport;
use super::rows::{HEADER, rerun_commands, rows};

/// The table, the headline and the rerun commands, as printed on stdout.
pub fn render(report: &CheckReport) -> String {
    let rows = rows(report);
    let mut widths = HEADER.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(&r.cells) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |margin: char, cells: &[String]| {
        let mut s = String::from(margin);
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            s.push(' ');
            s.push_str(cell);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(w - cell.chars().count() + 1));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(' ', &HEADER.map(String::from));
    for r in &rows {
        out.push_str(&line(if r.failed { '!' } else { ' ' }, &r.cells));
    }
    out.push('\n');
    out.push_str(&report.headline());
    out.push('\n');
    let reruns = rerun_commands(report);
    if !reruns.is_empty() {
        out.push_str("rerun a failing seed alone:\n");
        for cmd in reruns {
            out.push_str(&format!("  {cmd}\n"));
        }
    }
    out
}
