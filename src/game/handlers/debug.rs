//! Debug operations, served only with `debug.test_operations = true`: tests use them to
//! prove that a failing handler costs only its own request, and to give users friends and
//! monsters before the game's own operations for them exist.

use std::convert::Infallible;

use summoner_proto::api::{
    DebugAddFriendReq, DebugAddFriendRes, DebugFeedMonstersReq, DebugFeedMonstersRes, DebugGrantMonstersReq,
    DebugGrantMonstersRes, DebugPanicReq, ErrorCode,
};
use summoner_proto::gamedata::Currency;

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::entities::{Friend, Monster};
use crate::game::reads::{Asking, Fetched, Need};
use crate::game::wallet;

/// DebugAddFriend reads the other user's snapshot.
pub fn add_friend_reads(ask: &Asking, req: &DebugAddFriendReq) -> Option<Need> {
    let reads = ask.test_operations && req.user_id != ask.state.user_id() && !ask.is_friend(req.user_id);
    reads.then_some(Need::Snapshot { user: req.user_id })
}

/// Most monsters one DebugGrantMonsters creates.
pub const MAX_GRANT: u32 = 50;
/// Gold one DebugFeedMonsters costs per monster involved (the target and each one fed).
pub const FEED_GOLD: u64 = 10;

fn enabled(ctx: &HandlerCtx) -> HandlerResult<()> {
    if ctx.test_operations {
        Ok(())
    } else {
        Err(Refusal::new(ErrorCode::OperationDisabled, "debug operations are disabled"))
    }
}

/// DebugPanic: panics after changing the draft, so a test can check that nothing of it
/// survives.
pub fn panic(ctx: &mut HandlerCtx, _req: &DebugPanicReq) -> HandlerResult<Infallible> {
    enabled(ctx)?;
    ctx.user.profile.gold = ctx.user.profile.gold.saturating_add(1_000_000);
    panic!("DebugPanic requested by user {}", ctx.user.user_id());
}

/// DebugAddFriend: puts a user on the caller's friend list (tests need friends before the
/// request/accept flow exists). Idempotent; the user must exist.
pub fn add_friend(ctx: &mut HandlerCtx, req: &DebugAddFriendReq) -> HandlerResult<DebugAddFriendRes> {
    enabled(ctx)?;
    if req.user_id == ctx.user.user_id() {
        return Err(Refusal::new(ErrorCode::InvalidArgument, "you cannot befriend yourself"));
    }
    let friends = &mut ctx.user.owned.friends;
    if !friends.contains(&req.user_id) {
        if !matches!(ctx.fetched, Some(Fetched::Snapshot(Some(_)))) {
            return Err(Refusal::new(ErrorCode::UnknownUser, format!("user {} does not exist", req.user_id)));
        }
        let limit = ctx.data.social.friend_limit;
        if friends.len() >= limit {
            return Err(Refusal::new(ErrorCode::FriendListFull, format!("at most {limit} friends")));
        }
        friends.insert(Friend::new(req.user_id, -1, ctx.now_ms));
        ctx.log("add_friend", format!("friend={}", req.user_id), String::new());
    }
    Ok(DebugAddFriendRes { friend_ids: ctx.user.owned.friends.iter().map(|f| f.id).collect() })
}

/// DebugGrantMonsters: creates `count` level-1 monsters of a template of the game data, with
/// ids minted from the user's block.
pub fn grant_monsters(ctx: &mut HandlerCtx, req: &DebugGrantMonstersReq) -> HandlerResult<DebugGrantMonstersRes> {
    enabled(ctx)?;
    if !(1..=MAX_GRANT).contains(&req.count) {
        return Err(Refusal::new(ErrorCode::InvalidArgument, format!("count must be 1 to {MAX_GRANT}")));
    }
    if !ctx.data.content.data.monsters.iter().any(|m| m.uid == req.template) {
        return Err(Refusal::new(
            ErrorCode::InvalidArgument,
            format!("no monster {:?} in the game data", req.template),
        ));
    }
    let mut monster_ids = Vec::with_capacity(req.count as usize);
    for _ in 0..req.count {
        let id = ctx.mint_id();
        let monster = Monster {
            id,
            template: req.template.clone(),
            level: 1,
            exp: 0,
            grade: 0,
            locked: false,
            acquired_at_ms: ctx.now_ms,
        };
        ctx.user.owned.monsters.insert(monster);
        monster_ids.push(id);
    }
    ctx.log("debug_grant_monsters", format!("template={} count={}", req.template, req.count), String::new());
    Ok(DebugGrantMonstersRes { monster_ids })
}

/// DebugFeedMonsters: feeds `food` (other owned, unlocked monsters, each once) into
/// `target`: the food is removed, the target gains a level per monster fed and some
/// experience, and it costs [`FEED_GOLD`] per monster involved. With no food it only
/// touches the target: the smallest change of one monster.
pub fn feed_monsters(ctx: &mut HandlerCtx, req: &DebugFeedMonstersReq) -> HandlerResult<DebugFeedMonstersRes> {
    enabled(ctx)?;
    let monsters = &ctx.user.owned.monsters;
    if !monsters.contains(&req.target) {
        return Err(Refusal::new(ErrorCode::InvalidArgument, format!("you own no monster {}", req.target)));
    }
    let mut seen = std::collections::HashSet::new();
    for food in &req.food {
        let Some(monster) = monsters.get(food) else {
            return Err(Refusal::new(ErrorCode::InvalidArgument, format!("you own no monster {food}")));
        };
        if *food == req.target || !seen.insert(*food) || monster.locked {
            return Err(Refusal::new(ErrorCode::InvalidArgument, format!("monster {food} cannot be fed")));
        }
    }
    let cost = FEED_GOLD * (1 + req.food.len() as u64);
    wallet::spend(ctx, Currency::Gold, cost, "debug_feed")?;
    for food in &req.food {
        ctx.user.owned.monsters.remove(food);
    }
    let fed = req.food.len() as u32;
    let Some(target) = ctx.user.owned.monsters.get_mut(&req.target) else {
        return Err(Refusal::new(ErrorCode::InvalidArgument, format!("you own no monster {}", req.target)));
    };
    target.level = target.level.saturating_add(fed);
    target.exp = target.exp.saturating_add(1 + 100 * u64::from(fed));
    let (level, exp) = (target.level, target.exp);
    ctx.log("debug_feed_monsters", format!("target={} food={}", req.target, fed), format!("level={level}"));
    Ok(DebugFeedMonstersRes { level, exp, gold_spent: cost })
}
