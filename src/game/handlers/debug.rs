//! Debug operations, served only with `debug.test_operations = true` (tests use them to
//! prove that a failing handler costs only its own request).

use std::convert::Infallible;

use summoner_proto::api::{DebugAddFriendReq, DebugAddFriendRes, DebugPanicReq, ErrorCode};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::friends::{Fetched, MAX_FRIENDS};

/// DebugPanic: panics after changing the draft, so a test can check that nothing of it
/// survives.
pub fn panic(ctx: &mut HandlerCtx, _req: &DebugPanicReq) -> HandlerResult<Infallible> {
    if !ctx.test_operations {
        return Err(Refusal::new(ErrorCode::OperationDisabled, "debug operations are disabled"));
    }
    ctx.user.gold = ctx.user.gold.saturating_add(1_000_000);
    panic!("DebugPanic requested by user {}", ctx.user.user_id);
}

/// DebugAddFriend: puts a user on the caller's friend list (tests need friends before the
/// request/accept flow exists). Idempotent; the user must exist.
pub fn add_friend(ctx: &mut HandlerCtx, req: &DebugAddFriendReq) -> HandlerResult<DebugAddFriendRes> {
    if !ctx.test_operations {
        return Err(Refusal::new(ErrorCode::OperationDisabled, "debug operations are disabled"));
    }
    if req.user_id == ctx.user.user_id {
        return Err(Refusal::new(ErrorCode::InvalidArgument, "you cannot befriend yourself"));
    }
    if !ctx.user.friends.contains(&req.user_id) {
        if !matches!(ctx.fetched, Some(Fetched::Snapshot(Some(_)))) {
            return Err(Refusal::new(ErrorCode::UnknownUser, format!("user {} does not exist", req.user_id)));
        }
        if ctx.user.friends.len() >= MAX_FRIENDS {
            return Err(Refusal::new(ErrorCode::FriendListFull, format!("at most {MAX_FRIENDS} friends")));
        }
        ctx.user.friends.push(req.user_id);
        ctx.log("add_friend", format!("friend={}", req.user_id), String::new());
    }
    Ok(DebugAddFriendRes { friend_ids: ctx.user.friends.clone() })
}
