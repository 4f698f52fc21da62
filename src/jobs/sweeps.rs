//! Jobs that delete rows past their time, on every shard: mail expired or claimed a while
//! ago (operators' grants spared), battles started and never finished, action-log rows
//! (and the bot scores read from them) past their retention, and the clan database's results of clan actions kept for retries
//! once no retry can come.
//!
//! What a live user actor still holds of a deleted row is never written back: expired and
//! claimed mail, and expired battles, are rows no request changes again (a battle's row is
//! only ever deleted, and a delete of a row already gone passes).

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::Job;
use crate::config::JobsConfig;
use crate::game::grants::GRANT_KIND;
use crate::storage::db::DbKind;
use crate::storage::tables::{ACTION_LOG, BATTLES, BOT_SCORES, CLAN_OPS, MAIL};
use crate::storage::{Store, Sweep};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// A job made of sweeps computed from the time of the run.
pub struct SweepJob {
    name: &'static str,
    store: Arc<dyn Store>,
    sweeps: Box<dyn Fn(i64) -> Vec<Sweep> + Send + Sync>,
}

impl Job for SweepJob {
    fn name(&self) -> &'static str {
        self.name
    }

    fn unit(&self) -> &'static str {
        "rows deleted"
    }

    fn run(&self, now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
        let (store, sweeps) = (self.store.clone(), (self.sweeps)(now_ms));
        async move {
            let mut deleted = 0;
            for sweep in sweeps {
                deleted += store.sweep(sweep).await.map_err(|e| e.to_string())?;
            }
            Ok(deleted)
        }
        .boxed()
    }
}

/// Mail expired, or claimed, more than `mail_keep_days` ago; operators' grants kept.
pub fn expired_mail(store: Arc<dyn Store>, config: &JobsConfig) -> SweepJob {
    let (keep, batch) = (i64::from(config.mail_keep_days) * DAY_MS, config.batch_rows);
    let sweep = move |now: i64, column| Sweep {
        on: DbKind::Game,
        table: &MAIL,
        column,
        before_ms: now.saturating_sub(keep),
        spare: Some(("kind", GRANT_KIND)),
        batch,
    };
    SweepJob {
        name: "expired_mail",
        store,
        sweeps: Box::new(move |now| vec![sweep(now, "expires_at_ms"), sweep(now, "claimed_at_ms")]),
    }
}

/// Battles whose time ran out more than `battle_keep_hours` ago, never finished.
pub fn stale_battles(store: Arc<dyn Store>, config: &JobsConfig) -> SweepJob {
    let (keep, batch) = (i64::from(config.battle_keep_hours) * HOUR_MS, config.batch_rows);
    SweepJob {
        name: "stale_battles",
        store,
        sweeps: Box::new(move |now| {
            vec![Sweep {
                on: DbKind::Game,
                table: &BATTLES,
                column: "expires_at_ms",
                before_ms: now.saturating_sub(keep),
                spare: None,
                batch,
            }]
        }),
    }
}

/// Action-log rows older than `action_log_keep_days` (never fewer than 90 days: the
/// configuration refuses less), and the bot scores of days as old (counted with them).
pub fn action_log_retention(store: Arc<dyn Store>, config: &JobsConfig) -> SweepJob {
    let days = config.action_log_keep_days.max(crate::config::MIN_ACTION_LOG_DAYS);
    let (keep, batch) = (i64::from(days) * DAY_MS, config.batch_rows);
    SweepJob {
        name: "action_log_retention",
        store,
        sweeps: Box::new(move |now| {
            // Bot scores are read from the logs: they go with them.
            [(&ACTION_LOG, "at_ms"), (&BOT_SCORES, "day_ms")]
                .into_iter()
                .map(|(table, column)| Sweep {
                    on: DbKind::Log,
                    table,
                    column,
                    before_ms: now.saturating_sub(keep),
                    spare: None,
                    batch,
                })
                .collect()
        }),
    }
}

/// Results of clan actions (`clan_ops`, kept so a retried request finds its action's result
/// instead of acting again) older than `clan_ops_keep_days`: past any retry, whose session
/// would have expired long before (the configuration refuses a window shorter than a day).
pub fn clan_ops_retention(store: Arc<dyn Store>, config: &JobsConfig) -> SweepJob {
    let (keep, batch) = (i64::from(config.clan_ops_keep_days) * DAY_MS, config.batch_rows);
    SweepJob {
        name: "clan_ops_retention",
        store,
        sweeps: Box::new(move |now| {
            vec![Sweep {
                on: DbKind::Clan,
                table: &CLAN_OPS,
                column: "at_ms",
                before_ms: now.saturating_sub(keep),
                spare: None,
                batch,
            }]
        }),
    }
}
