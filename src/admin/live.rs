//! The server's recent traffic, for the live view: every `admin.live_sample_ms` the sampler
//! reads this process's request counters and latency histograms (`crate::metrics`) and
//! keeps, for the interval since the last reading, each operation's requests and errors per
//! second and its p50 and p99 latency, for the last 15 minutes (a ring of at most
//! [`WINDOW_MS`] / the interval points). An error is an answer other than 200: a transport
//! error, 4xx or 5xx (a game's refusal is a 200 carrying its code). Percentiles are read
//! from the histogram's buckets, linearly within the bucket that holds them.
//!
//! `GET /admin/live` answers it as JSON; the page draws it (`admin/page/charts.rs`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::core::Collector;

use super::error::AdminResult;
use super::{AdminState, authorize};

/// How far back the live view reaches.
pub const WINDOW_MS: i64 = 15 * 60 * 1_000;

/// One operation's traffic over one interval.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OpPoint {
    /// Requests answered in the interval, and how many of them were errors.
    pub requests: u64,
    pub errors: u64,
    pub requests_per_s: f64,
    pub errors_per_s: f64,
    /// Absent when no request finished in the interval.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The traffic of one interval, ending at `at_ms`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Point {
    pub at_ms: i64,
    pub total: OpPoint,
    /// The operations that had requests in the interval.
    pub ops: BTreeMap<String, OpPoint>,
}

/// What `GET /admin/live` answers: the points, oldest first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LiveView {
    pub every_ms: u64,
    pub window_ms: i64,
    pub points: Vec<Point>,
}

/// An operation's counters as read at one moment (all since the process started).
#[derive(Debug, Clone, Default)]
struct Counts {
    requests: u64,
    errors: u64,
    /// The histogram's cumulative bucket counts, by upper bound (seconds).
    buckets: Vec<(f64, u64)>,
}

struct Reading {
    at: Instant,
    ops: HashMap<String, Counts>,
}

#[derive(Default)]
struct Kept {
    last: Option<Reading>,
    points: VecDeque<Point>,
}

/// The recent traffic, sampled by [`Live::sample`].
pub struct Live {
    every: Duration,
    keep: usize,
    kept: Mutex<Kept>,
}

impl Live {
    /// Traffic sampled every `every`, kept for [`WINDOW_MS`].
    pub fn new(every: Duration) -> Self {
        let every_ms = every.as_millis().max(1) as i64;
        Self { every, keep: (WINDOW_MS / every_ms).max(1) as usize, kept: Mutex::default() }
    }

    /// How often it should be sampled.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// Reads the metrics now and keeps the interval since the last reading as a point
    /// stamped `now_ms` (the first reading only starts the count).
    pub fn sample(&self, now_ms: i64) {
        let reading = Reading { at: Instant::now(), ops: read_metrics() };
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(last) = &kept.last {
            let point = interval(last, &reading, now_ms);
            kept.points.push_back(point);
            while kept.points.len() > self.keep {
                kept.points.pop_front();
            }
        }
        kept.last = Some(reading);
    }

    /// The points kept, oldest first.
    pub fn view(&self) -> LiveView {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        LiveView {
            every_ms: self.every.as_millis() as u64,
            window_ms: WINDOW_MS,
            points: kept.points.iter().cloned().collect(),
        }
    }
}

/// The request counters and latency histograms of every operation now.
fn read_metrics() -> HashMap<String, Counts> {
    let metrics = &*crate::metrics::METRICS;
    let mut ops: HashMap<String, Counts> = HashMap::new();
    for family in metrics.requests.collect() {
        for metric in family.get_metric() {
            let label = |name: &str| metric.get_label().iter().find(|l| l.name() == name).map(|l| l.value().to_owned());
            let (Some(op), Some(status)) = (label("op"), label("status")) else { continue };
            let count = metric.get_counter().get_value() as u64;
            let counts = ops.entry(op).or_default();
            counts.requests += count;
            if status != "200" {
                counts.errors += count;
            }
        }
    }
    for family in metrics.request_seconds.collect() {
        for metric in family.get_metric() {
            let Some(op) = metric.get_label().iter().find(|l| l.name() == "op").map(|l| l.value().to_owned()) else {
                continue;
            };
            let histogram = metric.get_histogram();
            ops.entry(op).or_default().buckets =
                histogram.get_bucket().iter().map(|b| (b.upper_bound(), b.cumulative_count())).collect();
        }
    }
    ops
}

