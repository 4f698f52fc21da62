//! What each shard's group-commit queue holds now, published by its persistence actor for
//! the admin views and `/metrics`: jobs queued and in the batch in flight, the age of the
//! oldest, and the batches committed so far.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The value of `oldest` when no job waits.
const NO_JOB: i64 = i64::MIN;

/// One shard's figures, written by its actor only.
#[derive(Debug)]
pub struct QueueGauge {
    label: String,
    base: Instant,
    queued: AtomicUsize,
    in_batch: AtomicUsize,
    /// Microseconds from `base` to when the oldest job queued (negative: before it);
    /// [`NO_JOB`]: none.
    oldest: AtomicI64,
    batches: AtomicU64,
    jobs: AtomicU64,
    last_batch_size: AtomicUsize,
    last_commit_us: AtomicU64,
}

/// A shard's queue as the views show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueView {
    /// The shard, e.g. `game-1`.
    pub shard: String,
    pub queued: usize,
    pub in_batch: usize,
    /// How long the oldest job queued or in the batch has waited (ms); None when empty.
    pub oldest_job_ms: Option<f64>,
    pub batches: u64,
    pub jobs: u64,
    pub last_batch_size: usize,
    pub last_commit_ms: f64,
}

impl QueueGauge {
    fn new(label: String) -> Self {
        Self {
            label,
            base: Instant::now(),
            queued: AtomicUsize::new(0),
            in_batch: AtomicUsize::new(0),
            oldest: AtomicI64::new(NO_JOB),
            batches: AtomicU64::new(0),
            jobs: AtomicU64::new(0),
            last_batch_size: AtomicUsize::new(0),
            last_commit_us: AtomicU64::new(0),
        }
    }

    /// The queue now holds `queued` jobs, `in_batch` more are being committed, and the
    /// oldest of them all queued at `oldest`.
    pub fn set(&self, queued: usize, in_batch: usize, oldest: Option<Instant>) {
        self.queued.store(queued, Ordering::Relaxed);
        self.in_batch.store(in_batch, Ordering::Relaxed);
        let micros = oldest.map_or(NO_JOB, |at| match at.checked_duration_since(self.base) {
            Some(after) => after.as_micros() as i64,
            None => -(self.base.duration_since(at).as_micros() as i64),
        });
        self.oldest.store(micros, Ordering::Relaxed);
    }

    /// A batch of `size` jobs was decided after `took`.
    pub fn batch_done(&self, size: usize, took: Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.jobs.fetch_add(size as u64, Ordering::Relaxed);
        self.last_batch_size.store(size, Ordering::Relaxed);
        self.last_commit_us.store(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// What the gauge says now.
    pub fn view(&self) -> QueueView {
        let oldest = self.oldest.load(Ordering::Relaxed);
        let oldest_job_ms = (oldest != NO_JOB).then(|| {
            let since_base = Instant::now().saturating_duration_since(self.base).as_micros() as i64;
            (since_base - oldest).max(0) as f64 / 1000.0
        });
        QueueView {
            shard: self.label.clone(),
            queued: self.queued.load(Ordering::Relaxed),
            in_batch: self.in_batch.load(Ordering::Relaxed),
            oldest_job_ms,
            batches: self.batches.load(Ordering::Relaxed),
            jobs: self.jobs.load(Ordering::Relaxed),
            last_batch_size: self.last_batch_size.load(Ordering::Relaxed),
            last_commit_ms: self.last_commit_us.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }
}

/// The gauges of every shard of a store.
#[derive(Debug, Default)]
pub struct QueueGauges {
    gauges: Mutex<Vec<Arc<QueueGauge>>>,
}

impl QueueGauges {
    /// A new gauge for the shard `label`.
    pub fn add(&self, label: String) -> Arc<QueueGauge> {
        let gauge = Arc::new(QueueGauge::new(label));
        self.gauges.lock().unwrap_or_else(|p| p.into_inner()).push(gauge.clone());
        gauge
    }

    /// Every shard's view, by shard name.
    pub fn views(&self) -> Vec<QueueView> {
        let mut views: Vec<QueueView> =
            self.gauges.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|g| g.view()).collect();
        views.sort_by(|a, b| a.shard.cmp(&b.shard));
        views
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gauge_reports_its_oldest_job_and_batches() {
        let gauges = QueueGauges::default();
        let gauge = gauges.add("game-1".into());
        let empty = gauge.view();
        assert_eq!((empty.queued, empty.oldest_job_ms), (0, None));
        let queued_at = Instant::now() - Duration::from_millis(250);
        gauge.set(3, 2, Some(queued_at));
        gauge.batch_done(2, Duration::from_millis(4));
        let view = &gauges.views()[0];
        assert_eq!((view.shard.as_str(), view.queued, view.in_batch), ("game-1", 3, 2));
        assert!(view.oldest_job_ms.is_some_and(|ms| ms >= 250.0), "{view:?}");
        assert_eq!((view.batches, view.jobs, view.last_batch_size), (1, 2, 2));
        assert!((view.last_commit_ms - 4.0).abs() < 0.01);
    }
}
