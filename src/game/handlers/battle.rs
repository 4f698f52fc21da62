//! Stage battles: `StartBattle` opens one (an unlocked stage difficulty, a team, stamina),
//! keeps both sides' units as they start (the line-up) and answers a single-use token, which
//! is also the battle's seed; `FinishBattle` settles it and pays by the server's own result.
//!
//! The result is the battle simulation's (`game::battle_sim`, `docs/BATTLE.md`) on the kept
//! line-up, the seed and the player's inputs: won or lost, stars and turns. Inputs past their
//! bounds are refused (`BATTLE_INPUTS_INVALID`); a claimed result that is not the
//! simulation's (`BATTLE_RESULT_MISMATCH`), a win finished sooner than the stage's
//! `min_clear_secs` after its start as the server saw it (`BATTLE_TOO_FAST`), a token that is
//! not open (forged) or was finished already (replayed) are refused with their own code and
//! logged as suspicious. The monsters that started the battle are the ones that earn its
//! experience.
//!
//! A battle opened before battles were simulated (no line-up kept) is judged by the earlier
//! plausibility rule (`check_plausible`): a win needs 1 to 3 stars (a loss 0), at least
//! `min_clear_secs` as the server saw it and as the client reports it, and a team power of at
//! least `battle_min_power_pct` percent of the enemy power; 3 stars need at least the enemy
//! power, 2 at least 80% of it.

use rand::{Rng, RngExt};
use summoner_proto::api::{
    BattleInput, Enemy, ErrorCode, Extra, FinishBattleReq, FinishBattleRes, LevelUp, StartBattleReq, StartBattleRes,
    extra,
};
use summoner_proto::gamedata::{Currency, Weighted};

use crate::game::battle_sim::{self, Input, Lineup, Unit};
use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::entities::{Battle, Stage, Team};
use crate::game::{monsters, stats, wallet};

/// The counter holding the token of the last battle finished (to tell a replay from a forgery).
const LAST_TOKEN: &str = "battle.last_token";
/// The counter holding the token of the last expired battle dropped (its late finish is no
/// forgery).
const EXPIRED_TOKEN: &str = "battle.expired_token";

fn unlocked(ctx: &HandlerCtx, after: &str) -> bool {
    after.is_empty() || ctx.user.owned.stages.get(after).is_some_and(|s| s.clears > 0)
}

/// StartBattle: opens a battle and answers its token and enemies.
pub fn start_battle(ctx: &mut HandlerCtx, req: &StartBattleReq) -> HandlerResult<StartBattleRes> {
    let data = ctx.data;
    let Some(stage) = data.stage(&req.stage) else {
        return Err(Refusal::new(
            ErrorCode::UnknownStage,
            format!("no stage {:?} (use stage.XX.YY:difficulty)", req.stage),
        ));
    };
    if !unlocked(ctx, &stage.level.unlock_after) {
        return Err(Refusal::new(ErrorCode::StageLocked, format!("clear {} first", stage.level.unlock_after)));
    }
    let slot = u64::from(req.team_slot);
    let Some(team) = ctx.user.owned.teams.get(&slot).filter(|t| !t.members.is_empty()).cloned() else {
        return Err(Refusal::new(ErrorCode::InvalidTeam, format!("team slot {} is empty", req.team_slot)));
    };
    if ctx.user.owned.monsters.len() >= data.box_rules.limit {
        return Err(Refusal::new(ErrorCode::BoxFull, "the monster box is full: a drop would not fit"));
    }
    let now = ctx.now_ms;
    close_expired(ctx)?;
    if !ctx.user.profile.spend_stamina(data, stage.level.stamina_cost, now) {
        return Err(Refusal::new(
            ErrorCode::NotEnoughStamina,
            format!("{} costs {} stamina", stage.key, stage.level.stamina_cost),
        ));
    }
    let level = stage.level.enemy_level;
    let foes: Vec<Unit> = stage.level.enemies.iter().map(|uid| battle_sim::unit(data, uid, level, 0)).collect();
    let battle = open(ctx, stage.key.clone(), &team, &stage.enemy_elements, stage.enemy_power, foes)?;
    let (power, token) = (battle.power, battle.token);
    let params = format!("stage={} slot={slot} v={} lineup={}", stage.key, data.version, battle.lineup);
    ctx.log("battle_start", params, format!("power={power} token={token}"));
    let enemies = stage
        .level
        .enemies
        .iter()
        .map(|uid| {
            let s = stats::stats_of(data, uid, stage.level.enemy_level, 0).unwrap_or_default();
            Enemy {
                template: uid.clone(),
                level: stage.level.enemy_level,
                hp: s.hp,
                attack: s.attack,
                defense: s.defense,
            }
        })
        .collect();
    Ok(StartBattleRes {
        battle_token: token,
        enemies,
        enemy_power: stage.enemy_power,
        team_power: power,
        expires_at_ms: battle.expires_at_ms,
        user: Some(ctx.user.to_proto(data, now)),
        battle_seed: token,
    })
}

