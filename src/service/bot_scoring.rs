//! The bot-scoring run: reads the last complete game day and the days before it from every
//! log shard (held in memory for the run: a row's time and action per action of a user, so
//! about 100 bytes per action over three days), scores each user active that day (`crate::game::bot_score`: interval
//! regularity, self-similarity across days, the closure of their trading circle over all
//! shards), and stores each score with its features on the shard the user logs to. The
//! `bot_scores` job calls it; `GET /admin/suspects` reads what it stored. Nothing is done to
//! a user from a score.
//!
//! A run scores the day again (a user's row of the day is replaced; a user no longer in the
//! logs keeps the older row), so a run repeated or cut short is made good by the next. The
//! rows a request writes share one instant and count as one action; user 0 (the summons
//! kept of erased accounts) is not scored.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::game::bot_score::{self, Act, Features, Trades};
use crate::service::catalog::Catalog;
use crate::storage::{BotScoreRow, LoggedAction, Store};

/// Days read: the scored day and the two before it (self-similarity compares consecutive
/// days).
pub const DAYS: usize = 3;
/// Action-log rows read per page.
const PAGE: usize = 5_000;
/// The actions whose partner is another user, and the field that names them.
const SOCIAL: [(&str, &str); 2] = [("gift_sent", "to"), ("dungeon_start", "friend")];
/// Rows that come with a request's action rather than name it.
const BOOKKEEPING: [&str; 9] = [
    "currency",
    "monster_gained",
    "quest_completed",
    "delivery_received",
    "delivery_unreadable",
    "reward_lost",
    "mail_sent",
    "suspicious",
    "battle_expired",
];
/// Rows of what others did to the user (an operator's grant): not the user's actions.
const NOT_THE_PLAYER: [&str; 1] = ["operator_grant"];
/// A day's hour bins are taken on a 24-hour day.
const DAY_MS: i64 = 86_400_000;

/// Scores users from the action logs.
pub struct BotScoring {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
}

/// One user's activity over the days read, and the log shard they log to.
#[derive(Default)]
struct Activity {
    shard: i16,
    days: Vec<Vec<Act>>,
}

impl BotScoring {
    pub fn new(store: Arc<dyn Store>, catalog: Arc<Catalog>) -> Self {
        Self { store, catalog }
    }

    /// Scores the last game day that ended before `now_ms`; answers the users scored.
    pub async fn run(&self, now_ms: i64) -> Result<u64, String> {
        let reset = self.catalog.current().reset.clone();
        let today = reset.last_reset(now_ms);
        self.score_day(reset.last_reset(today - 1), now_ms).await
    }

    /// Scores the game day that began at `day_ms`; answers the users scored.
    pub async fn score_day(&self, day_ms: i64, now_ms: i64) -> Result<u64, String> {
        let reset = self.catalog.current().reset.clone();
        // The days read, oldest first, as [start, end).
        let mut starts = vec![day_ms];
        while starts.len() < DAYS {
            let earliest = starts[0];
            starts.insert(0, reset.last_reset(earliest - 1));
        }
        let end = reset.next_reset(day_ms);
        let mut users: BTreeMap<u64, Activity> = BTreeMap::new();
        let mut trades = Trades::default();
        for shard in self.store.log_shards() {
            let mut after = (i64::MIN, 0);
            loop {
                let page = self
                    .store
                    .logs_between(shard, starts[0], end, after, PAGE)
                    .await
                    .map_err(|e| format!("read log shard {shard}: {e}"))?;
                let Some(last) = page.last() else { break };
                after = (last.at_ms, last.log_id);
                for row in page.iter().filter(|r| r.user_id != 0 && !NOT_THE_PLAYER.contains(&r.action.as_str())) {
                    let index = starts.iter().rposition(|s| row.at_ms >= *s).unwrap_or(0);
                    let act = act_of(row);
                    if let Some(partner) = act.partner {
                        trades.add(row.user_id, partner);
                    }
                    let user =
                        users.entry(row.user_id).or_insert_with(|| Activity { shard, days: vec![Vec::new(); DAYS] });
                    // A request logs its rows at one instant (a summon: its currency, the draw,
                    // each monster gained): one action of the player, named by its first row
                    // that is not bookkeeping.
                    let day = &mut user.days[index];
                    match day.last_mut() {
                        Some(last) if last.at_ms == act.at_ms => {
                            if BOOKKEEPING.contains(&last.action.as_str())
                                && !BOOKKEEPING.contains(&act.action.as_str())
                            {
                                last.action = act.action;
                            }
                        }
                        _ => day.push(act),
                    }
                }
                if page.len() < PAGE {
                    break;
                }
            }
        }
        // Read last, just before the write: a user whose erasure started is not scored, so
        // a run whose read came before the erasure's last step (which deletes the user's
        // scores at least `deletions::SETTLE_MS` after the erasure starts) brings none back.
        let active: Vec<(&u64, &Activity)> =
            users.iter().filter(|(_, a)| a.days.last().is_some_and(|d| !d.is_empty())).collect();
        let erasing: BTreeSet<u64> = self
            .store
            .erasing_among(active.iter().map(|(u, _)| **u).collect())
            .await
            .map_err(|e| format!("read which users are being erased: {e}"))?
            .into_iter()
            .collect();
        let mut by_shard: BTreeMap<i16, Vec<BotScoreRow>> = BTreeMap::new();
        for (user, activity) in active.into_iter().filter(|(u, _)| !erasing.contains(u)) {
            let features = bot_score::features(*user, &activity.days, &trades, DAY_MS);
            by_shard.entry(activity.shard).or_default().push(row(*user, day_ms, &features, now_ms)?);
        }
        let mut scored = 0;
        for (shard, rows) in by_shard {
            scored += rows.len() as u64;
            self.store
                .put_bot_scores(shard, rows)
                .await
                .map_err(|e| format!("store scores on log shard {shard}: {e}"))?;
        }
        Ok(scored)
    }
}

/// The action a log row records, with its partner for a social one.
fn act_of(row: &LoggedAction) -> Act {
    let partner = SOCIAL.iter().find(|(action, _)| *action == row.action).and_then(|(_, key)| {
        row.params.split_whitespace().find_map(|f| f.strip_prefix(key)?.strip_prefix('=')?.parse::<u64>().ok())
    });
    Act { at_ms: row.at_ms, action: row.action.clone(), partner }
}

/// The stored form of a user's score.
fn row(user: u64, day_ms: i64, features: &Features, now_ms: i64) -> Result<BotScoreRow, String> {
    let json = serde_json::to_string(features).map_err(|e| format!("encode the features of user {user}: {e}"))?;
    Ok(BotScoreRow {
        user_id: user,
        day_ms,
        score_milli: (features.score * 1_000.0).round() as i64,
        features: json,
        scored_at_ms: now_ms,
    })
}
