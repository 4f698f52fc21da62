//! The friend dungeon: a battle against a friend's first team as their snapshot shows it
//! (from the cache, rebuilt from their rows when the cache lost it: the actor's fetch step),
//! once per friend per game day, that team's units kept as the visit starts and the visit
//! settled like a stage battle by the server's simulation (`battle::judge`, a win no sooner
//! than the game data's `friend_dungeon_min_secs`). A win pays the visitor gold and experience for
//! the monsters that fought, in proportion to the friend team's strength against the
//! strongest team the visitor could field, below the game data's
//! `friend_dungeon_full_pay_pct` ([`pay_pct`], decided at the start), and sends the friend
//! friendship points (a delivery, as mail, within the friend's daily cap).
//!
//! The open battle is a row of the user's battles, keyed by its single-use token, whose
//! stage names the friend fought: `friend:<user id>`.

use summoner_proto::api::{ErrorCode, VisitFriendDungeonReq, VisitFriendDungeonRes};
use summoner_proto::gamedata::Currency;

use crate::game::battle_sim;
use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::data::SocialRules;
use crate::game::effects::GameEvent;
use crate::game::friends;
use crate::game::handlers::battle::{self, Claim, Finish};
use crate::game::reads::{Asking, Fetched, Need};
use crate::game::{inbox, monsters, stats, wallet};

const STAGE_PREFIX: &str = "friend:";
/// The counter holding the open visit's pay percent, decided at its start (it resets when
/// the visit expires; one battle is open at a time).
const PAY_PCT: &str = "dungeon.pay_pct";

/// A visit's start reads the friend's snapshot (their team); its finish reads nothing.
pub fn visit_reads(ask: &Asking, req: &VisitFriendDungeonReq) -> Option<Need> {
    (req.battle_token == 0 && ask.may_be_friend(req.friend_id)).then_some(Need::Snapshot { user: req.friend_id })
}

/// The friend a dungeon battle's stage key names.
fn fought(stage: &str) -> Option<u64> {
    stage.strip_prefix(STAGE_PREFIX)?.parse().ok()
}

/// The percent of the dungeon's reward a win pays: in full against a friend's team of at
/// least `dungeon_full_pay_pct` percent of `power` (the strongest team the visitor could
/// field), in proportion below (a throwaway friend with one weak monster pays almost
/// nothing), rounded down.
pub fn pay_pct(social: &SocialRules, power: u64, enemy_power: u64) -> u32 {
    let Some(full) = social.dungeon_full_pay_pct else { return 100 };
    let threshold = (u128::from(power) * u128::from(full) / 100).max(1);
    (u128::from(enemy_power) * 100 / threshold).min(100) as u32
}

/// `amount` × `pct` / 100, rounded down.
fn scaled(amount: u64, pct: u32) -> u64 {
    (u128::from(amount) * u128::from(pct) / 100) as u64
}

/// VisitFriendDungeon: starts a visit (token 0) or finishes the open one.
pub fn visit_friend_dungeon(ctx: &mut HandlerCtx, req: &VisitFriendDungeonReq) -> HandlerResult<VisitFriendDungeonRes> {
    if req.battle_token == 0 { start(ctx, req) } else { finish(ctx, req) }
}

