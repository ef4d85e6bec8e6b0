//! The sweep grid: parameters and their values, seeds, and the shards a cluster splits it into.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::report::ReportError;
use crate::scenario::Override;

/// One `--param path=v1,v2,...`: a dotted JSON path into the scenario and the values it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepParam {
    /// Dotted path, e.g. `network.loss.bernoulli` or `adversaries.0.addresses` (array index).
    pub path: String,
    /// Values as written on the command line; each is parsed as JSON if it can be (numbers,
    /// booleans, objects) and used as a string otherwise (`"60ms"`).
    pub values: Vec<String>,
}

impl FromStr for SweepParam {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<SweepParam, ReportError> {
        let (path, values) = s.split_once('=').ok_or_else(|| {
            ReportError::Sweep(format!("--param {s:?}: expected path=value1,value2,..."))
        })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(ReportError::Sweep(format!(
                "--param {s:?}: empty path segment"
            )));
        }
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_owned()).collect();
        if values.iter().any(String::is_empty) {
            return Err(ReportError::Sweep(format!("--param {s:?}: empty value")));
        }
        let distinct: BTreeSet<&String> = values.iter().collect();
        if distinct.len() != values.len() {
            return Err(ReportError::Sweep(format!("--param {s:?}: repeated value")));
        }
        Ok(SweepParam {
            path: path.to_owned(),
            values,
        })
    }
}

/// `--shard i/n`: run slice `i` (0-based) of `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This slice, `0 ≤ index < count`.
    pub index: u32,
    /// Number of slices.
    pub count: u32,
}

impl Shard {
    /// The whole sweep as one slice.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether run number `run` belongs to this slice.
    pub fn contains(&self, run: usize) -> bool {
        run % self.count as usize == self.index as usize
    }
}

