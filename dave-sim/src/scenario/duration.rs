//! Durations in scenario files: `"90s"`, `"250ms"`, `"10m"`, `"1.5h"`, `"100us"`, `"0"`.
//!
//! docs/simulator.md §"Scenario file" fixes the string form. Parsing is exact decimal arithmetic (no
//! floating point), so `"0.1s"` is exactly 100 000 µs on every machine.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration with microsecond resolution, written as a number and a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// The duration in microseconds.
    pub fn as_micros(self) -> u64 {
        self.0
    }

    /// The duration as a `std::time::Duration`.
    pub fn as_std(self) -> Duration {
        Duration::from_micros(self.0)
    }

    /// Builds a duration from seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000)
    }

    /// Builds a duration from milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000)
    }
}

/// Units accepted after the number, with their length in microseconds.
const UNITS: &[(&str, u64)] = &[
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("m", 60_000_000),
    ("h", 3_600_000_000),
    ("d", 86_400_000_000),
];

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The string has no unit (only `"0"` may omit it).
    #[error("duration {0:?} needs a unit: one of us, ms, s, m, h, d (e.g. \"90s\", \"250ms\")")]
    MissingUnit(String),
    /// The unit is not one of the known ones.
    #[error("duration {0:?} has an unknown unit: use us, ms, s, m, h or d")]
    UnknownUnit(String),
    /// The value is negative: durations count forward from the start of the run.
    #[error("duration {0:?} is negative: durations are zero or more (e.g. \"0s\", \"90s\")")]
    Negative(String),
    /// The number part is not a plain non-negative decimal.
    #[error("duration {0:?} must start with a non-negative decimal number (e.g. \"1.5s\")")]
    BadNumber(String),
    /// The value is finer than a microsecond or too large.
    #[error("duration {0:?} is out of range (resolution 1us, at most about 584 000 years)")]
    OutOfRange(String),
}

impl std::str::FromStr for SimDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        if s == "0" {
            return Ok(SimDuration(0));
        }
        if s.starts_with('-') {
            return Err(DurationError::Negative(text.to_string()));
        }
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| DurationError::MissingUnit(text.to_string()))?;
        let (number, unit) = s.split_at(split);
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| DurationError::UnknownUnit(text.to_string()))?;
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !digits_ok(int_part) || !digits_ok(frac_part) {
            return Err(DurationError::BadNumber(text.to_string()));
        }
        if number.ends_with('.') {
            return Err(DurationError::BadNumber(text.to_string()));
        }
        let out_of_range = || DurationError::OutOfRange(text.to_string());
        let int: u64 = int_part.parse().map_err(|_| out_of_range())?;
        let mut micros = int.checked_mul(scale).ok_or_else(out_of_range)?;
        // Each fractional digit is worth scale / 10^k; it must land on a whole microsecond.
        let mut place = scale;
        for digit in frac_part.bytes() {
            let d = u64::from(digit - b'0');
            if place % 10 != 0 {
                if d != 0 {
                    return Err(out_of_range());
                }
                continue;
            }
            place /= 10;
            micros = micros.checked_add(d * place).ok_or_else(out_of_range)?;
        }
        Ok(SimDuration(micros))
    }
}

impl fmt::Display for SimDuration {
    /// Prints the largest unit that represents the value exactly, so values round-trip.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let (name, scale) = UNITS
            .iter()
            .rev()
            .find(|(_, scale)| self.0 % scale == 0)
            .copied()
            .unwrap_or(("us", 1));
        write!(f, "{}{}", self.0 / scale, name)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration string such as \"90s\", \"250ms\" or \"10m\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SimDuration, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for SimDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(0|[0-9]+(\\.[0-9]+)?(us|ms|s|m|h|d))$",
            "description": "A duration: a decimal number and a unit (us, ms, s, m, h, d), e.g. \"90s\", \"250ms\", \"10m\"."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_fractions_exactly() {
        let p = |s: &str| s.parse::<SimDuration>().map(|d| d.0);
        assert_eq!(p("90s"), Ok(90_000_000));
        assert_eq!(p("250ms"), Ok(250_000));
        assert_eq!(p("10m"), Ok(600_000_000));
        assert_eq!(p("1.5s"), Ok(1_500_000));
        assert_eq!(p("0.001ms"), Ok(1));
        assert_eq!(p("100us"), Ok(100));
        assert_eq!(p("0"), Ok(0));
        assert_eq!(p("2h"), Ok(7_200_000_000));
    }

    #[test]
    fn refuses_malformed_durations() {
        let p = |s: &str| s.parse::<SimDuration>();
        assert!(matches!(p("90"), Err(DurationError::MissingUnit(_))));
        assert!(matches!(p("90 sec"), Err(DurationError::UnknownUnit(_))));
        assert!(matches!(p("-5s"), Err(DurationError::Negative(_))));
        assert!(matches!(p("-0.5ms"), Err(DurationError::Negative(_))));
        assert!(matches!(p(".5s"), Err(DurationError::BadNumber(_))));
        assert!(matches!(p("5.s"), Err(DurationError::BadNumber(_))));
        assert!(matches!(p("0.0001ms"), Err(DurationError::OutOfRange(_))));
        assert!(matches!(
            p("99999999999999999999s"),
            Err(DurationError::OutOfRange(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for s in ["90s", "250ms", "10m", "1h", "7us", "1500ms", "0s"] {
            let d: SimDuration = s.parse().unwrap();
            assert_eq!(d.to_string().parse::<SimDuration>().unwrap(), d);
        }
        assert_eq!(SimDuration(1_500_000).to_string(), "1500ms");
    }
}
