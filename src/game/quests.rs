//! Quest progress as a pure function: events in, the quests they move out. The QuestActor
//! (`crate::service::quest_actor`) runs it for the user actors' operations; the day's login,
//! which the request's own handler must already see, is counted in the request's draft
//! ([`count_now`]); tests run it directly.
//!
//! A quest's stored row is read as of the request's time: a daily quest whose reset time has
//! passed counts as fresh (no progress, not completed, not claimed), so nothing has to run at
//! the reset. Progress stops at the target; reaching it completes the quest.

use summoner_actors::Handled;
use summoner_proto::api::{Extra, QuestInfo, QuestProgress, extra};
use summoner_proto::gamedata::{Currency, Quest as QuestDef, QuestKind};

use crate::game::context::HandlerCtx;
use crate::game::data::GameData;
use crate::game::effects::{Effects, GameEvent};
use crate::game::entities::{self, Change, Quest};
use crate::game::state::{Delta, UserState};
use crate::game::wallet;
use crate::storage::ActionLog;
use crate::storage::tables::QUESTS;

/// The quest `def` as of `now_ms`, from its stored row (None: never touched).
pub fn current(data: &GameData, def: &QuestDef, stored: Option<&Quest>, now_ms: i64) -> Quest {
    match stored {
        Some(q) if q.resets_at_ms == 0 || now_ms < q.resets_at_ms => q.clone(),
        _ => Quest {
            id: def.uid.clone(),
            progress: 0,
            completed_at_ms: 0,
            claimed_at_ms: 0,
            resets_at_ms: resets_at(data, def, now_ms),
        },
    }
}

/// When a quest taken up at `now_ms` starts over: the next daily reset, or never.
fn resets_at(data: &GameData, def: &QuestDef, now_ms: i64) -> i64 {
    if def.kind == QuestKind::Daily as i32 { data.reset.next_reset(now_ms) } else { 0 }
}

/// How much `event` advances a quest of `def`'s condition and parameter (0: not at all).
fn counts(def: &QuestDef, event: &GameEvent) -> u64 {
    if def.condition != event.condition() {
        return 0;
    }
    let at_least = |value: u32| def.param.parse::<u32>().map_or(true, |min| value >= min);
    let matches = match event {
        GameEvent::LevelReached { level } => at_least(*level),
        GameEvent::Summoned { rarity } => at_least(*rarity),
        GameEvent::BattleWon { stars } => at_least(*stars),
        GameEvent::StageCleared { stage } => def.param.is_empty() || def.param == *stage,
        _ => true,
    };
    u64::from(matches)
}

/// The quests `events` move forward, as their new rows, given each quest's stored row
/// (`stored`). Quests already completed do not move.
pub fn advance<'q>(
    data: &GameData,
    stored: impl Fn(&str) -> Option<&'q Quest>,
    events: &[GameEvent],
    now_ms: i64,
) -> Vec<Quest> {
    let mut moved = Vec::new();
    for def in data.quests() {
        let gained: u64 = events.iter().map(|e| counts(def, e)).sum();
        if gained == 0 {
            continue;
        }
        let mut quest = current(data, def, stored(&def.uid), now_ms);
        let target = u64::from(def.target);
        if quest.completed_at_ms != 0 {
            continue;
        }
        quest.progress = quest.progress.saturating_add(gained).min(target);
        if quest.progress >= target {
            quest.completed_at_ms = now_ms;
        }
        moved.push(quest);
    }
    moved
}

/// Adds the quests that moved (`advance`'s answer) to a handled request: to its delta, its
/// row writes (replacing any the handler made of the same quests), its action log (one row
/// per quest completed) and its reply's extras.
pub fn merge(state: &UserState, handled: &mut Handled<Delta, Effects>, moved: Vec<Quest>) {
    let Some((delta, effects)) = &mut handled.change else { return };
    let Some(data) = effects.data.clone() else { return };
    for quest in moved {
        let change = if state.owned.quests.contains_key(&quest.id) {
            Change::Updated(quest.clone())
        } else {
            Change::Inserted(quest.clone())
        };
        let changes = &mut delta.owned.quests;
        match changes.iter_mut().find(|(key, _)| *key == quest.id) {
            Some((_, existing)) => *existing = change,
            None => changes.push((quest.id.clone(), change)),
        }
        if quest.completed_at_ms == effects.now_ms {
            effects.durable.logs.push(ActionLog {
                user_id: state.user_id(),
                action: "quest_completed",
                params: format!("quest={}", quest.id),
                result: format!("progress={}", quest.progress),
                at_ms: effects.now_ms,
            });
        }
        let progress = progress_extra(&data, &quest);
        handled.response.extra.push(Extra { kind: Some(extra::Kind::QuestProgress(progress)) });
    }
    effects.durable.rows.retain(|w| w.table().name != QUESTS.name);
    entities::rows_of(state.user_id(), &delta.owned.quests, &mut effects.durable.rows);
}

/// Counts `events` in the request's draft at once rather than through the QuestActor after the
/// handler: for what the request's own handler must already see (the day's login). Logs and
/// reports each quest moved as [`merge`] does.
pub fn count_now(ctx: &mut HandlerCtx, events: &[GameEvent]) {
    let moved = advance(ctx.data, |id| ctx.user.owned.quests.get(id), events, ctx.now_ms);
    for quest in moved {
        if quest.completed_at_ms == ctx.now_ms {
            ctx.log("quest_completed", format!("quest={}", quest.id), format!("progress={}", quest.progress));
        }
        let progress = progress_extra(ctx.data, &quest);
        ctx.extras.push(Extra { kind: Some(extra::Kind::QuestProgress(progress)) });
        ctx.user.owned.quests.put(quest);
    }
}