impl FromStr for Shard {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Shard, ReportError> {
        let bad = || ReportError::Sweep(format!("--shard {s:?}: expected i/n with 0 <= i < n"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The grid and seeds of a sweep: everything that numbers its runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepPlan {
    /// Swept parameters, first one outermost and on the charts' x axis.
    pub params: Vec<SweepParam>,
    /// First seed.
    pub seed_base: u64,
    /// Seeds per grid point.
    pub seeds: u64,
}

/// One run of the sweep: a grid point and a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    /// Run number, `point × seeds + seed index`.
    pub run: usize,
    /// Index of the grid point.
    pub point: usize,
    /// The seed.
    pub seed: u64,
}

impl SweepPlan {
    /// Checks the plan and builds it. `seed_base` is the scenario's seed (see module docs).
    pub fn new(
        params: Vec<SweepParam>,
        seed_base: u64,
        seeds: u64,
    ) -> Result<SweepPlan, ReportError> {
        if seeds == 0 {
            return Err(ReportError::Sweep("--seeds must be at least 1".into()));
        }
        if seed_base.checked_add(seeds - 1).is_none() {
            return Err(ReportError::Sweep("seeds overflow u64".into()));
        }
        let paths: BTreeSet<&str> = params.iter().map(|p| p.path.as_str()).collect();
        if paths.len() != params.len() {
            return Err(ReportError::Sweep("a parameter path is given twice".into()));
        }
        Ok(SweepPlan {
            params,
            seed_base,
            seeds,
        })
    }

    /// Number of grid points (1 when no parameter is swept: seeds only).
    pub fn points(&self) -> usize {
        self.params.iter().map(|p| p.values.len()).product()
    }

    /// Total number of runs.
    pub fn runs(&self) -> usize {
        self.points() * self.seeds as usize
    }

    /// Value index of each parameter at grid point `point` (first parameter outermost).
    pub fn point_indices(&self, point: usize) -> Vec<usize> {
        let mut rest = point;
        let mut out = vec![0; self.params.len()];
        for (i, p) in self.params.iter().enumerate().rev() {
            out[i] = rest % p.values.len();
            rest /= p.values.len();
        }
        out
    }

    /// `(path, raw value)` pairs of grid point `point`.
    pub fn point_values(&self, point: usize) -> Vec<(&str, &str)> {
        self.point_indices(point)
            .into_iter()
            .zip(&self.params)
            .map(|(i, p)| (p.path.as_str(), p.values[i].as_str()))
            .collect()
    }

    /// The runs of `shard`, in run order.
    pub fn shard_runs(&self, shard: Shard) -> Vec<RunKey> {
        let seeds = self.seeds as usize;
        (0..self.runs())
            .filter(|r| shard.contains(*r))
            .map(|run| RunKey {
                run,
                point: run / seeds,
                seed: self.seed_base + (run % seeds) as u64,
            })
            .collect()
    }
}

/// The scenario for grid point `point` of `plan`: each value is set exactly as `run --set
/// path=value` would set it (same path syntax, JSON-or-string values, missing objects created and
/// left for the scenario parser to judge).
pub fn scenario_at(scenario: &Value, plan: &SweepPlan, point: usize) -> Result<Value, ReportError> {
    let mut doc = scenario.clone();
    for (path, raw) in plan.point_values(point) {
        let arg = format!("{path}={raw}");
        let set: Override = arg
            .parse()
            .map_err(|problem| ReportError::Sweep(format!("--param {arg}: {problem}")))?;
        set.apply(&mut doc)
            .map_err(|problem| ReportError::Sweep(format!("--param {arg}: {problem}")))?;
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> SweepPlan {
        SweepPlan::new(
            vec!["a.b=1,2,3".parse().unwrap(), "c=x,y".parse().unwrap()],
            5,
            2,
        )
        .unwrap()
    }

    #[test]
    fn grid_is_enumerated_first_parameter_outermost() {
        let p = plan();
        assert_eq!(p.points(), 6);
        assert_eq!(p.runs(), 12);
        assert_eq!(p.point_values(0), vec![("a.b", "1"), ("c", "x")]);
        assert_eq!(p.point_values(1), vec![("a.b", "1"), ("c", "y")]);
        assert_eq!(p.point_values(5), vec![("a.b", "3"), ("c", "y")]);
        let runs = p.shard_runs(Shard::WHOLE);
        assert_eq!(
            runs[3],
            RunKey {
                run: 3,
                point: 1,
                seed: 6
            }
        );
    }

    #[test]
    fn shards_partition_the_runs() {
        let p = plan();
        let mut all: Vec<usize> = (0..5)
            .flat_map(|i| p.shard_runs(Shard { index: i, count: 5 }))
            .map(|k| k.run)
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..12).collect::<Vec<_>>());
    }

    #[test]
    fn bad_flags_are_errors() {
        assert!("3/3".parse::<Shard>().is_err());
        assert!("x/3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert_eq!(
            "2/3".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 3 }
        );
        assert!("novalue".parse::<SweepParam>().is_err());
        assert!("a..b=1".parse::<SweepParam>().is_err());
        assert!("a=1,,2".parse::<SweepParam>().is_err());
        assert!("a=1,1".parse::<SweepParam>().is_err());
        assert!(SweepPlan::new(vec![], 1, 0).is_err());
        assert!(
            SweepPlan::new(vec!["a=1".parse().unwrap(), "a=2".parse().unwrap()], 1, 1).is_err()
        );
    }

    #[test]
    fn grid_values_are_set_like_run_set() {
        let s: Value = serde_json::json!({"adversaries": [{"addresses": 1}], "n": 3});
        let plan = |param: &str| SweepPlan::new(vec![param.parse().unwrap()], 1, 1).unwrap();
        let t = scenario_at(&s, &plan("adversaries.0.addresses=100"), 0).unwrap();
        assert_eq!(t["adversaries"][0]["addresses"], 100);
        let t = scenario_at(&s, &plan("network.latency=60ms"), 0).unwrap();
        assert_eq!(t["network"]["latency"], "60ms");
        let err = scenario_at(&s, &plan("adversaries.3.addresses=1"), 0).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("sweep: --param adversaries.3.addresses=1:"),
            "{err}"
        );
        assert!(scenario_at(&s, &plan("n.deeper=1"), 0).is_err());
    }
}
