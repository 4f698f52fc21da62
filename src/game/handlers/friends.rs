//! Friend operations: recommendations and a friend's snapshot. Both read what the
//! actor's `fetch` step brought ([`crate::game::friends::Fetched`]).

use summoner_proto::api::{
    ErrorCode, GetFriendSnapshotReq, GetFriendSnapshotRes, RecommendFriendsReq, RecommendFriendsRes,
};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::friends::{self, Fetched};

/// RecommendFriends: recently active players near the user's level, not friends yet.
pub fn recommend_friends(ctx: &mut HandlerCtx, _req: &RecommendFriendsReq) -> HandlerResult<RecommendFriendsRes> {
    let (own, near) = match ctx.fetched {
        Some(Fetched::Candidates { own, near }) => (own.as_slice(), near.as_slice()),
        _ => (&[][..], &[][..]),
    };
    let draft = &*ctx.user;
    let is_friend = |id| draft.owned.friends.contains(&id);
    let asker = friends::Asker { profile: &draft.profile, is_friend: &is_friend };
    Ok(RecommendFriendsRes { candidates: friends::pick(&asker, own, near, ctx.seq) })
}

/// GetFriendSnapshot: a friend as the friend dungeon shows them.
pub fn get_friend_snapshot(ctx: &mut HandlerCtx, req: &GetFriendSnapshotReq) -> HandlerResult<GetFriendSnapshotRes> {
    if !ctx.user.owned.friends.contains(&req.user_id) {
        return Err(Refusal::new(ErrorCode::NotFriends, format!("user {} is not on your friend list", req.user_id)));
    }
    match ctx.fetched {
        Some(Fetched::Snapshot(Some(snapshot))) => Ok(GetFriendSnapshotRes { snapshot: Some(snapshot.clone()) }),
        _ => Err(Refusal::new(ErrorCode::UnknownUser, format!("user {} does not exist", req.user_id))),
    }
}
