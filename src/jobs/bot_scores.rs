//! The `bot_scores` job: scores the users active on the last complete game day from the
//! action logs (`crate::service::bot_scoring`), on one node at a time. A run scores that day
//! again whole, so running it more often than daily only refreshes the same rows.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::jobs::Job;
use crate::service::bot_scoring::BotScoring;

/// Scores yesterday's active users.
pub struct ScoreBots(pub Arc<BotScoring>);

impl Job for ScoreBots {
    fn name(&self) -> &'static str {
        "bot_scores"
    }

    fn unit(&self) -> &'static str {
        "users scored"
    }

    fn run(&self, now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
        let scoring = self.0.clone();
        async move { scoring.run(now_ms).await }.boxed()
    }
}
