//! `--junit FILE`: JUnit XML through `quick-junit` (cargo-nextest's serializer), which GitHub
//! Actions (via a test-report action), GitLab (`artifacts:reports:junit`) and Jenkins show
//! natively. One test suite per scenario; one test case per `expect` bound and per compared
//! metric, its failure message carrying the measured values (and the baseline and p-value).
//! No timestamps or durations are written, so the file is a pure function of the runs.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::compare::{Comparison, Verdict};
use super::outcome::{
    BaselineState, CheckReport, ScenarioCheck, comparison_change, comparison_verdict, number,
    spread,
};

/// The XML text.
pub fn render(report: &CheckReport) -> Result<String, String> {
    let mut junit = Report::new("dave-sim check");
    for s in &report.scenarios {
        let mut suite = TestSuite::new(s.name.clone());
        for e in &s.expectations {
            let name = format!("expect {} {}", e.metric, e.bound);
            let measured = format!(
                "measured {} over seeds {}",
                spread(&e.spread()),
                seed_list(&s.seeds)
            );
            let status = if e.passed() {
                TestCaseStatus::success()
            } else {
                let failing: Vec<String> = e
                    .failing()
                    .map(|f| format!("seed {} measured {}", f.seed, number(f.value)))
                    .collect();
                let reruns: Vec<String> = e
                    .failing()
                    .map(|f| s.rerun_command(f.seed, &report.set))
                    .collect();
                failure(
                    format!(
                        "{} {} failed: {}; {measured}",
                        e.metric,
                        e.bound,
                        failing.join(", ")
                    ),
                    format!("rerun alone:\n{}", reruns.join("\n")),
                )
            };
            suite.add_test_case(case(s, name, status, measured));
        }
        baseline_cases(s, &mut suite);
        junit.add_test_suite(suite);
    }
    junit.to_string().map_err(|e| format!("JUnit XML: {e}"))
}

fn baseline_cases(s: &ScenarioCheck, suite: &mut TestSuite) {
    match &s.baseline {
        BaselineState::NotAsked => {}
        BaselineState::Missing(path) => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(format!("no baseline at {}", path.display()));
            suite.add_test_case(case(s, "baseline".into(), status, String::new()));
        }
        BaselineState::Compared(c) if c.compared_seeds.is_empty() => {
            let text = format!(
                "identical: every seed ({}) has the baseline's trace hash",
                seed_list(&c.unchanged_seeds)
            );
            suite.add_test_case(case(s, "baseline".into(), TestCaseStatus::success(), text));
        }
        BaselineState::Compared(c) => {
            for cmp in &c.comparisons {
                let text = comparison_text(cmp, &c.unchanged_seeds);
                let (status, out) = match &cmp.verdict {
                    Verdict::Regression => (failure(text, String::new()), String::new()),
                    Verdict::Untested(why) => {
                        let mut status = TestCaseStatus::skipped();
                        status.set_message(why.clone());
                        (status, text)
                    }
                    Verdict::Improved | Verdict::Unchanged => (TestCaseStatus::success(), text),
                };
                suite.add_test_case(case(s, format!("regression {}", cmp.metric), status, out));
            }
        }
    }
}

fn comparison_text(c: &Comparison, unchanged: &[u64]) -> String {
    let mut text = format!(
        "{} ({} is better): baseline {} → new {}; {}; tolerance {} % of the baseline mean",
        c.metric,
        c.policy.better.name(),
        spread(&c.baseline),
        comparison_change(c),
        comparison_verdict(c),
        number(c.policy.tolerance * 100.0),
    );
    if c.policy.absolute_tolerance > 0.0 {
        text.push_str(&format!(
            " and at least {}",
            number(c.policy.absolute_tolerance)
        ));
    }
    if let Some(level) = c.threshold {
        text.push_str(&format!(
            "; Holm level {} of significance {}",
            number(level),
            number(c.policy.significance)
        ));
    }
    if !unchanged.is_empty() {
        text.push_str(&format!(
            "; seeds {} unchanged and left out",
            seed_list(unchanged)
        ));
    }
    text
}

fn failure(message: String, description: String) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message);
    if !description.is_empty() {
        status.set_description(description);
    }
    status
}

fn case(s: &ScenarioCheck, name: String, status: TestCaseStatus, out: String) -> TestCase {
    let mut case = TestCase::new(name, status);
    case.set_classname(s.file.display().to_string());
    if !out.is_empty() {
        case.set_system_out(out);
    }
    case
}

fn seed_list(seeds: &[u64]) -> String {
    seeds
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
