//! Small validated value types used by the scenario format.
//!
//! Each checks its range while it is deserialized, so serde_json reports a bad value with the
//! JSON path, line and column where it occurs (docs/simulator.md §"Scenario file": every error names the
//! file, the JSON path, the line and column, and the problem).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A probability in `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize)]
#[serde(transparent)]
pub struct Probability(pub f64);

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let p = f64::deserialize(deserializer)?;
        if !(0.0..=1.0).contains(&p) {
            return Err(serde::de::Error::custom(format!(
                "probability {p} is out of range: it must be between 0 and 1"
            )));
        }
        Ok(Probability(p))
    }
}

impl JsonSchema for Probability {
    fn schema_name() -> Cow<'static, str> {
        "Probability".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number", "minimum": 0.0, "maximum": 1.0 })
    }
}

/// A strictly positive, finite real number (distribution shapes, scales, rates).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Positive(pub f64);

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(deserializer)?;
        if !(v.is_finite() && v > 0.0) {
            return Err(serde::de::Error::custom(format!(
                "{v} is out of range: it must be a number greater than 0"
            )));
        }
        Ok(Positive(v))
    }
}

impl JsonSchema for Positive {
    fn schema_name() -> Cow<'static, str> {
        "PositiveNumber".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number", "exclusiveMinimum": 0.0 })
    }
}

/// A comparison against a metric, written `">= 0.99"`, `"<= 3"`, `"> 0"`, `"< 1.5"`, `"== 0"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The comparison.
    pub op: CompareOp,
    /// The right-hand side.
    pub value: f64,
}

/// The comparison of a [`Bound`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `==`
    Eq,
}

impl CompareOp {
    fn symbol(self) -> &'static str {
        match self {
            CompareOp::Ge => ">=",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Lt => "<",
            CompareOp::Eq => "==",
        }
    }
}

impl Bound {
    /// Whether `measured` satisfies the bound. NaN (a metric with no data) never does.
    pub fn holds(&self, measured: f64) -> bool {
        match self.op {
            CompareOp::Ge => measured >= self.value,
            CompareOp::Le => measured <= self.value,
            CompareOp::Gt => measured > self.value,
            CompareOp::Lt => measured < self.value,
            CompareOp::Eq => measured == self.value,
        }
    }
}

impl std::str::FromStr for Bound {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let s = text.trim();
        let ops = [
            (">=", CompareOp::Ge),
            ("<=", CompareOp::Le),
            ("==", CompareOp::Eq),
            (">", CompareOp::Gt),
            ("<", CompareOp::Lt),
        ];
        let problem = || {
            format!(
                "bound {text:?} must be a comparison and a number, e.g. \">= 0.99\", \"<= 3\", \"== 0\""
            )
        };
        let (op, rest) = ops
            .iter()
            .find_map(|(sym, op)| s.strip_prefix(sym).map(|rest| (*op, rest)))
            .ok_or_else(problem)?;
        let value: f64 = rest.trim().parse().map_err(|_| problem())?;
        if !value.is_finite() {
            return Err(problem());
        }
        Ok(Bound { op, value })
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.symbol(), self.value)
    }
}

impl<'de> Deserialize<'de> for Bound {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Bound {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Bound {
    fn schema_name() -> Cow<'static, str> {
        "Bound".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^\\s*(>=|<=|==|>|<)\\s*-?[0-9.eE+-]+\\s*$",
            "description": "A comparison and a number, e.g. \">= 0.99\"."
        })
    }
}

/// A set of node indices: `"0..150"` (half-open range), `"all"`, or a list `[0, 4, 9]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeSet {
    /// Every honest node.
    All,
    /// Indices `start..end`.
    Range(u32, u32),
    /// Explicit indices.
    List(Vec<u32>),
}

impl NodeSet {
    /// The indices, clipped to `count` nodes, ascending and without repeats.
    pub fn indices(&self, count: u32) -> Vec<u32> {
        let mut v: Vec<u32> = match self {
            NodeSet::All => (0..count).collect(),
            NodeSet::Range(a, b) => (*a..(*b).min(count)).collect(),
            NodeSet::List(l) => l.iter().copied().filter(|&i| i < count).collect(),
        };
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The largest index named, to check it against the node count.
    pub fn max_index(&self) -> Option<u32> {
        match self {
            NodeSet::All => None,
            NodeSet::Range(_, b) => b.checked_sub(1),
            NodeSet::List(l) => l.iter().copied().max(),
        }
    }
}

impl<'de> Deserialize<'de> for NodeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = NodeSet;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a node range \"a..b\", \"all\", or a list of node indices")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NodeSet, E> {
                if v == "all" {
                    return Ok(NodeSet::All);
                }
                let bad = || {
                    E::custom(format!(
                        "node set {v:?} must be \"all\" or a range \"a..b\" with a < b"
                    ))
                };
                let (a, b) = v.split_once("..").ok_or_else(bad)?;
                let a: u32 = a.trim().parse().map_err(|_| bad())?;
                let b: u32 = b.trim().parse().map_err(|_| bad())?;
                if a >= b {
                    return Err(bad());
                }
                Ok(NodeSet::Range(a, b))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<NodeSet, A::Error> {
                let mut out = Vec::new();
                while let Some(i) = seq.next_element::<u32>()? {
                    out.push(i);
                }
                Ok(NodeSet::List(out))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for NodeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            NodeSet::All => serializer.serialize_str("all"),
            NodeSet::Range(a, b) => serializer.collect_str(&format_args!("{a}..{b}")),
            NodeSet::List(l) => l.serialize(serializer),
        }
    }
}

impl JsonSchema for NodeSet {
    fn schema_name() -> Cow<'static, str> {
        "NodeSet".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Node indices: \"all\", a half-open range \"a..b\", or a list of indices.",
            "oneOf": [
                { "type": "string", "pattern": "^(all|[0-9]+\\.\\.[0-9]+)$" },
                { "type": "array", "items": { "type": "integer", "minimum": 0 } }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_parse_and_compare() {
        let b: Bound = ">= 0.99".parse().unwrap();
        assert!(b.holds(0.99) && !b.holds(0.98));
        let b: Bound = "<3".parse().unwrap();
        assert!(b.holds(2.0) && !b.holds(3.0));
        assert!(!">= 1".parse::<Bound>().unwrap().holds(f64::NAN));
        assert!("about 0.9".parse::<Bound>().is_err());
        assert!(">= lots".parse::<Bound>().is_err());
    }

    #[test]
    fn node_sets_clip_to_the_population() {
        let s: NodeSet = serde_json::from_str("\"2..5\"").unwrap();
        assert_eq!(s.indices(4), vec![2, 3]);
        let s: NodeSet = serde_json::from_str("[3, 1, 3]").unwrap();
        assert_eq!(s.indices(10), vec![1, 3]);
        assert!(serde_json::from_str::<NodeSet>("\"5..2\"").is_err());
    }
}
