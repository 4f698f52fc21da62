//! Monster rules shared by the operations: minting one, its rarity and level cap, growing it
//! with experience, and how the client sees it.

use summoner_proto::api::MonsterInfo;

use crate::game::context::HandlerCtx;
use crate::game::data::GameData;
use crate::game::entities::Monster;
use crate::game::stats;

/// Creates a level-1 monster of `template` with a minted id, in the user's box.
pub fn mint(ctx: &mut HandlerCtx, template: &str) -> Monster {
    let id = ctx.mint_id();
    let monster = Monster {
        id,
        template: template.to_owned(),
        level: 1,
        exp: 0,
        grade: 0,
        locked: false,
        acquired_at_ms: ctx.now_ms,
    };
    ctx.user.owned.monsters.insert(monster.clone());
    monster
}

/// The monster's rarity: its template's plus the steps it evolved.
pub fn rarity(data: &GameData, monster: &Monster) -> u32 {
    data.monster(&monster.template).map_or(1, |m| m.rarity) + monster.grade
}

/// The highest level of the monster's rarity.
pub fn level_cap(data: &GameData, monster: &Monster) -> u32 {
    data.rarity(rarity(data, monster)).map_or(1, |r| r.level_cap)
}

/// Experience from `level` to the next.
pub fn exp_to_next(data: &GameData, level: u32) -> u64 {
    u64::from(level.max(1)) * data.box_rules.exp_per_level
}

/// Adds experience, levelling up to the cap; experience beyond the cap is lost. Returns the
/// levels gained.
pub fn gain_exp(data: &GameData, monster: &mut Monster, exp: u64) -> u32 {
    let cap = level_cap(data, monster);
    let from = monster.level;
    if monster.level >= cap {
        return 0;
    }
    monster.exp = monster.exp.saturating_add(exp);
    while monster.level < cap {
        let need = exp_to_next(data, monster.level);
        if monster.exp < need {
            break;
        }
        monster.exp -= need;
        monster.level += 1;
    }
    if monster.level >= cap {
        monster.exp = 0;
    }
    monster.level - from
}

/// The monster as the client sees it.
pub fn info(data: &GameData, monster: &Monster) -> MonsterInfo {
    let stats = stats::monster_stats(data, monster);
    MonsterInfo {
        id: monster.id,
        template: monster.template.clone(),
        level: monster.level,
        exp: monster.exp,
        rarity: rarity(data, monster),
        locked: monster.locked,
        hp: stats.hp,
        attack: stats.attack,
        defense: stats.defense,
        power: stats.power(),
        element: data.monster(&monster.template).map(|m| m.element.clone()).unwrap_or_default(),
        acquired_at_ms: monster.acquired_at_ms,
        level_cap: level_cap(data, monster),
    }
}

/// Whether the monster is in any of the user's teams, or fighting an open battle.
pub fn in_team(ctx: &HandlerCtx, id: u64) -> bool {
    ctx.user.owned.teams.iter().any(|t| t.members.contains(&id))
        || ctx.user.owned.battles.iter().any(|b| ctx.now_ms < b.expires_at_ms && b.members.contains(&id))
}
