//! The driver's clock: Unix-epoch microseconds as a [`dave_core::time::Time`] that never goes
//! backwards.
//!
//! Decision: the node reads the system clock once, at start, and advances it with the monotonic
//! clock. Record times and clock-skew checks need Unix time (§3), while the core's timers need a
//! clock that never jumps back (an NTP step backwards would otherwise stall every timer until the
//! clock caught up). The cost is that a long-running node drifts with its monotonic clock rather
//! than following later wall-clock corrections; nodes are restarted far more often than that drift
//! matters against MAX_CLOCK_SKEW.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use dave_core::time::Time;

/// Unix-anchored monotonic clock.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    anchor_unix_micros: u64,
    anchor: Instant,
}

impl Clock {
    /// A clock anchored at the system time now.
    pub fn new() -> Self {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Clock {
            anchor_unix_micros: unix,
            anchor: Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> Time {
        self.at(Instant::now())
    }

    /// The [`Time`] of a monotonic instant.
    pub fn at(&self, instant: Instant) -> Time {
        let elapsed = instant.saturating_duration_since(self.anchor);
        Time::from_micros(
            self.anchor_unix_micros
                .saturating_add(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)),
        )
    }

    /// The monotonic instant of a [`Time`] (now, if it is already past).
    pub fn instant_of(&self, time: Time) -> Instant {
        let micros = time.as_micros().saturating_sub(self.anchor_unix_micros);
        self.anchor + std::time::Duration::from_micros(micros)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn time_is_unix_microseconds_and_round_trips_through_instants() {
        let clock = Clock::new();
        let now = clock.now();
        // After 2020-01-01 and before 2100: it is Unix time in microseconds.
        assert!(now.as_micros() > 1_577_836_800_000_000);
        assert!(now.as_micros() < 4_102_444_800_000_000);
        let later = Instant::now() + Duration::from_millis(1500);
        let back = clock.instant_of(clock.at(later));
        // Time has microsecond resolution: the round trip loses less than one microsecond.
        assert!(later.duration_since(back) < Duration::from_micros(1));
        assert!(clock.now() >= now);
    }
}
