//! Replay of a logged battle, for support and fair-play reviews: the battle simulation run
//! again on what the action log kept of it (the line-up at its start, with the element
//! advantages of the game data then in force, whose version the row names too; the player's
//! inputs at its finish; its token as the seed), set beside the result the server paid by.
//!
//! Stage battles log `battle_start`/`battle_finish`, friend dungeon visits
//! `dungeon_start`/`dungeon_finish` (`crate::game::handlers::battle`, `dungeon`). A battle
//! started before battles were simulated logged no line-up: it has nothing to replay.

use serde::Serialize;

use crate::game::battle_sim::{Input, Lineup, Outcome};
use crate::service::audit::AuditError;
use crate::storage::{LoggedAction, Store};

/// Rows read per page of the action log.
const PAGE: usize = 5_000;

/// The (start, finish) actions of each kind of battle.
const KINDS: [(&str, &str); 2] = [("battle_start", "battle_finish"), ("dungeon_start", "dungeon_finish")];

/// A battle as the action log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedBattle {
    pub user_id: u64,
    pub token: u64,
    /// `battle_start` or `dungeon_start`.
    pub kind: String,
    pub start_log_id: u64,
    pub finish_log_id: u64,
    /// The game-data version in force at the start (the line-up's units and advantages are
    /// its).
    pub version: u32,
    pub lineup: Lineup,
    pub inputs: Vec<Input>,
    /// The result the server paid by.
    pub won: bool,
    pub stars: u32,
    pub turns: u32,
}

/// A replayed battle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BattleReplay {
    pub logged: LoggedBattle,
    pub replayed: Outcome,
    /// The replay's won, stars and turns are the logged ones.
    pub matches: bool,
}

/// Finds the battle of `user` with `token`, start and finish, and plays it again.
pub async fn replay_battle(store: &dyn Store, user: u64, token: u64) -> Result<BattleReplay, AuditError> {
    store.flush().await?;
    let logged = find(store, user, token).await?;
    let replayed = logged
        .lineup
        .simulate(token, &logged.inputs)
        .map_err(|e| AuditError::Unreadable(logged.finish_log_id, format!("inputs ({e})")))?;
    let matches = (replayed.won, replayed.stars, replayed.turns) == (logged.won, logged.stars, logged.turns);
    Ok(BattleReplay { logged, replayed, matches })
}

/// The start and finish rows of `user`'s battle `token`, read.
async fn find(store: &dyn Store, user: u64, token: u64) -> Result<LoggedBattle, AuditError> {
    let wanted = token.to_string();
    for (start_action, finish_action) in KINDS {
        let Some(start) = first(store, start_action, user, |row| field(&row.result, "token") == Some(&wanted)).await?
        else {
            continue;
        };
        let finish = first(store, finish_action, user, |row| field(&row.params, "token") == Some(&wanted))
            .await?
            .ok_or(AuditError::NoSuchBattle(user, token))?;
        return read(&start, &finish, token);
    }
    Err(AuditError::NoSuchBattle(user, token))
}

/// The first `action` row of `user` that `wanted` picks, paging through the log shards.
async fn first(
    store: &dyn Store,
    action: &str,
    user: u64,
    wanted: impl Fn(&LoggedAction) -> bool,
) -> Result<Option<LoggedAction>, AuditError> {
    let mut after = 0;
    loop {
        let page =
            store.scan_logs(action.to_owned(), Some(user), after, PAGE).await.map_err(AuditError::reading(user))?;
        let Some(last) = page.last() else { return Ok(None) };
        after = last.log_id;
        if let Some(found) = page.into_iter().find(|row| wanted(row)) {
            return Ok(Some(found));
        }
    }
}

/// Reads a battle's start and finish rows.
fn read(start: &LoggedAction, finish: &LoggedAction, token: u64) -> Result<LoggedBattle, AuditError> {
    let bad = |row: &LoggedAction, what: &str| AuditError::Unreadable(row.log_id, what.to_owned());
    // The line-up is the last field and its JSON holds no spaces, but read it to the end.
    let Some((_, lineup)) = start.params.split_once(" lineup=") else {
        return Err(AuditError::NotSimulated(start.user_id, token));
    };
    let version = field(&start.params, "v").and_then(|v| v.parse().ok()).ok_or_else(|| bad(start, "v"))?;
    let lineup: Lineup = serde_json::from_str(lineup).map_err(|_| bad(start, "lineup"))?;
    let inputs = field(&finish.params, "inputs").ok_or_else(|| bad(finish, "inputs"))?;
    let inputs: Vec<Input> = serde_json::from_str(inputs).map_err(|_| bad(finish, "inputs"))?;
    let won = match field(&finish.result, "won") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(bad(finish, "won")),
    };
    // A lost stage battle logs no stars: a loss has none.
    let stars = match field(&finish.result, "stars") {
        Some(stars) => stars.parse().map_err(|_| bad(finish, "stars"))?,
        None if !won => 0,
        None => return Err(bad(finish, "stars")),
    };
    let turns = field(&finish.result, "turns").and_then(|t| t.parse().ok()).ok_or_else(|| bad(finish, "turns"))?;
    Ok(LoggedBattle {
        user_id: start.user_id,
        token,
        kind: start.action.clone(),
        start_log_id: start.log_id,
        finish_log_id: finish.log_id,
        version,
        lineup,
        inputs,
        won,
        stars,
        turns,
    })
}