/// FinishBattle: checks the finish and settles the battle.
pub fn finish_battle(ctx: &mut HandlerCtx, req: &FinishBattleReq) -> HandlerResult<FinishBattleRes> {
    let data = ctx.data;
    let now = ctx.now_ms;
    let battle = open_battle(ctx, req.battle_token)?;
    let Some(stage) = data.stage(&battle.stage) else {
        if battle.stage.starts_with("friend:") {
            let message = "this battle is a friend dungeon's: finish it with VisitFriendDungeon";
            return Err(Refusal::new(ErrorCode::BattleNotFound, message));
        }
        return Err(Refusal::new(
            ErrorCode::UnknownStage,
            format!("stage {} is no longer in the game data", battle.stage),
        ));
    };
    let claim = Claim { won: req.won, stars: req.stars, elapsed_ms: req.elapsed_ms };
    let min_ms = i64::from(stage.level.min_clear_secs) * 1000;
    let judged =
        judge(ctx, &battle, Finish { claim, claims: req.claims_result, inputs: &req.inputs }, min_ms, &stage.key)?;
    settle(ctx, &battle);
    let mut res = FinishBattleRes { won: judged.won, stars: judged.stars, turns: judged.turns, ..Default::default() };
    let finished = format!("stage={} token={} inputs={}", stage.key, battle.token, judged.inputs);
    if !judged.won {
        ctx.log("battle_finish", finished, format!("won=false turns={}", judged.turns));
        res.user = Some(ctx.user.to_proto(data, now));
        return Ok(res);
    }
    let level = &stage.level;
    wallet::earn(ctx, Currency::Gold, u64::from(level.gold), "battle");
    if let Some((from_level, to_level)) = ctx.user.profile.gain_exp(data, u64::from(level.user_exp), now) {
        ctx.events.push(GameEvent::LevelReached { level: to_level });
        ctx.extras.push(Extra { kind: Some(extra::Kind::LevelUp(LevelUp { from_level, to_level })) });
    }
    // The monsters that fought (the team as it started; they could not be fed or sold since).
    let team = battle.members.clone();
    for id in &team {
        if let Some(monster) = ctx.user.owned.monsters.get_mut(id) {
            monsters::gain_exp(data, monster, u64::from(level.monster_exp));
        }
    }
    res.team = team.iter().filter_map(|id| ctx.user.owned.monsters.get(id)).map(|m| monsters::info(data, m)).collect();
    if let Some(drop) = pick_drop(ctx, &level.drops)
        && let Some(monster) = wallet::grant(ctx, &wallet::reward(&drop, 1), "battle_drop")
    {
        res.drops.push(monsters::info(data, &monster));
    }
    let key = stage.key.clone();
    let mut progress = ctx.user.owned.stages.get(&key).cloned().unwrap_or(Stage {
        key: key.clone(),
        stars: 0,
        clears: 0,
        first_cleared_at_ms: 0,
        best_time_ms: 0,
    });
    res.first_clear = progress.clears == 0;
    progress.clears += 1;
    progress.stars = progress.stars.max(judged.stars);
    // As the server saw it: the client's own figure is only logged.
    let time = now - battle.started_at_ms;
    progress.best_time_ms = if progress.best_time_ms == 0 { time } else { progress.best_time_ms.min(time) };
    if res.first_clear {
        progress.first_cleared_at_ms = now;
        res.first_clear_gems = u64::from(level.first_clear_gems);
        wallet::earn(ctx, Currency::Gems, res.first_clear_gems, "first_clear");
        res.unlocked = stage.unlocks.clone();
    }
    ctx.user.owned.stages.put(progress);
    ctx.events.push(GameEvent::BattleWon { stars: judged.stars });
    ctx.events.push(GameEvent::StageCleared { stage: key.clone() });
    res.gold = u64::from(level.gold);
    res.user_exp = u64::from(level.user_exp);
    res.monster_exp = u64::from(level.monster_exp);
    ctx.log(
        "battle_finish",
        format!("{finished} elapsed_ms={}", req.elapsed_ms),
        format!(
            "won=true stars={} turns={} drops={} first_clear={}",
            judged.stars,
            judged.turns,
            res.drops.len(),
            res.first_clear
        ),
    );
    res.user = Some(ctx.user.to_proto(data, now));
    Ok(res)
}

