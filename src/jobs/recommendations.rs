//! The friend-recommendation buckets' stale entries: a level bucket drops players past the
//! activity window only when someone joins it, so a bucket of a level nobody plays now would
//! keep recommending players long gone until it expires. This job trims every bucket.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::Job;
use crate::cache::Cache;
use crate::game::friends::{ACTIVE_WINDOW_MS, bucket};
use crate::service::catalog::Catalog;

/// Trims the level buckets to the activity window.
pub struct TrimBuckets {
    cache: Arc<dyn Cache>,
    catalog: Arc<Catalog>,
}

impl TrimBuckets {
    pub fn new(cache: Arc<dyn Cache>, catalog: Arc<Catalog>) -> Self {
        Self { cache, catalog }
    }
}

impl Job for TrimBuckets {
    fn name(&self) -> &'static str {
        "recommendations"
    }

    fn unit(&self) -> &'static str {
        "entries removed"
    }

    fn run(&self, now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
        // The buckets of every level the game data in force has (a bucket of levels a newer
        // version dropped expires on its own: nobody is noted there).
        let buckets = (0..=bucket(self.catalog.current().max_level())).collect();
        let trimmed = self.cache.trim_active(buckets, now_ms.saturating_sub(ACTIVE_WINDOW_MS));
        async move { trimmed.await.map_err(|e| e.to_string()) }.boxed()
    }
}
