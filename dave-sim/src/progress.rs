//! Progress on stderr while a run or a sweep works (docs/simulator.md §"Progress output").
//!
//! On a terminal: an indicatif bar. Otherwise (Slurm, CI, `2> log`): one plain line every
//! `--progress-every` seconds of wall clock, saying how far the run got, how fast it goes and
//! how long it should still take, so a batch job's log shows it is alive. `--quiet` silences
//! both.
//!
//! Only stderr sees the wall clock: the reporter is handed the virtual time and event count the
//! simulation reached and never hands anything back, so results stay a pure function of
//! (scenario, seed).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wall-clock seconds between two plain progress lines, unless `--progress-every` says otherwise.
pub const DEFAULT_EVERY: &str = "10";

/// What a run counts its progress in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds of virtual time (`dave-sim run`), with events per wall-clock second.
    VirtualSeconds,
    /// Finished runs (`dave-sim sweep`).
    Runs,
}

/// Where progress goes: nowhere, a bar, or plain lines.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Off,
    Bar(indicatif::ProgressBar),
    Lines(Mutex<Lines>),
}

#[derive(Debug)]
struct Lines {
    unit: Unit,
    total: u64,
    every: Duration,
    started: Instant,
    next: Instant,
}

impl Progress {
    /// Silent when `quiet`; a bar when stderr is a terminal; plain lines every `every` otherwise.
    pub fn new(quiet: bool, every: Duration, total: u64, unit: Unit) -> Self {
        let mode = if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Bar(bar(total, unit))
        } else {
            let started = Instant::now();
            Mode::Lines(Mutex::new(Lines {
                unit,
                total,
                every,
                started,
                next: started + every,
            }))
        };
        Progress { mode }
    }

    /// No output at all, for runs inside a command that reports its own progress.
    pub fn off() -> Self {
        Progress { mode: Mode::Off }
    }

    /// Reports that `done` of `total` units are reached, after `events` simulation events (runs
    /// pass their event count; sweeps pass `None`).
    pub fn update(&self, done: u64, events: Option<u64>) {
        match &self.mode {
            Mode::Off => {}
            Mode::Bar(bar) => {
                bar.set_position(done);
                if let Some(events) = events {
                    let rate = events as f64 / bar.elapsed().as_secs_f64().max(1e-9);
                    bar.set_message(format!("{rate:.0} events/s"));
                }
            }
            Mode::Lines(lines) => {
                let Ok(mut lines) = lines.lock() else { return };
                let now = Instant::now();
                if now < lines.next {
                    return;
                }
                lines.next = now + lines.every;
                let text = line(lines.unit, done, lines.total, events, now - lines.started);
                // Progress is advisory: a closed stderr must not stop the run.
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
        }
    }

    /// Removes the bar; plain lines need no closing.
    pub fn finish(self) {
        if let Mode::Bar(bar) = self.mode {
            bar.finish_and_clear();
        }
    }
}

fn bar(total: u64, unit: Unit) -> indicatif::ProgressBar {
    let template = match unit {
        Unit::VirtualSeconds => "{bar:40} {pos}/{len} s virtual  {msg}",
        Unit::Runs => "{bar:40} {pos}/{len} runs  {elapsed} elapsed, ~{eta} left",
    };
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// One plain progress line, e.g. `progress: 120/300 s virtual (40.0 %), 2100000 events/s,
/// 52 s elapsed, ~78 s left`. The estimate assumes the rest goes as fast as what is done.
pub fn line(unit: Unit, done: u64, total: u64, events: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let fraction = if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).min(1.0)
    };
    let mut text = match unit {
        Unit::VirtualSeconds => format!("progress: {done}/{total} s virtual"),
        Unit::Runs => format!("progress: {done}/{total} runs"),
    };
    text += &format!(" ({:.1} %)", fraction * 100.0);
    match (unit, events) {
        (Unit::VirtualSeconds, Some(events)) => {
            text += &format!(", {:.0} events/s", events as f64 / secs.max(1e-9));
        }
        (Unit::Runs, _) => text += &format!(", {:.2} runs/s", done as f64 / secs.max(1e-9)),
        (Unit::VirtualSeconds, None) => {}
    }
    text += &format!(", {secs:.0} s elapsed");
    if fraction > 0.0 {
        text += &format!(", ~{:.0} s left", secs * (1.0 - fraction) / fraction);
    } else {
        text += ", time left unknown";
    }
    text
}

/// Parses `--progress-every`: seconds, a finite number ≥ 0 (0 prints at every update).
pub fn parse_every(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!(
            "`{s}` must be a finite number of seconds, 0 or more"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_line_names_virtual_time_rate_and_time_left() {
        let l = line(
            Unit::VirtualSeconds,
            120,
            300,
            Some(1_000_000),
            Duration::from_secs(50),
        );
        assert_eq!(
            l,
            "progress: 120/300 s virtual (40.0 %), 20000 events/s, 50 s elapsed, ~75 s left"
        );
    }

    #[test]
    fn a_sweep_line_counts_runs() {
        let l = line(Unit::Runs, 10, 40, None, Duration::from_secs(20));
        assert_eq!(
            l,
            "progress: 10/40 runs (25.0 %), 0.50 runs/s, 20 s elapsed, ~60 s left"
        );
    }

    #[test]
    fn nothing_done_has_no_estimate_and_overshoot_is_clamped() {
        let l = line(Unit::Runs, 0, 4, None, Duration::from_secs(3));
        assert!(l.ends_with("time left unknown"), "{l}");
        let l = line(
            Unit::VirtualSeconds,
            310,
            300,
            Some(5),
            Duration::from_secs(1),
        );
        assert!(l.contains("(100.0 %)") && l.ends_with("~0 s left"), "{l}");
    }

    #[test]
    fn every_rejects_negative_and_non_numbers() {
        assert_eq!(parse_every("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_every("0"), Ok(Duration::ZERO));
        assert!(parse_every("-1").is_err());
        assert!(parse_every("inf").is_err());
        assert!(parse_every("soon").is_err());
    }
}
