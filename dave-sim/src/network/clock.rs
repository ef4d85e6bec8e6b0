//! Per-node clocks: `local = t + offset + t × drift_ppm / 10^6`, never below 0.
//!
//! Nodes see only their local time; the engine converts their deadlines back to virtual time,
//! rounding up so a node is never woken before its own deadline.

/// One node's clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    /// Offset in µs (may be negative).
    pub offset_us: i64,
    /// Drift in parts per million (may be negative).
    pub drift_ppm: i32,
}

impl Clock {
    /// Local time (µs) at virtual time `t`.
    pub fn local(&self, t: u64) -> u64 {
        let t = i128::from(t);
        let local = t + i128::from(self.offset_us) + t * i128::from(self.drift_ppm) / 1_000_000;
        local.clamp(0, i128::from(u64::MAX)) as u64
    }

    /// Earliest virtual time at which the local clock reads at least `local`.
    pub fn virtual_at(&self, local: u64) -> u64 {
        if *self == Clock::default() {
            return local;
        }
        let scaled = (i128::from(local) - i128::from(self.offset_us)) * 1_000_000;
        let rate = 1_000_000 + i128::from(self.drift_ppm);
        let mut t = if scaled <= 0 {
            0
        } else {
            (scaled + rate - 1) / rate
        }
        .clamp(0, i128::from(u64::MAX)) as u64;
        // Integer rounding in `local` can leave us a microsecond or two short; step forward.
        while self.local(t) < local && t < u64::MAX {
            t += 1;
        }
        // And step back while an earlier time already reads `local`.
        while t > 0 && self.local(t - 1) >= local {
            t -= 1;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_is_the_earliest_time_reaching_the_deadline() {
        for clock in [
            Clock {
                offset_us: 1_500_000,
                drift_ppm: 50,
            },
            Clock {
                offset_us: -700_000,
                drift_ppm: -80,
            },
            Clock {
                offset_us: 0,
                drift_ppm: 0,
            },
        ] {
            for local in [0u64, 1, 999_999, 5_000_000, 123_456_789_012] {
                let t = clock.virtual_at(local);
                assert!(clock.local(t) >= local, "{clock:?} {local}");
                assert!(t == 0 || clock.local(t - 1) < local, "{clock:?} {local}");
            }
        }
    }
}
