//! The wall clock as the actors see it, behind a trait so that tests can move time by hand
//! (session expiry and passivation are decided on this clock, never on `Instant`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// The current time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to; starts at the last noon (UTC) before the system
/// time.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

const DAY_MS: i64 = 86_400_000;

impl ManualClock {
    /// A manual clock at the last noon (UTC) before now: within a day of the real time, and
    /// at a fixed hour, so that what tests do by the hour of day (a game's daily reset) does
    /// not depend on when they run.
    pub fn new() -> Self {
        let now = SystemClock.now_ms();
        let noon = now - now.rem_euclid(DAY_MS) + DAY_MS / 2;
        Self::starting_at(if noon > now { noon - DAY_MS } else { noon })
    }

    /// A manual clock reading `ms` (milliseconds since the Unix epoch).
    pub fn starting_at(ms: i64) -> Self {
        Self(AtomicI64::new(ms))
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
