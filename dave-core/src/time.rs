//! The clock value every input carries (docs/protocol.md §1, §10).
//!
//! The core never reads a clock: the driver passes `now` into every call. In the simulator that is
//! virtual time, in dave-node the Unix epoch. Microsecond resolution lets round-trip times of fast
//! links be measured; record times on the wire are whole milliseconds.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, in microseconds since the driver's epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

/// An optional [`Time`] in 8 bytes instead of 16 (`u64::MAX` stands for none, a time no event
/// happens at): each peer entry keeps three, and the simulator keeps a hundred entries in each of
/// thousands of nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaybeTime(u64);

impl MaybeTime {
    /// No time.
    pub const NONE: MaybeTime = MaybeTime(u64::MAX);

    /// The time `t`.
    pub const fn some(t: Time) -> MaybeTime {
        MaybeTime(t.0)
    }

    /// The time, if any.
    pub const fn get(self) -> Option<Time> {
        if self.0 == u64::MAX {
            None
        } else {
            Some(Time(self.0))
        }
    }
}

impl Time {
    /// The driver's epoch.
    pub const ZERO: Time = Time(0);
    /// The far future: a deadline that never comes.
    pub const MAX: Time = Time(u64::MAX);

    /// A time `micros` microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Time {
        Time(micros)
    }

    /// A time `millis` milliseconds after the epoch (saturating).
    pub const fn from_millis(millis: u64) -> Time {
        Time(millis.saturating_mul(1000))
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole milliseconds since the epoch: the unit of record times on the wire.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1000
    }

    /// Whole milliseconds since the epoch modulo 2^32, for compact timestamps that only ever
    /// measure ages of seconds or minutes (`wrapping_sub` of two gives the age; the wrap comes
    /// every 49.7 days).
    pub const fn wrapping_millis(self) -> u32 {
        (self.0 / 1000) as u32
    }

    /// How long after `earlier` this is, or zero if it is not after it.
    pub fn saturating_duration_since(self, earlier: Time) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

/// Microseconds in a duration, saturating at `u64::MAX` (about 584 000 years).
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Time {
    type Output = Time;
    /// Saturates: a deadline past the end of time is simply never reached.
    fn add(self, rhs: Duration) -> Time {
        Time(self.0.saturating_add(micros(rhs)))
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
    /// Saturates at the epoch.
    fn sub(self, rhs: Duration) -> Time {
        Time(self.0.saturating_sub(micros(rhs)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Time::MAX + Duration::from_secs(1), Time::MAX);
        assert_eq!(Time::ZERO - Duration::from_secs(1), Time::ZERO);
        assert_eq!(
            Time::from_millis(5) + Duration::from_micros(7),
            Time::from_micros(5007)
        );
        assert_eq!(Time::from_millis(u64::MAX), Time::MAX);
    }

    #[test]
    fn duration_since_is_zero_when_earlier_is_later() {
        let a = Time::from_millis(10);
        let b = Time::from_millis(20);
        assert_eq!(b.saturating_duration_since(a), Duration::from_millis(10));
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
        assert_eq!(b.as_millis(), 20);
        assert_eq!(b.as_micros(), 20_000);
    }
}