/// The response extra reporting a quest's move.
pub fn progress_extra(data: &GameData, quest: &Quest) -> QuestProgress {
    let target = data.quest(&quest.id).map_or(0, |d| u64::from(d.target));
    QuestProgress { quest: quest.id.clone(), progress: quest.progress, target, completed: quest.completed_at_ms != 0 }
}

/// A quest's reward.
pub fn reward(def: &QuestDef) -> wallet::Reward {
    let currency = Currency::try_from(def.reward_currency).unwrap_or(Currency::Gold);
    wallet::reward(wallet::currency_name(currency), u64::from(def.reward_amount))
}

/// A quest as the client sees it.
pub fn info(def: &QuestDef, quest: &Quest) -> QuestInfo {
    QuestInfo {
        quest: def.uid.clone(),
        kind: if def.kind == QuestKind::Daily as i32 { "daily" } else { "achievement" }.to_owned(),
        condition: def.condition.clone(),
        progress: quest.progress,
        target: u64::from(def.target),
        completed: quest.completed_at_ms != 0,
        claimed: quest.claimed_at_ms != 0,
        resets_at_ms: quest.resets_at_ms,
        reward: Some(reward(def)),
        reward_by_mail: def.reward_by_mail,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn data() -> GameData {
        GameData::embedded().expect("embedded game data")
    }

    fn run(data: &GameData, stored: &BTreeMap<String, Quest>, events: &[GameEvent], now: i64) -> Vec<Quest> {
        advance(data, |id| stored.get(id), events, now)
    }

    #[test]
    fn an_event_moves_every_quest_of_its_condition_and_no_other() {
        let data = data();
        let moved = run(&data, &BTreeMap::new(), &[GameEvent::Explored { gold: 1, exp: 1 }], NOW);
        let ids: Vec<&str> = moved.iter().map(|q| q.id.as_str()).collect();
        let expected: Vec<&str> =
            data.quests().iter().filter(|q| q.condition == "explore").map(|q| q.uid.as_str()).collect();
        assert_eq!(ids, expected);
        assert!(moved.iter().all(|q| q.progress == 1));
    }

    #[test]
    fn parameters_narrow_what_counts() {
        let data = data();
        let rare = |r| run(&data, &BTreeMap::new(), &[GameEvent::Summoned { rarity: r }], NOW);
        assert!(!rare(3).iter().any(|q| q.id == "quest.ach.rare4"));
        assert!(rare(4).iter().any(|q| q.id == "quest.ach.rare4"));
        assert!(rare(5).iter().any(|q| q.id == "quest.ach.rare5"));
        let won = |s| run(&data, &BTreeMap::new(), &[GameEvent::BattleWon { stars: s }], NOW);
        assert!(!won(2).iter().any(|q| q.id == "quest.daily.win3stars"));
        assert!(won(3).iter().any(|q| q.id == "quest.daily.win3stars"));
        let hard = GameEvent::StageCleared { stage: "stage.01.05:hard".into() };
        let moved = run(&data, &BTreeMap::new(), &[hard], NOW);
        assert!(moved.iter().any(|q| q.id == "quest.daily.hard"));
        assert!(moved.iter().any(|q| q.id == "quest.daily.stage3"), "an empty param counts any stage");
    }

    #[test]
    fn progress_completes_at_the_target_and_stops() {
        let data = data();
        let mut stored = BTreeMap::new();
        let five = vec![GameEvent::Explored { gold: 1, exp: 1 }; 7];
        for q in run(&data, &stored, &five, NOW) {
            stored.insert(q.id.clone(), q);
        }
        let q = &stored["quest.daily.explore5"];
        assert_eq!((q.progress, q.completed_at_ms), (5, NOW));
        let again = run(&data, &stored, &five[..1], NOW + 1);
        assert!(!again.iter().any(|q| q.id == "quest.daily.explore5"), "a completed quest does not move");
        assert_eq!(stored["quest.daily.explore15"].progress, 7);
    }

    #[test]
    fn a_daily_quest_starts_over_after_the_reset_and_an_achievement_does_not() {
        let data = data();
        let mut stored = BTreeMap::new();
        let events = vec![GameEvent::Explored { gold: 1, exp: 1 }; 5];
        for q in run(&data, &stored, &events, NOW) {
            stored.insert(q.id.clone(), q);
        }
        let daily = &stored["quest.daily.explore5"];
        assert_eq!(daily.resets_at_ms, data.reset.next_reset(NOW));
        assert_eq!(stored["quest.ach.explore100"].resets_at_ms, 0);
        let tomorrow = daily.resets_at_ms;
        let moved = run(&data, &stored, &events[..1], tomorrow);
        let daily = moved.iter().find(|q| q.id == "quest.daily.explore5").expect("moves again");
        assert_eq!((daily.progress, daily.completed_at_ms), (1, 0));
        let ach = moved.iter().find(|q| q.id == "quest.ach.explore100").expect("moves");
        assert_eq!(ach.progress, 6);
    }
}
