//! `--markdown FILE`: a summary for a pull-request comment. Problems come first, in a table of
//! their own; the full table sits in a collapsed `<details>` block so a green check stays short.

use super::outcome::CheckReport;
use super::rows::{HEADER, Row, rerun_commands, rows};

fn cell(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{}`", text.replace('|', "\\|").replace('`', "'"))
    }
}

fn table(rows: &[&Row]) -> String {
    let mut out = format!("| {} |\n", HEADER.join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(HEADER.len())));
    for r in rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { c.clone() } else { cell(c) })
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// The markdown text.
pub fn render(report: &CheckReport) -> String {
    let all = rows(report);
    let mark = if report.passed() { "✅" } else { "❌" };
    let mut out = format!("### {mark} dave-sim check\n\n{}\n\n", report.headline());
    let failed: Vec<&Row> = all.iter().filter(|r| r.failed).collect();
    if !failed.is_empty() {
        out.push_str(&table(&failed));
        out.push('\n');
        let reruns = rerun_commands(report);
        if !reruns.is_empty() {
            out.push_str("Rerun a failing seed alone:\n\n```sh\n");
            for cmd in reruns {
                out.push_str(&cmd);
                out.push('\n');
            }
            out.push_str("```\n\n");
        }
    }
    out.push_str("<details><summary>Every check</summary>\n\n");
    out.push_str(&table(&all.iter().collect::<Vec<_>>()));
    out.push_str("\n</details>\n");
    out
}