fn start(ctx: &mut HandlerCtx, req: &VisitFriendDungeonReq) -> HandlerResult<VisitFriendDungeonRes> {
    let (data, now, them) = (ctx.data, ctx.now_ms, req.friend_id);
    if !ctx.user.owned.friends.contains(&them) {
        return Err(Refusal::new(ErrorCode::NotFriends, format!("user {them} is not on your friend list")));
    }
    if wallet::counter(ctx, &friends::visited(them)) > 0 {
        return Err(Refusal::new(ErrorCode::DungeonVisitedToday, format!("you visited user {them} today already")));
    }
    let slot = u64::from(req.team_slot);
    let Some(team) = ctx.user.owned.teams.get(&slot).filter(|t| !t.members.is_empty()).cloned() else {
        return Err(Refusal::new(ErrorCode::InvalidTeam, format!("team slot {} is empty", req.team_slot)));
    };
    let snapshot = match ctx.fetched {
        Some(Fetched::Snapshot(Some(snapshot))) if snapshot.user_id == them => snapshot.clone(),
        _ => return Err(Refusal::new(ErrorCode::UnknownUser, format!("user {them} does not exist"))),
    };
    if snapshot.team.is_empty() {
        return Err(Refusal::new(ErrorCode::FriendTeamEmpty, format!("user {them} has no team to fight")));
    }
    battle::close_expired(ctx)?;
    let enemy_elements: Vec<String> = snapshot.team.iter().map(|m| m.element.clone()).collect();
    let enemy_power = snapshot.team_power;
    // The reward is weighed against the strongest team the visitor could field, not the one
    // chosen: a weak team sent against a weak friend pays no more. Decided now, kept with
    // the open battle.
    let strongest =
        stats::strongest_team_power(data, ctx.user.owned.monsters.iter(), data.box_rules.team_size, &enemy_elements);
    let pct = pay_pct(&data.social, strongest, enemy_power);
    let foes = snapshot.team.iter().map(|m| battle_sim::unit_as_shown(data, m)).collect();
    let battle = battle::open(ctx, format!("{STAGE_PREFIX}{them}"), &team, &enemy_elements, enemy_power, foes)?;
    wallet::set_counter(ctx, PAY_PCT, i64::from(pct), battle.expires_at_ms);
    let (power, token) = (battle.power, battle.token);
    // The visit of the day is used by starting it: an abandoned visit does not come back.
    let again = data.reset.next_reset(now);
    wallet::set_counter(ctx, &friends::visited(them), 1, again);
    ctx.log(
        "dungeon_start",
        format!("friend={them} slot={slot} v={} lineup={}", data.version, battle.lineup),
        format!("power={power} enemy={enemy_power} token={token}"),
    );
    Ok(VisitFriendDungeonRes {
        pay_pct: pct,
        battle_seed: token,
        battle_token: token,
        friend: Some(snapshot),
        enemy_power,
        team_power: power,
        expires_at_ms: battle.expires_at_ms,
        user: Some(ctx.user.to_proto(data, now)),
        ..Default::default()
    })
}

fn finish(ctx: &mut HandlerCtx, req: &VisitFriendDungeonReq) -> HandlerResult<VisitFriendDungeonRes> {
    let (data, now) = (ctx.data, ctx.now_ms);
    let battle = battle::open_battle(ctx, req.battle_token)?;
    let Some(them) = fought(&battle.stage).filter(|friend| *friend == req.friend_id) else {
        return Err(Refusal::suspicious(
            ErrorCode::BattleNotFound,
            format!("the open battle is not a visit of user {}", req.friend_id),
        ));
    };
    let claim = Claim { won: req.won, stars: req.stars, elapsed_ms: req.elapsed_ms };
    let finish = Finish { claim, claims: req.claims_result, inputs: &req.inputs };
    let judged = battle::judge(ctx, &battle, finish, data.social.dungeon_min_ms, "a friend's dungeon")?;
    battle::settle(ctx, &battle);
    let mut res = VisitFriendDungeonRes {
        finished: true,
        won: judged.won,
        stars: judged.stars,
        turns: judged.turns,
        ..Default::default()
    };
    if judged.won {
        let social = &data.social;
        // As decided at the start (a visit started before the rule: the team that fought).
        let pct = match ctx.user.owned.counters.get(PAY_PCT) {
            Some(c) if c.resets_at_ms == battle.expires_at_ms => u32::try_from(c.value).unwrap_or(0).min(100),
            _ => pay_pct(social, battle.power, battle.enemy_power),
        };
        let (gold, exp) = (scaled(social.dungeon_gold, pct), scaled(social.dungeon_monster_exp, pct));
        wallet::earn(ctx, Currency::Gold, gold, "friend_dungeon");
        for id in &battle.members {
            if let Some(monster) = ctx.user.owned.monsters.get_mut(id) {
                monsters::gain_exp(data, monster, exp);
                res.team.push(monsters::info(data, monster));
            }
        }
        // The host is paid only while still a friend (the friendship may have ended since).
        if social.dungeon_host_points > 0 && ctx.user.owned.friends.contains(&them) {
            inbox::send_dungeon_visit(ctx, them, social.dungeon_host_points);
            res.host_points = social.dungeon_host_points;
        }
        ctx.events.push(GameEvent::DungeonWon);
        (res.gold, res.monster_exp, res.pay_pct) = (gold, exp, pct);
    }
    ctx.log(
        "dungeon_finish",
        format!("friend={them} token={} inputs={} elapsed_ms={}", battle.token, judged.inputs, req.elapsed_ms),
        format!("won={} stars={} turns={}", judged.won, judged.stars, judged.turns),
    );
    res.user = Some(ctx.user.to_proto(data, now));
    Ok(res)
}
