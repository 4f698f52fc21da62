//! The monster box: listing, locking, feeding (enhance), evolving, selling, and teams.

use std::collections::HashSet;

use summoner_proto::api::{
    EnhanceMonsterReq, EnhanceMonsterRes, ErrorCode, EvolveMonsterReq, EvolveMonsterRes, ListMonstersReq,
    ListMonstersRes, LockMonsterReq, LockMonsterRes, SellMonsterReq, SellMonsterRes, SetTeamReq, SetTeamRes, TeamInfo,
};
use summoner_proto::gamedata::Currency;

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::entities::{Monster, Team};
use crate::game::{monsters, stats, wallet};

/// The most monsters one list page holds.
pub const MAX_PAGE: u32 = 100;
const DEFAULT_PAGE: u32 = 50;

fn owned<'c>(ctx: &'c HandlerCtx, id: u64) -> HandlerResult<&'c Monster> {
    ctx.user
        .owned
        .monsters
        .get(&id)
        .ok_or_else(|| Refusal::new(ErrorCode::NoSuchMonster, format!("you own no monster {id}")))
}

/// Checks that `ids` are distinct owned monsters that may be consumed (fed or sold): unlocked
/// and in no team.
fn consumable(ctx: &HandlerCtx, ids: &[u64], except: Option<u64>) -> HandlerResult<()> {
    let mut seen = HashSet::new();
    for &id in ids {
        let monster = owned(ctx, id)?;
        if Some(id) == except || !seen.insert(id) {
            return Err(Refusal::new(ErrorCode::InvalidArgument, format!("monster {id} is listed twice")));
        }
        if monster.locked {
            return Err(Refusal::new(ErrorCode::MonsterLocked, format!("monster {id} is locked")));
        }
        if monsters::in_team(ctx, id) {
            return Err(Refusal::new(ErrorCode::MonsterInTeam, format!("monster {id} is in a team or an open battle")));
        }
    }
    Ok(())
}

/// ListMonsters: a page of the box, by id.
pub fn list_monsters(ctx: &mut HandlerCtx, req: &ListMonstersReq) -> HandlerResult<ListMonstersRes> {
    let limit = match req.limit {
        0 => DEFAULT_PAGE,
        n if n <= MAX_PAGE => n,
        _ => return Err(Refusal::new(ErrorCode::InvalidArgument, format!("limit must be 1 to {MAX_PAGE}"))),
    };
    let total = ctx.user.owned.monsters.len() as u32;
    let page: Vec<_> = ctx
        .user
        .owned
        .monsters
        .iter()
        .skip(req.offset as usize)
        .take(limit as usize)
        .map(|m| monsters::info(ctx.data, m))
        .collect();
    let end = req.offset.saturating_add(page.len() as u32);
    Ok(ListMonstersRes {
        monsters: page,
        total,
        box_limit: ctx.data.box_rules.limit as u32,
        next_offset: if end < total { end } else { 0 },
    })
}

/// LockMonster: locks or unlocks one monster (idempotent).
pub fn lock_monster(ctx: &mut HandlerCtx, req: &LockMonsterReq) -> HandlerResult<LockMonsterRes> {
    if owned(ctx, req.monster_id)?.locked != req.locked {
        if let Some(monster) = ctx.user.owned.monsters.get_mut(&req.monster_id) {
            monster.locked = req.locked;
        }
        ctx.log("lock_monster", format!("id={} locked={}", req.monster_id, req.locked), String::new());
    }
    let monster = owned(ctx, req.monster_id)?;
    Ok(LockMonsterRes { monster: Some(monsters::info(ctx.data, monster)) })
}

/// EnhanceMonster: feeds monsters into `target` for experience and gold.
pub fn enhance_monster(ctx: &mut HandlerCtx, req: &EnhanceMonsterReq) -> HandlerResult<EnhanceMonsterRes> {
    let data = ctx.data;
    let target = owned(ctx, req.target)?.clone();
    if req.food.is_empty() {
        return Err(Refusal::new(ErrorCode::InvalidArgument, "feed at least one monster"));
    }
    consumable(ctx, &req.food, Some(req.target))?;
    if target.level >= monsters::level_cap(data, &target) {
        return Err(Refusal::new(ErrorCode::LevelCapReached, format!("monster {} is at its level cap", target.id)));
    }
    let per_food = data.rarity(monsters::rarity(data, &target)).map_or(0, |r| u64::from(r.enhance_gold));
    let gold = per_food * req.food.len() as u64;
    wallet::spend(ctx, Currency::Gold, gold, "enhance")?;
    let mut exp = 0u64;
    for id in &req.food {
        if let Some(food) = ctx.user.owned.monsters.remove(id) {
            let feed = data.rarity(monsters::rarity(data, &food)).map_or(0, |r| u64::from(r.feed_exp));
            exp = exp.saturating_add(feed * u64::from(food.level));
        }
    }
    let mut grown = target;
    let levels = monsters::gain_exp(data, &mut grown, exp);
    ctx.user.owned.monsters.put(grown.clone());
    ctx.log(
        "enhance_monster",
        format!("target={} food={:?}", grown.id, req.food),
        format!("exp=+{exp} level={} gold=-{gold}", grown.level),
    );
    ctx.events.push(GameEvent::Enhanced);
    Ok(EnhanceMonsterRes {
        monster: Some(monsters::info(data, &grown)),
        gold_spent: gold,
        levels_gained: levels,
        user: Some(ctx.user.to_proto(data, ctx.now_ms)),
    })
}

