//! Cache writes that no reply waits for: a session renewal's new expiry, a friend snapshot
//! published after its change committed, a snapshot filled from the database. Each is best
//! effort (the database holds the truth, and the entry is written again at the next
//! renewal or change), so the request answers without waiting for its round trip. Redis's
//! multiplexed connection sends writes of concurrent requests in one batch anyway.
//!
//! [`WriteBehind`] keeps count of the writes in flight so that shutdown and tests can wait
//! for them to settle, and of how many it sent, so benchmarks can tell a round trip a reply
//! waited for from one it did not. It is bounded like every queue here: past
//! [`MAX_IN_FLIGHT`] writes waiting on a slow cache, further ones are dropped (and counted),
//! which costs what a failed write costs and keeps memory flat.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use summoner_actors::UserId;
use tokio::sync::Notify;

use crate::cache::CacheResult;

/// Most writes in flight at once; each ends within the cache's timeout.
pub const MAX_IN_FLIGHT: usize = 10_000;

/// The cache writes sent without a waiting reply.
pub struct WriteBehind {
    in_flight: AtomicUsize,
    limit: usize,
    sent: AtomicU64,
    dropped: AtomicU64,
    settled: Notify,
}

impl Default for WriteBehind {
    fn default() -> Self {
        Self::with_limit(MAX_IN_FLIGHT)
    }
}

/// Decrements the in-flight count when the write ends, however it ends.
struct InFlight(Arc<WriteBehind>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.settled.notify_waiters();
        }
    }
}

impl WriteBehind {
    /// At most `limit` writes in flight.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            limit,
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            settled: Notify::new(),
        }
    }

    /// Sends `write` (what it stores for `user`) in the background; a failure is logged.
    /// Must be called inside a tokio runtime.
    pub fn send(self: &Arc<Self>, what: &'static str, user: UserId, write: BoxFuture<'static, CacheResult<()>>) {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                user.id = user,
                limit = self.limit,
                "{what} not written to the cache: too many writes in flight"
            );
            return;
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        let guard = InFlight(self.clone());
        tokio::spawn(async move {
            let _guard = guard;
            if let Err(e) = write.await {
                tracing::warn!(user.id = user, error = %e, "{what} not written to the cache; written again at the next change");
            }
        });
    }

    /// Waits until no write sent so far is in flight.
    pub async fn settled(&self) {
        loop {
            let notified = self.settled.notified();
            tokio::pin!(notified);
            // Registered before the check, so a write ending in between still wakes us.
            notified.as_mut().enable();
            if self.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Writes sent so far (each is one round trip to one shard).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Writes dropped so far because too many were in flight.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use tokio::sync::oneshot;

    use super::*;
    use crate::cache::CacheError;

    #[tokio::test]
    async fn settles_once_every_write_has_ended_whether_it_failed_or_not() {
        let behind = Arc::new(WriteBehind::default());
        behind.settled().await;
        let (release_ok, ok) = oneshot::channel::<()>();
        let (release_err, err) = oneshot::channel::<()>();
        behind.send("a test write", 1, async move { ok.await.map_err(|e| CacheError::Timeout(e.to_string())) }.boxed());
        behind.send(
            "a failing write",
            2,
            async move {
                let _ = err.await;
                Err(CacheError::Unavailable("a test".into(), "refused".into()))
            }
            .boxed(),
        );
        assert_eq!(behind.sent(), 2);
        let mut settled = Box::pin(behind.settled());
        assert!((&mut settled).now_or_never().is_none(), "two writes in flight");
        release_ok.send(()).unwrap();
        tokio::task::yield_now().await;
        assert!((&mut settled).now_or_never().is_none(), "one write in flight");
        release_err.send(()).unwrap();
        settled.await;
    }

    #[tokio::test]
    async fn writes_past_the_limit_are_dropped_and_counted_not_queued() {
        let behind = Arc::new(WriteBehind::with_limit(1));
        let (release, held) = oneshot::channel::<()>();
        behind.send(
            "a held write",
            1,
            async move { held.await.map_err(|e| CacheError::Timeout(e.to_string())) }.boxed(),
        );
        let (ran, was_run) = oneshot::channel::<()>();
        behind.send(
            "a write past the limit",
            2,
            async move {
                let _ = ran.send(());
                Ok(())
            }
            .boxed(),
        );
        assert_eq!((behind.sent(), behind.dropped()), (1, 1));
        release.send(()).unwrap();
        behind.settled().await;
        assert!(was_run.await.is_err(), "the dropped write never ran");
        // Room again once the held write ended.
        behind.send("a later write", 3, async { Ok(()) }.boxed());
        behind.settled().await;
        assert_eq!((behind.sent(), behind.dropped()), (2, 1));
    }
}