/// The value of `key=value` among the space-separated fields of `text`.
fn field<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    text.split_whitespace().find_map(|part| part.strip_prefix(key)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::battle_sim::{NO_SKILL, Unit};

    fn row(log_id: u64, action: &str, params: &str, result: &str) -> LoggedAction {
        LoggedAction {
            log_id,
            user_id: 9,
            action: action.into(),
            params: params.into(),
            result: result.into(),
            at_ms: 0,
        }
    }

    fn lineup_json() -> String {
        let unit = |element: &str| Unit {
            template: "t".into(),
            element: element.into(),
            hp: 10,
            attack: 5,
            defense: 0,
            skill: NO_SKILL,
        };
        let lineup =
            Lineup::new(vec![unit("elem.fire")], vec![unit("elem.tree")], &|a, b| a == "elem.fire" && b == "elem.tree");
        serde_json::to_string(&lineup).expect("encodes")
    }

    #[test]
    fn fields_are_read_by_their_whole_key() {
        let params = "stage=stage.01.01:normal token=77 inputs=[{\"turn\":1,\"slot\":0}] elapsed_ms=5";
        assert_eq!(field(params, "token"), Some("77"));
        assert_eq!(field(params, "inputs"), Some("[{\"turn\":1,\"slot\":0}]"));
        assert_eq!(field(params, "stage"), Some("stage.01.01:normal"));
        assert_eq!(field("tokens=1 token=2", "token"), Some("2"), "a longer key is another field");
        assert_eq!(field(params, "won"), None);
    }

    /// The rows as the handlers write them: a stage battle lost (no stars logged), a dungeon
    /// visit won, and a battle from before the simulation.
    #[test]
    fn logged_battles_read_as_the_handlers_write_them() {
        let start = row(1, "battle_start", &format!("stage=s slot=1 v=6 lineup={}", lineup_json()), "power=9 token=77");
        let lost = row(
            2,
            "battle_finish",
            "stage=s token=77 inputs=[{\"turn\":2,\"slot\":0,\"target\":0}]",
            "won=false turns=4",
        );
        let read_lost = read(&start, &lost, 77).expect("reads");
        assert_eq!((read_lost.won, read_lost.stars, read_lost.turns, read_lost.version), (false, 0, 4, 6));
        assert_eq!(read_lost.inputs, [Input { turn: 2, slot: 0, target: Some(0) }]);
        assert_eq!(read_lost.lineup.advantages, [("elem.fire".to_string(), "elem.tree".to_string())]);
        assert_eq!(read_lost.kind, "battle_start");

        let visit = row(
            3,
            "dungeon_start",
            &format!("friend=5 slot=1 v=6 lineup={}", lineup_json()),
            "power=9 enemy=3 token=78",
        );
        let won = row(4, "dungeon_finish", "friend=5 token=78 inputs=[] elapsed_ms=20000", "won=true stars=2 turns=7");
        let read_won = read(&visit, &won, 78).expect("reads");
        assert_eq!((read_won.won, read_won.stars, read_won.turns), (true, 2, 7));
        assert!(read_won.inputs.is_empty());

        let before = row(5, "battle_start", "stage=s slot=1", "power=9 token=79");
        assert!(matches!(read(&before, &lost, 79), Err(AuditError::NotSimulated(9, 79))));
        let no_stars = row(6, "battle_finish", "stage=s token=77 inputs=[]", "won=true turns=3");
        assert!(matches!(read(&start, &no_stars, 77), Err(AuditError::Unreadable(6, _))), "a win logs its stars");
        let bad_inputs = row(7, "battle_finish", "stage=s token=77 inputs=[{", "won=false turns=3");
        assert!(matches!(read(&start, &bad_inputs, 77), Err(AuditError::Unreadable(7, _))));
    }
}