/// A finish as the client sends it.
pub struct Finish<'r> {
    pub claim: Claim,
    /// Whether `claim`'s result is to be compared with the simulation's.
    pub claims: bool,
    pub inputs: &'r [BattleInput],
}

/// How the server judged a finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub won: bool,
    pub stars: u32,
    /// Turns the simulation took (0: a battle from before the simulation, judged by the
    /// plausibility rule).
    pub turns: u32,
    /// The inputs, as the action log keeps them (JSON).
    pub inputs: String,
}

/// Judges `finish` of `battle`: its simulation on the units as they started, the battle's
/// token as the seed and the player's inputs (`docs/BATTLE.md`); the result is the
/// server's. Refused: inputs past their bounds (`BATTLE_INPUTS_INVALID`), a claimed result
/// that is not the simulation's (`BATTLE_RESULT_MISMATCH`, suspicious), a win sooner than
/// `min_ms` after the start (`BATTLE_TOO_FAST`, suspicious). A battle started before the
/// simulation judged battles (no line-up) is judged by the plausibility rule.
pub fn judge(ctx: &HandlerCtx, battle: &Battle, finish: Finish, min_ms: i64, what: &str) -> HandlerResult<Judged> {
    let inputs: Vec<Input> =
        finish.inputs.iter().map(|i| Input { turn: i.turn, slot: i.slot, target: i.target }).collect();
    if battle.lineup.is_empty() {
        if !inputs.is_empty() {
            let message = "this battle started before battles took inputs: finish it with none";
            return Err(Refusal::new(ErrorCode::BattleInputsInvalid, message));
        }
        check_plausible(ctx, battle, finish.claim, min_ms, what)?;
        let Claim { won, stars, .. } = finish.claim;
        return Ok(Judged { won, stars, turns: 0, inputs: "[]".into() });
    }
    let lineup: Lineup = serde_json::from_str(&battle.lineup)
        .map_err(|e| Refusal::new(ErrorCode::Internal, format!("the battle's line-up does not read: {e}")))?;
    // Bounded before anything is kept of them: the log holds only inputs within the bounds.
    let outcome = lineup
        .simulate(battle.token, &inputs)
        .map_err(|e| Refusal::new(ErrorCode::BattleInputsInvalid, e.to_string()))?;
    let claim = finish.claim;
    if finish.claims && (claim.won, claim.stars) != (outcome.won, outcome.stars) {
        return Err(Refusal::suspicious(
            ErrorCode::BattleResultMismatch,
            format!(
                "the finish claims won={} stars={}; the battle ends won={} stars={} in {} turns",
                claim.won, claim.stars, outcome.won, outcome.stars, outcome.turns
            ),
        ));
    }
    if outcome.won && ctx.now_ms - battle.started_at_ms < min_ms {
        return Err(Refusal::suspicious(
            ErrorCode::BattleTooFast,
            format!("{what} takes at least {} s", min_ms / 1000),
        ));
    }
    let logged = serde_json::to_string(&inputs)
        .map_err(|e| Refusal::new(ErrorCode::Internal, format!("the inputs do not encode: {e}")))?;
    Ok(Judged { won: outcome.won, stars: outcome.stars, turns: outcome.turns, inputs: logged })
}

