//! What a swarm measures: per operation, latency histograms (HdrHistogram, from the
//! intended send time) and outcomes; per second of the run, throughput, latency and errors
//! for the chart; and the live figures the progress display shows.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, up to a minute, at 3 significant digits.
const HIGHEST_US: u64 = 60_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_US, 3).expect("valid histogram bounds")
}

/// How one operation ended, after the bot's retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 200 and OK.
    Ok,
    /// Refused by a game rule (200 with a game error code): the bot's knowledge was stale,
    /// e.g. a friend's request box filled meanwhile. Counted, not an error.
    Refused { code: i32 },
    /// A server or protocol error that retries did not cure (5xx, a transport failure, an
    /// unexpected 4xx such as a malformed request).
    Error { status: u16, code: i32 },
}

/// One operation's figures.
#[derive(Debug, Clone)]
pub struct OperationStats {
    pub latency_us: Histogram<u64>,
    pub ok: u64,
    pub refused: u64,
    pub errors: u64,
}

impl Default for OperationStats {
    fn default() -> Self {
        Self { latency_us: histogram(), ok: 0, refused: 0, errors: 0 }
    }
}

/// One second of the run.
#[derive(Debug, Clone)]
pub struct Second {
    pub latency_us: Histogram<u64>,
    pub errors: u64,
    /// Requests sent again in this second (the answer that made the bot do it is in
    /// [`Snapshot::resent_after`]).
    pub resent: u64,
}

impl Default for Second {
    fn default() -> Self {
        Self { latency_us: histogram(), errors: 0, resent: 0 }
    }
}

#[derive(Debug, Default)]
struct Tables {
    operations: BTreeMap<&'static str, OperationStats>,
    /// Errors by HTTP status (0: no answer) and by error code name.
    by_status: BTreeMap<u16, u64>,
    by_code: BTreeMap<i32, u64>,
    refusals_by_code: BTreeMap<i32, u64>,
    resent_after: BTreeMap<(u16, i32), u64>,
    seconds: Vec<Second>,
    all: Option<Histogram<u64>>,
}

/// Shared by every bot of a swarm.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    tables: Mutex<Tables>,
    /// Live counters for the progress display.
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    pub retries: AtomicU64,
    pub bots_up: AtomicU64,
    /// Bots whose start (register, login, first readings) is over, played or not, and when
    /// the last of them ended, in milliseconds since the run started.
    pub starts_done: AtomicU64,
    last_start_ms: AtomicU64,
}

/// A copy of the figures at the end of a run.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub elapsed: Duration,
    pub operations: BTreeMap<&'static str, OperationStats>,
    pub errors_by_status: BTreeMap<u16, u64>,
    pub errors_by_code: BTreeMap<i32, u64>,
    pub refusals_by_code: BTreeMap<i32, u64>,
    /// Every answer that made a bot send a request again, by (HTTP status, error code);
    /// status 0 is no answer (code UNAVAILABLE: not connected, INTERNAL: the answer never
    /// came). An operation that succeeded in the end counts here, not in the errors.
    pub resent_after: BTreeMap<(u16, i32), u64>,
    pub seconds: Vec<Second>,
    pub retries: u64,
    /// When the last bot's start was over.
    pub starts_over: Duration,
}

impl Stats {
    pub fn new(started: Instant) -> Self {
        Self {
            started,
            tables: Mutex::new(Tables::default()),
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            bots_up: AtomicU64::new(0),
            starts_done: AtomicU64::new(0),
            last_start_ms: AtomicU64::new(0),
        }
    }

    /// Notes that a bot's start is over.
    pub fn start_done(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.last_start_ms.fetch_max(ms, Ordering::Relaxed);
        self.starts_done.fetch_add(1, Ordering::Relaxed);
    }

