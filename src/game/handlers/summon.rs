//! Summoning: single and ten draws from a pool of the game data, paid in the pool's
//! currency, drawn from the user's stream with the pool's pity rule; and the published odds.
//!
//! Each draw appends a `summon` action-log row (pool, game-data version, stream position
//! before the draw, pity count, result) from which `summoner-audit replay-summon` redraws it.

use summoner_proto::api::{
    ErrorCode, GetSummonRatesReq, GetSummonRatesRes, MonsterRate, PoolRates, RarityRate, SummonReq, SummonRes,
    SummonedMonster,
};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::odds::Odds;
use crate::game::{monsters, wallet};

/// The action-log action of one draw.
pub const SUMMON_LOG: &str = "summon";

/// One draw as its action-log row records it (written here, read back by audits).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SummonRecord {
    pub pool: String,
    /// The game-data version drawn with.
    pub version: u32,
    /// The stream's word position before the draw.
    pub position: u128,
    /// Draws without a pity-rarity monster before this one.
    pub pity: u32,
    pub monster: String,
    pub rarity: u32,
    /// The id of the monster it gave.
    pub monster_id: u64,
    pub by_pity: bool,
    /// Drawn from the stream of the user's 256-bit key (`keyed=1`); without it, from the
    /// stream of their 63-bit seed, as every draw before keys and any a node of an older
    /// version makes during a rolling deploy (it knows no key).
    pub keyed: bool,
}

impl SummonRecord {
    /// The row's `params`.
    pub fn params(&self) -> String {
        let keyed = if self.keyed { " keyed=1" } else { "" };
        format!("pool={} version={} position={} pity={}{keyed}", self.pool, self.version, self.position, self.pity)
    }

    /// The row's `result`.
    pub fn result(&self) -> String {
        format!("monster={} rarity={} id={} by_pity={}", self.monster, self.rarity, self.monster_id, self.by_pity)
    }

    /// Reads a row's `params` and `result` back; the error names the field that is wrong.
    pub fn parse(params: &str, result: &str) -> Result<Self, String> {
        let fields = |text: &str| -> std::collections::BTreeMap<String, String> {
            text.split(' ').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
        };
        let (p, r) = (fields(params), fields(result));
        let text = |map: &std::collections::BTreeMap<String, String>, key: &str| {
            map.get(key).cloned().ok_or_else(|| key.to_owned())
        };
        fn number<T: std::str::FromStr>(value: String, key: &str) -> Result<T, String> {
            value.parse().map_err(|_| key.to_owned())
        }
        Ok(Self {
            pool: text(&p, "pool")?,
            version: number(text(&p, "version")?, "version")?,
            position: number(text(&p, "position")?, "position")?,
            pity: number(text(&p, "pity")?, "pity")?,
            monster: text(&r, "monster")?,
            rarity: number(text(&r, "rarity")?, "rarity")?,
            monster_id: number(text(&r, "id")?, "id")?,
            by_pity: number(text(&r, "by_pity")?, "by_pity")?,
            keyed: p.get("keyed").is_some_and(|v| v == "1"),
        })
    }
}

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
        let record = SummonRecord {
            pool: pool.uid.clone(),
            version: data.version,
            position,
            pity,
            monster: draw.monster.clone(),
            rarity: draw.rarity,
            monster_id: monster.id,
            by_pity: draw.by_pity,
            keyed: ctx.user.profile.stream_key().is_some(),
        };
        ctx.log(SUMMON_LOG, record.params(), record.result());
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
            let odds = Odds::of(pool);
            let pity = wallet::counter(ctx, &pity_counter(&pool.uid)).max(0) as u32;
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
                pity,
                consolidated: odds
                    .rarities
                    .iter()
                    .map(|&(rarity, probability)| RarityRate { rarity, probability })
                    .collect(),
                top_rarity: odds.top_rarity,
                expected_draws_to_top: odds.draws_to_top,
                expected_draws_to_top_now: Odds::draws_to_top_from(pool, pity),
            }
        })
        .collect();
    Ok(GetSummonRatesRes { gamedata_version: ctx.data.version, pools })
}