/// The traffic between readings `from` and `to`.
fn interval(from: &Reading, to: &Reading, at_ms: i64) -> Point {
    let seconds = to.at.duration_since(from.at).as_secs_f64().max(1e-3);
    let mut ops = BTreeMap::new();
    let (mut requests, mut errors) = (0, 0);
    let mut total_buckets: Vec<(f64, u64)> = Vec::new();
    for (op, now) in &to.ops {
        let before = from.ops.get(op).cloned().unwrap_or_default();
        let done = now.requests.saturating_sub(before.requests);
        if done == 0 {
            continue;
        }
        let failed = now.errors.saturating_sub(before.errors);
        let buckets: Vec<(f64, u64)> = now
            .buckets
            .iter()
            .enumerate()
            .map(|(i, (bound, count))| (*bound, count.saturating_sub(before.buckets.get(i).map_or(0, |b| b.1))))
            .collect();
        if total_buckets.is_empty() {
            total_buckets = buckets.iter().map(|(b, _)| (*b, 0)).collect();
        }
        for (total, (_, count)) in total_buckets.iter_mut().zip(&buckets) {
            total.1 += count;
        }
        (requests, errors) = (requests + done, errors + failed);
        ops.insert(op.clone(), op_point(done, failed, &buckets, seconds));
    }
    Point { at_ms, total: op_point(requests, errors, &total_buckets, seconds), ops }
}

fn op_point(requests: u64, errors: u64, buckets: &[(f64, u64)], seconds: f64) -> OpPoint {
    OpPoint {
        requests,
        errors,
        requests_per_s: requests as f64 / seconds,
        errors_per_s: errors as f64 / seconds,
        p50_ms: quantile(buckets, requests, 0.50),
        p99_ms: quantile(buckets, requests, 0.99),
    }
}

/// The `q` quantile in ms of `observed` observations whose cumulative counts by upper bound
/// (seconds) are `buckets`: linear within the bucket that holds it; past the last bound, the
/// last bound (a histogram knows no more).
fn quantile(buckets: &[(f64, u64)], observed: u64, q: f64) -> Option<f64> {
    if observed == 0 {
        return None;
    }
    let rank = q * observed as f64;
    let mut lower = (0.0, 0u64);
    for &(bound, count) in buckets {
        if count as f64 >= rank {
            let within = count.saturating_sub(lower.1).max(1) as f64;
            let share = ((rank - lower.1 as f64) / within).clamp(0.0, 1.0);
            return Some((lower.0 + (bound - lower.0) * share) * 1_000.0);
        }
        lower = (bound, count);
    }
    buckets.last().map(|(bound, _)| bound * 1_000.0)
}

/// `GET /admin/live`.
pub async fn live(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(state.live.view()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_bucket_that_holds_them() {
        // 100 observations: 50 under 1 ms, 40 more under 10 ms, 10 more under 100 ms.
        let buckets = [(0.001, 50), (0.010, 90), (0.100, 100)];
        assert_eq!(quantile(&buckets, 100, 0.5), Some(1.0));
        let p99 = quantile(&buckets, 100, 0.99).unwrap();
        assert!((p99 - 91.0).abs() < 1e-9, "{p99}");
        assert_eq!(quantile(&buckets, 0, 0.5), None);
        // Beyond the last bound: the last bound.
        assert_eq!(quantile(&[(0.001, 1)], 10, 0.99), Some(1.0));
    }

    #[test]
    fn an_interval_counts_what_happened_in_it_and_the_ring_is_bounded() {
        let op = |requests, errors, buckets: Vec<(f64, u64)>| Counts { requests, errors, buckets };
        let at = Instant::now();
        let from = Reading { at, ops: HashMap::from([("explore".to_owned(), op(10, 1, vec![(0.01, 10)]))]) };
        let to = Reading {
            at: at + Duration::from_secs(2),
            ops: HashMap::from([
                ("explore".to_owned(), op(30, 5, vec![(0.01, 30)])),
                ("summon".to_owned(), op(0, 0, vec![(0.01, 0)])),
            ]),
        };
        let point = interval(&from, &to, 7);
        assert_eq!(point.ops.len(), 1, "an operation without requests is left out");
        assert_eq!(point.ops["explore"].requests_per_s, 10.0);
        assert_eq!((point.ops["explore"].requests, point.ops["explore"].errors), (20, 4));
        assert_eq!(point.ops["explore"].errors_per_s, 2.0);
        assert_eq!(point.total.requests_per_s, 10.0);

        let live = Live::new(Duration::from_secs(300));
        for at in 0..10 {
            live.sample(at);
        }
        assert_eq!(live.view().points.len(), 3, "15 minutes of 5-minute points");
    }
}