/// What a client says of a battle it finished.
#[derive(Debug, Clone, Copy)]
pub struct Claim {
    pub won: bool,
    pub stars: u32,
    pub elapsed_ms: u32,
}

/// The plausibility rule (module doc) for `claim` on `battle`, against the enemy power it
/// started with, a win taking at least `min_ms`; a refusal is suspicious.
pub fn check_plausible(ctx: &HandlerCtx, battle: &Battle, claim: Claim, min_ms: i64, what: &str) -> HandlerResult<()> {
    let enemy_power = battle.enemy_power;
    let stars_ok = if claim.won { (1..=3).contains(&claim.stars) } else { claim.stars == 0 };
    if !stars_ok {
        return Err(Refusal::suspicious(ErrorCode::BattleStarsInvalid, "a win has 1 to 3 stars, a loss 0"));
    }
    if !claim.won {
        return Ok(());
    }
    if ctx.now_ms - battle.started_at_ms < min_ms || i64::from(claim.elapsed_ms) < min_ms {
        return Err(Refusal::suspicious(
            ErrorCode::BattleTooFast,
            format!("{what} takes at least {} s", min_ms / 1000),
        ));
    }
    if battle.power.saturating_mul(100) < enemy_power.saturating_mul(ctx.data.battle.min_power_pct) {
        return Err(Refusal::suspicious(
            ErrorCode::BattleImplausible,
            format!("a team of power {} cannot beat enemies of power {enemy_power}", battle.power),
        ));
    }
    let most = max_stars(battle.power, enemy_power);
    if claim.stars > most {
        return Err(Refusal::suspicious(
            ErrorCode::BattleStarsInvalid,
            format!("a team of power {} wins at most {most} stars against {enemy_power}", battle.power),
        ));
    }
    Ok(())
}

/// The open battle `token` names, or why there is none: forged (never opened: suspicious),
/// replayed (finished already: suspicious) or expired.
pub fn open_battle(ctx: &HandlerCtx, token: u64) -> HandlerResult<Battle> {
    let Some(battle) = ctx.user.owned.battles.get(&token).cloned() else {
        let logged = token as i64;
        if token != 0 && wallet::counter(ctx, LAST_TOKEN) == logged {
            return Err(Refusal::suspicious(ErrorCode::BattleReplayed, "this battle was finished already"));
        }
        if token != 0 && wallet::counter(ctx, EXPIRED_TOKEN) == logged {
            return Err(Refusal::new(ErrorCode::BattleExpired, "the battle expired; start a new one"));
        }
        return Err(Refusal::suspicious(ErrorCode::BattleNotFound, "no open battle has this token"));
    };
    if ctx.now_ms >= battle.expires_at_ms {
        return Err(Refusal::new(ErrorCode::BattleExpired, "the battle expired; start a new one"));
    }
    Ok(battle)
}

