//! Explore: spend stamina for gold and experience drawn from the user's RNG stream.

use rand::RngExt;
use summoner_proto::api::{ErrorCode, ExploreReq, ExploreRes, Extra, LevelUp, extra};
use summoner_proto::gamedata::Currency;

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::wallet;

/// Explore once.
pub fn explore(ctx: &mut HandlerCtx, _req: &ExploreReq) -> HandlerResult<ExploreRes> {
    let rules = &ctx.data.explore;
    if !ctx.user.profile.spend_stamina(ctx.data, rules.stamina_cost, ctx.now_ms) {
        return Err(Refusal::new(ErrorCode::NotEnoughStamina, format!("explore costs {} stamina", rules.stamina_cost)));
    }
    let gold = ctx.rng.random_range(rules.gold.clone());
    let exp = ctx.rng.random_range(rules.exp.clone());
    wallet::earn(ctx, Currency::Gold, u64::from(gold), "explore");
    ctx.events.push(GameEvent::Explored { gold, exp });
    let level_up = ctx.user.profile.gain_exp(ctx.data, u64::from(exp), ctx.now_ms);
    if let Some((from_level, to_level)) = level_up {
        ctx.events.push(GameEvent::LevelReached { level: to_level });
        ctx.extras.push(Extra { kind: Some(extra::Kind::LevelUp(LevelUp { from_level, to_level })) });
    }
    let profile = &ctx.user.profile;
    let result = format!("gold=+{gold} exp=+{exp} level={} stamina={}", profile.level, profile.stamina);
    ctx.log("explore", String::new(), result);
    Ok(ExploreRes { gold_gained: gold, exp_gained: exp, user: Some(ctx.user.to_proto(ctx.data, ctx.now_ms)) })
}
