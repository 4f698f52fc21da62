//! The `account_deletions` job: erases the accounts whose deletion's grace period ended
//! (`crate::service::deletions::Eraser`). It runs on every node: a user's game rows are
//! erased in the user's actor, on the node that owns the user, so each node's run erases
//! the users it may own and leaves those a live peer owns to that peer's run.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::jobs::Job;
use crate::service::deletions::Eraser;

/// Erases accounts past their grace period.
pub struct EraseAccounts(pub Arc<Eraser>);

impl Job for EraseAccounts {
    fn name(&self) -> &'static str {
        "account_deletions"
    }

    fn unit(&self) -> &'static str {
        "accounts erased"
    }

    fn run(&self, now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
        let eraser = self.0.clone();
        async move { eraser.run(now_ms).await }.boxed()
    }

    fn on_every_node(&self) -> bool {
        true
    }
}