/// EvolveMonster: one rarity up, at the level cap, for gold and items.
pub fn evolve_monster(ctx: &mut HandlerCtx, req: &EvolveMonsterReq) -> HandlerResult<EvolveMonsterRes> {
    let data = ctx.data;
    let mut monster = owned(ctx, req.monster_id)?.clone();
    let rarity = monsters::rarity(data, &monster);
    let Some(rule) = data.rarity(rarity).filter(|_| rarity < data.max_rarity()) else {
        return Err(Refusal::new(ErrorCode::TopRarity, format!("monster {} is of the top rarity", monster.id)));
    };
    if monster.level < rule.level_cap {
        return Err(Refusal::new(
            ErrorCode::NotAtLevelCap,
            format!("monster {} must reach level {} first", monster.id, rule.level_cap),
        ));
    }
    wallet::spend_items(ctx, &rule.evolve_item, u64::from(rule.evolve_item_count), "evolve")?;
    wallet::spend(ctx, Currency::Gold, u64::from(rule.evolve_gold), "evolve")?;
    monster.grade += 1;
    ctx.user.owned.monsters.put(monster.clone());
    ctx.log("evolve_monster", format!("id={}", monster.id), format!("rarity={}", rarity + 1));
    ctx.events.push(GameEvent::Evolved);
    Ok(EvolveMonsterRes {
        monster: Some(monsters::info(data, &monster)),
        user: Some(ctx.user.to_proto(data, ctx.now_ms)),
    })
}

/// SellMonster: sells monsters for their rarity's gold.
pub fn sell_monster(ctx: &mut HandlerCtx, req: &SellMonsterReq) -> HandlerResult<SellMonsterRes> {
    let data = ctx.data;
    if req.monster_ids.is_empty() {
        return Err(Refusal::new(ErrorCode::InvalidArgument, "sell at least one monster"));
    }
    consumable(ctx, &req.monster_ids, None)?;
    let mut gold = 0u64;
    for id in &req.monster_ids {
        if let Some(monster) = ctx.user.owned.monsters.remove(id) {
            gold += data.rarity(monsters::rarity(data, &monster)).map_or(0, |r| u64::from(r.sell_gold));
            ctx.log("sell_monster", format!("id={id} template={}", monster.template), String::new());
        }
    }
    wallet::earn(ctx, Currency::Gold, gold, "sell");
    Ok(SellMonsterRes { gold_gained: gold, user: Some(ctx.user.to_proto(data, ctx.now_ms)) })
}

/// SetTeam: a slot's monsters, distinct and owned.
pub fn set_team(ctx: &mut HandlerCtx, req: &SetTeamReq) -> HandlerResult<SetTeamRes> {
    let rules = &ctx.data.box_rules;
    if !(1..=rules.team_slots).contains(&req.slot) {
        return Err(Refusal::new(ErrorCode::InvalidTeam, format!("team slots are 1 to {}", rules.team_slots)));
    }
    let ids = &req.monster_ids;
    if ids.is_empty() || ids.len() > rules.team_size {
        return Err(Refusal::new(ErrorCode::InvalidTeam, format!("a team has 1 to {} monsters", rules.team_size)));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(*id) {
            return Err(Refusal::new(ErrorCode::InvalidTeam, format!("monster {id} is listed twice")));
        }
        if !ctx.user.owned.monsters.contains(id) {
            return Err(Refusal::new(ErrorCode::InvalidTeam, format!("you own no monster {id}")));
        }
    }
    let team = Team { slot: u64::from(req.slot), members: ids.clone() };
    if ctx.user.owned.teams.get(&team.slot) != Some(&team) {
        ctx.user.owned.teams.put(team.clone());
        ctx.log("set_team", format!("slot={} monsters={ids:?}", req.slot), String::new());
    }
    // Friends see the first monster of the first team as the user's leader.
    if req.slot == 1
        && let Some(leader) = ids.first().and_then(|id| ctx.user.owned.monsters.get(id))
    {
        ctx.user.profile.leader = leader.template.clone();
    }
    Ok(SetTeamRes { team: Some(team_info(ctx, &team)) })
}

/// A team as the client sees it.
pub fn team_info(ctx: &HandlerCtx, team: &Team) -> TeamInfo {
    let members = team.members.iter().filter_map(|id| ctx.user.owned.monsters.get(id));
    TeamInfo {
        slot: team.slot as u32,
        monster_ids: team.members.clone(),
        power: stats::team_power(ctx.data, members, &[]),
    }
}