/// Refuses while another battle is open; drops the expired ones (their late finish is then
/// answered as expired, not as forged).
pub fn close_expired(ctx: &mut HandlerCtx) -> HandlerResult<()> {
    let now = ctx.now_ms;
    let open: Vec<Battle> = ctx.user.owned.battles.iter().cloned().collect();
    if let Some(battle) = open.iter().find(|b| now < b.expires_at_ms) {
        return Err(Refusal::new(ErrorCode::BattleInProgress, format!("battle on {} is still open", battle.stage)));
    }
    for expired in open {
        ctx.user.owned.battles.remove(&expired.token);
        wallet::set_counter(ctx, EXPIRED_TOKEN, expired.token as i64, 0);
        ctx.log("battle_expired", format!("token={} stage={}", expired.token, expired.stage), String::new());
    }
    Ok(())
}

/// Opens a battle on `stage` for `team` (its power against `enemy_elements`, as of now)
/// against `enemies` (of `enemy_power`), with a single-use token from the user's token
/// stream ([`mint_token`]), which is also the battle's seed; both sides' units are kept with
/// it, as they start.
pub fn open(
    ctx: &mut HandlerCtx,
    stage: String,
    team: &Team,
    enemy_elements: &[String],
    enemy_power: u64,
    enemies: Vec<Unit>,
) -> HandlerResult<Battle> {
    let (data, now) = (ctx.data, ctx.now_ms);
    let members = team.members.iter().filter_map(|id| ctx.user.owned.monsters.get(id));
    let power = stats::team_power(data, members.clone(), enemy_elements);
    let lineup = Lineup::new(battle_sim::units(data, members), enemies, &|a, b| data.strong_against(a, b));
    let lineup = serde_json::to_string(&lineup)
        .map_err(|e| Refusal::new(ErrorCode::Internal, format!("the battle's line-up does not encode: {e}")))?;
    let battle = Battle {
        token: mint_token(ctx),
        stage,
        team_slot: team.slot,
        members: team.members.clone(),
        power,
        enemy_power,
        started_at_ms: now,
        expires_at_ms: now.saturating_add(data.battle.expire_ms),
        lineup,
    };
    ctx.user.owned.battles.insert(battle.clone());
    Ok(battle)
}

/// The counter of battle tokens the user was given.
const TOKENS_GIVEN: &str = "battle.tokens";

/// A new battle token: the next of the user's token stream, never the gameplay stream's
/// output (a token is shown to the client; from the gameplay stream's output a client could
/// learn its next draws).
fn mint_token(ctx: &mut HandlerCtx) -> u64 {
    let given = wallet::counter(ctx, TOKENS_GIVEN).max(0) as u64;
    wallet::set_counter(ctx, TOKENS_GIVEN, given.saturating_add(1) as i64, 0);
    let mut stream = crate::game::dispatch::side_stream(
        &ctx.user.profile,
        crate::game::dispatch::TOKEN_STREAM,
        u128::from(given) * 2,
    );
    (stream.next_u64() >> 1).max(1)
}

/// Ends `battle` (its token is then answered as replayed).
pub fn settle(ctx: &mut HandlerCtx, battle: &Battle) {
    ctx.user.owned.battles.remove(&battle.token);
    wallet::set_counter(ctx, LAST_TOKEN, battle.token as i64, 0);
}

/// The most stars a win can have: 3 with at least the enemy power, 2 with at least 80% of
/// it, else 1.
pub fn max_stars(power: u64, enemy_power: u64) -> u32 {
    if power >= enemy_power {
        3
    } else if power.saturating_mul(100) >= enemy_power.saturating_mul(80) {
        2
    } else {
        1
    }
}

/// One monster of a stage's drop table, by weight, from the user's stream.
fn pick_drop(ctx: &mut HandlerCtx, drops: &[Weighted]) -> Option<String> {
    let total: u64 = drops.iter().map(|d| u64::from(d.weight)).sum();
    if total == 0 {
        return None;
    }
    let mut roll = ctx.rng.random_range(0..total);
    for drop in drops {
        if roll < u64::from(drop.weight) {
            return Some(drop.uid.clone());
        }
        roll -= u64::from(drop.weight);
    }
    None
}
