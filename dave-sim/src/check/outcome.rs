//! What a check found, scenario by scenario: the one model the table, the JUnit file and the
//! markdown summary are all rendered from, so they never disagree.

use std::path::PathBuf;

use super::compare::{BaselineComparison, Comparison, Verdict};
use super::expectations::ExpectationOutcome;
use super::stats::Spread;

/// The whole check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// The `--set` overrides every scenario ran with (repeated in rerun commands).
    pub set: Vec<String>,
    /// Seeds per scenario.
    pub seeds: u64,
    /// One entry per scenario file, in the order given.
    pub scenarios: Vec<ScenarioCheck>,
}

/// One scenario's findings.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioCheck {
    /// The scenario file.
    pub file: PathBuf,
    /// Scenario name.
    pub name: String,
    /// Its seeds.
    pub seeds: Vec<u64>,
    /// Each `expect` bound over the seeds.
    pub expectations: Vec<ExpectationOutcome>,
    /// The comparison with the baseline, if one was asked for.
    pub baseline: BaselineState,
}

/// Whether and how a scenario was compared with a baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum BaselineState {
    /// No `--baseline`.
    NotAsked,
    /// `--baseline` has no file for this scenario (a new scenario): nothing to compare.
    Missing(PathBuf),
    /// Compared.
    Compared(BaselineComparison),
}

impl ScenarioCheck {
    /// Bounds that failed on some seed.
    pub fn failed_expectations(&self) -> impl Iterator<Item = &ExpectationOutcome> {
        self.expectations.iter().filter(|e| !e.passed())
    }

    /// Metrics that regressed.
    pub fn regressions(&self) -> Vec<&Comparison> {
        match &self.baseline {
            BaselineState::Compared(c) => c.regressions().collect(),
            _ => Vec::new(),
        }
    }

    /// The command that reruns `seed` of this scenario alone, with the check's overrides.
    pub fn rerun_command(&self, seed: u64, set: &[String]) -> String {
        let out = PathBuf::from("reports").join(format!("{}-seed-{seed}", self.name));
        crate::report::from_run::reproduce_command(&self.file, seed, set, &out)
    }
}

impl CheckReport {
    /// Failed bounds over all scenarios.
    pub fn failed_expectations(&self) -> usize {
        self.scenarios
            .iter()
            .map(|s| s.failed_expectations().count())
            .sum()
    }

    /// Regressed metrics over all scenarios.
    pub fn regressions(&self) -> usize {
        self.scenarios.iter().map(|s| s.regressions().len()).sum()
    }

    /// Whether everything held: the exit code is 0 exactly then.
    pub fn passed(&self) -> bool {
        self.failed_expectations() == 0 && self.regressions() == 0
    }

    /// Bounds checked over all scenarios.
    pub fn expectations(&self) -> usize {
        self.scenarios.iter().map(|s| s.expectations.len()).sum()
    }

    /// One line: how many scenarios, seeds, failures and regressions.
    pub fn headline(&self) -> String {
        let mut parts = vec![format!(
            "{} scenario{} × {} seed{}: {} of {} bounds hold",
            self.scenarios.len(),
            plural(self.scenarios.len()),
            self.seeds,
            plural(self.seeds as usize),
            self.expectations() - self.failed_expectations(),
            self.expectations()
        )];
        if self
            .scenarios
            .iter()
            .any(|s| s.baseline != BaselineState::NotAsked)
        {
            parts.push(format!(
                "{} regression{} against the baseline",
                self.regressions(),
                plural(self.regressions())
            ));
        }
        format!(
            "{}: {}",
            if self.passed() { "PASS" } else { "FAIL" },
            parts.join(", ")
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A number for people: four significant figures or so, `n/a` for no data.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    let s = if a == 0.0 || a >= 1000.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.4}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `mean ± sd [min, max]`, or just the value when there is one seed or no spread.
pub fn spread(s: &Spread) -> String {
    let mut out = if s.n == 0 {
        "n/a".to_string()
    } else if s.n == 1 || s.min == s.max {
        number(s.mean)
    } else {
        format!(
            "{} ± {} [{}, {}]",
            number(s.mean),
            number(s.sd),
            number(s.min),
            number(s.max)
        )
    };
    if s.missing > 0 {
        out.push_str(&format!(" ({} without data)", s.missing));
    }
    out
}

/// A p-value for people.
pub fn p_value(p: f64) -> String {
    if p < 1e-4 {
        "p < 0.0001".into()
    } else {
        format!("p = {p:.4}")
    }
}

/// The verdict column of a comparison.
pub fn comparison_verdict(c: &Comparison) -> String {
    let p = c.p_worse.map(p_value).unwrap_or_default();
    match &c.verdict {
        Verdict::Regression => format!("REGRESSION ({p})"),
        Verdict::Improved => format!("improved ({})", c.p_better.map(p_value).unwrap_or_default()),
        Verdict::Unchanged => format!("ok ({p})"),
        Verdict::Untested(why) => format!("not tested: {why}"),
    }
}

/// `baseline → new (+x %)` of a comparison.
pub fn comparison_change(c: &Comparison) -> String {
    let rel = c.relative_change();
    let change = if rel.is_finite() {
        format!(" ({:+.1} %)", rel * 100.0)
    } else {
        String::new()
    };
    format!("{}{change}", spread(&c.new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(0.98765), "0.9877");
        assert_eq!(number(123.456), "123.5");
        assert_eq!(number(12.0), "12");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(123456.7), "123457");
        assert_eq!(number(f64::NAN), "n/a");
        assert_eq!(p_value(0.00001), "p < 0.0001");
        assert_eq!(p_value(0.0123), "p = 0.0123");
    }
}
