//! Summoning: single and ten draws from a pool of the game data, paid in the pool's
//! currency, drawn from the user's stream with the pool's pity rule; and the published odds.
//!
//! Each draw appends a `summon` action-log row (pool, game-data version, stream position
//! before the draw, pity count, result) from which `summoner audit replay-summon` redraws it.

use summoner_proto::api::{
    ErrorCode, GetSummonRatesReq, GetSummonRatesRes, MonsterRate, PoolRates, RarityRate, SummonReq, SummonRes,
    SummonedMonster,
};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::{monsters, wallet};

/// The action-log action of one draw.
pub const SUMMON_LOG: &str = "summon";

/// The counter holding a pool's draws since its last pity-rarity monster.
pub fn pity_counter(pool: &str) -> String {
    format!("pity.{pool}")
}

/// Summon: `count` (1 or 10) draws from `pool`.
pub fn summon(ctx: &mut HandlerCtx, req: &SummonReq) -> HandlerResult<SummonRes> {
    let data = ctx.data;
    let Some(pool) = data.pool(&req.pool) else {
        return Err(Refusal::new(ErrorCode::UnknownPool, format!("no summon pool {:?}", req.pool)));
    };
    if req.count != 1 && req.count != 10 {
        return Err(Refusal::new(ErrorCode::InvalidArgument, "count must be 1 or 10"));
    }
    let owned = ctx.user.owned.monsters.len();
    if owned + req.count as usize > data.box_rules.limit {
        return Err(Refusal::new(
            ErrorCode::BoxFull,
            format!("the box holds {} monsters; you have {owned}", data.box_rules.limit),
        ));
    }
    wallet::spend(ctx, pool.currency, pool.price(req.count), "summon")?;
    let counter = pity_counter(&pool.uid);
    let mut pity = wallet::counter(ctx, &counter).max(0) as u32;
    let mut out = Vec::with_capacity(req.count as usize);
    for _ in 0..req.count {
        let position = ctx.rng.get_word_pos();
        let draw = pool.draw(ctx.rng, pity);
        let monster = monsters::mint(ctx, &draw.monster);
        ctx.log(
            SUMMON_LOG,
            format!("pool={} version={} position={position} pity={pity}", pool.uid, data.version),
            format!("monster={} rarity={} id={} by_pity={}", draw.monster, draw.rarity, monster.id, draw.by_pity),
        );
        pity = if pool.resets_pity(draw.rarity) { 0 } else { pity.saturating_add(1) };
        ctx.events.push(GameEvent::Summoned { rarity: draw.rarity });
        out.push(SummonedMonster { monster: Some(monsters::info(data, &monster)), by_pity: draw.by_pity });
    }
    if pool.pity_after > 0 {
        wallet::set_counter(ctx, &counter, i64::from(pity), 0);
    }
    Ok(SummonRes {
        monsters: out,
        pity,
        pity_after: pool.pity_after,
        pity_rarity: pool.pity_rarity,
        user: Some(ctx.user.to_proto(data, ctx.now_ms)),
    })
}

/// GetSummonRates: every pool's odds, computed from the tables the draw uses.
pub fn get_summon_rates(ctx: &mut HandlerCtx, _req: &GetSummonRatesReq) -> HandlerResult<GetSummonRatesRes> {
    let pools = ctx
        .data
        .pools()
        .iter()
        .map(|pool| {
            let rates = pool.rates();
            PoolRates {
                pool: pool.uid.clone(),
                currency: wallet::currency_name(pool.currency).to_owned(),
                cost: pool.cost,
                ten_cost: pool.ten_cost,
                rarities: rates
                    .rarities
                    .iter()
                    .map(|&(rarity, probability)| RarityRate { rarity, probability })
                    .collect(),
                monsters: rates
                    .monsters
                    .into_iter()
                    .map(|(monster, rarity, probability)| MonsterRate { monster, rarity, probability })
                    .collect(),
                pity_after: pool.pity_after,
                pity_rarity: pool.pity_rarity,
                pity: wallet::counter(ctx, &pity_counter(&pool.uid)).max(0) as u32,
            }
        })
        .collect();
    Ok(GetSummonRatesRes { gamedata_version: ctx.data.version, pools })
}