    /// When the run started.
    pub fn started(&self) -> Instant {
        self.started
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        // A bot that panicked while recording leaves figures that are still counts.
        self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records an operation that was meant to be sent at `intended` and ended now.
    pub fn record(&self, operation: &'static str, intended: Instant, outcome: Outcome) {
        let now = Instant::now();
        let us = (now.saturating_duration_since(intended).as_micros() as u64).clamp(1, HIGHEST_US);
        let second = now.saturating_duration_since(self.started).as_secs() as usize;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut t = self.tables();
        let op = t.operations.entry(operation).or_default();
        let _ = op.latency_us.record(us);
        match outcome {
            Outcome::Ok => op.ok += 1,
            Outcome::Refused { code } => {
                op.refused += 1;
                *t.refusals_by_code.entry(code).or_default() += 1;
            }
            Outcome::Error { status, code } => {
                op.errors += 1;
                self.errors.fetch_add(1, Ordering::Relaxed);
                *t.by_status.entry(status).or_default() += 1;
                *t.by_code.entry(code).or_default() += 1;
            }
        }
        if t.seconds.len() <= second {
            t.seconds.resize_with(second + 1, Second::default);
        }
        let s = &mut t.seconds[second];
        let _ = s.latency_us.record(us);
        if matches!(outcome, Outcome::Error { .. }) {
            s.errors += 1;
        }
        let _ = t.all.get_or_insert_with(histogram).record(us);
    }

    /// Records that a request is sent again now because its last send ended with `status`
    /// and `code` (see [`Snapshot::resent_after`]).
    pub fn resend(&self, status: u16, code: i32) {
        let second = self.started.elapsed().as_secs() as usize;
        self.retries.fetch_add(1, Ordering::Relaxed);
        let mut t = self.tables();
        *t.resent_after.entry((status, code)).or_default() += 1;
        if t.seconds.len() <= second {
            t.seconds.resize_with(second + 1, Second::default);
        }
        t.seconds[second].resent += 1;
    }

    /// The 99th percentile so far, in milliseconds.
    pub fn p99_ms(&self) -> f64 {
        self.tables().all.as_ref().map_or(0.0, |h| h.value_at_quantile(0.99) as f64 / 1000.0)
    }

    /// The figures now.
    pub fn snapshot(&self) -> Snapshot {
        let t = self.tables();
        Snapshot {
            elapsed: self.started.elapsed(),
            operations: t.operations.clone(),
            errors_by_status: t.by_status.clone(),
            errors_by_code: t.by_code.clone(),
            refusals_by_code: t.refusals_by_code.clone(),
            resent_after: t.resent_after.clone(),
            seconds: t.seconds.clone(),
            retries: self.retries.load(Ordering::Relaxed),
            starts_over: Duration::from_millis(self.last_start_ms.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_counted_where_they_belong() {
        let stats = Stats::new(Instant::now());
        let t = Instant::now();
        stats.record("summon", t, Outcome::Ok);
        stats.record("summon", t, Outcome::Refused { code: 30 });
        stats.record("battle", t, Outcome::Error { status: 500, code: 7 });
        let s = stats.snapshot();
        let summon = &s.operations["summon"];
        assert_eq!((summon.ok, summon.refused, summon.errors), (1, 1, 0));
        assert_eq!(s.operations["battle"].errors, 1);
        assert_eq!(s.errors_by_status.get(&500), Some(&1));
        assert_eq!(s.refusals_by_code.get(&30), Some(&1));
        assert_eq!(s.seconds.iter().map(|x| x.latency_us.len()).sum::<u64>(), 3);
        assert_eq!(s.seconds.iter().map(|x| x.errors).sum::<u64>(), 1);
    }

    #[test]
    fn each_resend_is_counted_by_the_answer_that_caused_it() {
        let stats = Stats::new(Instant::now());
        stats.resend(503, 12);
        stats.resend(503, 12);
        stats.resend(0, 2);
        let s = stats.snapshot();
        assert_eq!(s.retries, 3);
        assert_eq!(s.resent_after.get(&(503, 12)), Some(&2));
        assert_eq!(s.resent_after.get(&(0, 2)), Some(&1));
        assert_eq!(s.seconds.iter().map(|x| x.resent).sum::<u64>(), 3);
    }

    #[test]
    fn latency_counts_from_the_intended_send_time() {
        let stats = Stats::new(Instant::now());
        let intended = Instant::now() - Duration::from_millis(250);
        stats.record("get_user", intended, Outcome::Ok);
        // At the histogram's precision (3 significant digits).
        assert!(stats.snapshot().operations["get_user"].latency_us.min() >= 249_000);
    }
}
