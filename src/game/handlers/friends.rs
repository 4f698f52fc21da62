//! Friend operations: recommendations, a friend's snapshot, requests and their answers,
//! removal, the lists, and gifts. What they do to the other user travels as a delivery
//! (`crate::game::inbox`); what they read of other users is named beside each (`*_reads`, registered in the dispatch
//! table) and brought by the service before the handler runs ([`Fetched`]).

use std::collections::HashMap;

use summoner_proto::api::{
    AcceptFriendRequestReq, AcceptFriendRequestRes, CancelFriendRequestReq, CancelFriendRequestRes,
    DeclineFriendRequestReq, DeclineFriendRequestRes, ErrorCode, FriendInfo, FriendRequestInfo, FriendSnapshot,
    GetFriendSnapshotReq, GetFriendSnapshotRes, ListFriendRequestsReq, ListFriendRequestsRes, ListFriendsReq,
    ListFriendsRes, RecommendFriendsReq, RecommendFriendsRes, RemoveFriendReq, RemoveFriendRes, SendFriendRequestReq,
    SendFriendRequestRes, SendGiftReq, SendGiftRes,
};
use summoner_proto::social::Op;

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::entities::{Friend, FriendRequest};
use crate::game::friends;
use crate::game::inbox::{self, Pair};
use crate::game::reads::{Asking, Fetched, Need};
use crate::game::wallet;

/// RecommendFriends reads the recently active players of the user's level bucket.
pub fn recommend_reads(ask: &Asking, _req: &RecommendFriendsReq) -> Option<Need> {
    Some(Need::Candidates { bucket: friends::bucket(ask.state.profile.level) })
}

/// GetFriendSnapshot reads a friend's snapshot (a stranger's is refused unread).
pub fn snapshot_reads(ask: &Asking, req: &GetFriendSnapshotReq) -> Option<Need> {
    ask.may_be_friend(req.user_id).then_some(Need::Snapshot { user: req.user_id })
}

/// SendFriendRequest reads the other user's card (a stranger's teams and monsters are none of
/// the asker's business), unless the handler refuses unread.
pub fn send_request_reads(ask: &Asking, req: &SendFriendRequestReq) -> Option<Need> {
    let me = ask.state;
    let asks = req.user_id != me.user_id()
        && !ask.is_friend(req.user_id)
        && !me.owned.friend_requests.contains_key(&req.user_id);
    asks.then_some(Need::Card { user: req.user_id })
}

/// ListFriends reads the friends as lists show them (`crate::service::friend_reads::profiles`:
/// their cached snapshots, else their profiles).
pub fn list_friends_reads(ask: &Asking, _req: &ListFriendsReq) -> Option<Need> {
    let friends = &ask.state.owned.friends;
    if friends.is_empty() {
        return None;
    }
    let (known, unknown): (Vec<_>, Vec<_>) = friends.values().partition(|f| f.shard >= 0);
    Some(Need::Profiles {
        placed: known.iter().map(|f| (f.id, f.shard)).collect(),
        unplaced: unknown.iter().map(|f| f.id).collect(),
    })
}

/// ListFriendRequests reads those asking and asked, as ListFriends reads friends.
pub fn list_requests_reads(ask: &Asking, _req: &ListFriendRequestsReq) -> Option<Need> {
    let requests = &ask.state.owned.friend_requests;
    if requests.is_empty() {
        return None;
    }
    let (known, unknown): (Vec<_>, Vec<_>) = requests.values().partition(|r| r.other_shard >= 0);
    Some(Need::Profiles {
        placed: known.iter().map(|r| (r.other, r.other_shard)).collect(),
        unplaced: unknown.iter().map(|r| r.other).collect(),
    })
}

/// RecommendFriends: recently active players near the user's level, not friends yet and with
/// no request pending either way.
pub fn recommend_friends(ctx: &mut HandlerCtx, _req: &RecommendFriendsReq) -> HandlerResult<RecommendFriendsRes> {
    let (own, near) = match ctx.fetched {
        Some(Fetched::Candidates { own, near }) => (own.as_slice(), near.as_slice()),
        _ => (&[][..], &[][..]),
    };
    let draft = &*ctx.user;
    let taken = |id| draft.owned.friends.contains(&id) || draft.owned.friend_requests.contains(&id);
    let asker = friends::Asker { profile: &draft.profile, is_friend_or_asked: &taken };
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

/// SendFriendRequest: asks `user_id` to be friends (see `crate::game::inbox` for how the
/// two sides agree).
pub fn send_friend_request(ctx: &mut HandlerCtx, req: &SendFriendRequestReq) -> HandlerResult<SendFriendRequestRes> {
    let them = req.user_id;
    if them == ctx.user.user_id() {
        return Err(Refusal::new(ErrorCode::CannotBefriendSelf, "you cannot befriend yourself"));
    }
    match inbox::pair(ctx, them) {
        Pair::None => {}
        Pair::Friends => {
            return Err(Refusal::new(ErrorCode::AlreadyFriends, format!("user {them} is your friend already")));
        }
        Pair::Asked => {
            return Err(Refusal::new(ErrorCode::RequestPending, format!("you asked user {them} already")));
        }
        Pair::AskedBy => {
            let message = format!("user {them} asked you already: accept their request");
            return Err(Refusal::new(ErrorCode::RequestPending, message));
        }
    }
    let limit = ctx.data.social.friend_limit;
    if inbox::friend_slots_taken(ctx) >= limit {
        let message = format!("friends and requests sent reached the limit of {limit}");
        return Err(Refusal::new(ErrorCode::FriendListFull, message));
    }
    let snapshot = match ctx.fetched {
        Some(Fetched::Snapshot(Some(snapshot))) => snapshot.clone(),
        _ => return Err(Refusal::new(ErrorCode::UnknownUser, format!("user {them} does not exist"))),
    };
    if snapshot.request_box_full {
        return Err(Refusal::new(ErrorCode::RequestBoxFull, format!("user {them} has too many requests waiting")));
    }
    inbox::change(ctx, them, Op::Ask, Pair::Asked);
    ctx.log("friend_request_sent", format!("to={them}"), String::new());
    let request =
        FriendRequestInfo { user_id: them, nickname: snapshot.nickname, level: snapshot.level, sent_at_ms: ctx.now_ms };
    Ok(SendFriendRequestRes { request: Some(request) })
}

/// Refuses unless `them` asked the user and waits for an answer.
fn asked_by(ctx: &HandlerCtx, them: u64) -> HandlerResult<()> {
    match inbox::pair(ctx, them) {
        Pair::AskedBy => Ok(()),
        _ => Err(Refusal::new(ErrorCode::NoSuchRequest, format!("no friend request from user {them}"))),
    }
}

/// AcceptFriendRequest: the friendship starts here now, and on their side when the
/// acceptance arrives (their request holds a place for it in their limit).
pub fn accept_friend_request(
    ctx: &mut HandlerCtx,
    req: &AcceptFriendRequestReq,
) -> HandlerResult<AcceptFriendRequestRes> {
    let them = req.user_id;
    asked_by(ctx, them)?;
    let limit = ctx.data.social.friend_limit;
    if inbox::friend_slots_taken(ctx) >= limit {
        return Err(Refusal::new(ErrorCode::FriendListFull, format!("you have {limit} friends and requests sent")));
    }
    inbox::change(ctx, them, Op::Accept, Pair::Friends);
    ctx.log("friend_request_accepted", format!("from={them}"), String::new());
    let friend = ctx.user.owned.friends.get(&them).map(|f| friend_info(ctx, f, None));
    Ok(AcceptFriendRequestRes { friend })
}

/// DeclineFriendRequest: the request goes, and the sender learns it.
pub fn decline_friend_request(
    ctx: &mut HandlerCtx,
    req: &DeclineFriendRequestReq,
) -> HandlerResult<DeclineFriendRequestRes> {
    let them = req.user_id;
    asked_by(ctx, them)?;
    inbox::change(ctx, them, Op::Decline, Pair::None);
    ctx.log("friend_request_declined", format!("from={them}"), String::new());
    Ok(DeclineFriendRequestRes {})
}

/// CancelFriendRequest: withdraws a request the user sent.
pub fn cancel_friend_request(
    ctx: &mut HandlerCtx,
    req: &CancelFriendRequestReq,
) -> HandlerResult<CancelFriendRequestRes> {
    let them = req.user_id;
    if inbox::pair(ctx, them) != Pair::Asked {
        return Err(Refusal::new(ErrorCode::NoSuchRequest, format!("no friend request to user {them}")));
    }
    inbox::change(ctx, them, Op::Cancel, Pair::None);
    ctx.log("friend_request_cancelled", format!("to={them}"), String::new());
    Ok(CancelFriendRequestRes {})
}

/// RemoveFriend: ends the friendship here now, and on their side when the removal arrives.
pub fn remove_friend(ctx: &mut HandlerCtx, req: &RemoveFriendReq) -> HandlerResult<RemoveFriendRes> {
    let them = req.user_id;
    if inbox::pair(ctx, them) != Pair::Friends {
        return Err(Refusal::new(ErrorCode::NotFriends, format!("user {them} is not on your friend list")));
    }
    inbox::change(ctx, them, Op::Remove, Pair::None);
    ctx.log("friend_removed", format!("friend={them}"), String::new());
    Ok(RemoveFriendRes {})
}

fn friend_info(ctx: &HandlerCtx, friend: &Friend, snapshot: Option<FriendSnapshot>) -> FriendInfo {
    let gift = ctx.user.owned.counters.get(friends::gifted(friend.id).as_str());
    let gift_again_at_ms = gift.filter(|c| c.resets_at_ms > ctx.now_ms).map_or(0, |c| c.resets_at_ms);
    FriendInfo { snapshot, user_id: friend.id, since_ms: friend.since_ms, gift_again_at_ms }
}

/// The snapshots the fetch step read, by user.
fn fetched_profiles(ctx: &HandlerCtx) -> HashMap<u64, FriendSnapshot> {
    match ctx.fetched {
        Some(Fetched::Profiles(list)) => list.iter().map(|s| (s.user_id, s.clone())).collect(),
        _ => HashMap::new(),
    }
}

/// ListFriends: every friend, oldest friendship first, with their snapshot as read (cached
/// or from their profile; without their team).
pub fn list_friends(ctx: &mut HandlerCtx, _req: &ListFriendsReq) -> HandlerResult<ListFriendsRes> {
    let mut snapshots = fetched_profiles(ctx);
    let mut friends: Vec<&Friend> = ctx.user.owned.friends.iter().collect();
    friends.sort_by_key(|f| (f.since_ms, f.id));
    let friends = friends.into_iter().map(|f| friend_info(ctx, f, snapshots.remove(&f.id))).collect();
    Ok(ListFriendsRes { friends, friend_limit: ctx.data.social.friend_limit as u32 })
}

/// ListFriendRequests: requests received and sent, oldest first.
pub fn list_friend_requests(
    ctx: &mut HandlerCtx,
    _req: &ListFriendRequestsReq,
) -> HandlerResult<ListFriendRequestsRes> {
    let snapshots = fetched_profiles(ctx);
    let mut requests: Vec<&FriendRequest> = ctx.user.owned.friend_requests.iter().collect();
    requests.sort_by_key(|r| (r.sent_at_ms, r.other));
    let info = |r: &FriendRequest| {
        let (nickname, level) = snapshots.get(&r.other).map_or((String::new(), 0), |s| (s.nickname.clone(), s.level));
        FriendRequestInfo { user_id: r.other, nickname, level, sent_at_ms: r.sent_at_ms }
    };
    Ok(ListFriendRequestsRes {
        incoming: requests.iter().filter(|r| !r.outgoing).map(|r| info(r)).collect(),
        outgoing: requests.iter().filter(|r| r.outgoing).map(|r| info(r)).collect(),
        box_limit: ctx.data.social.request_limit as u32,
    })
}

/// SendGift: friendship points to one friend, or to every friend not gifted today (user 0),
/// once per friend per game day; they arrive as mail.
pub fn send_gift(ctx: &mut HandlerCtx, req: &SendGiftReq) -> HandlerResult<SendGiftRes> {
    let gifted_today = |ctx: &HandlerCtx, id: u64| wallet::counter(ctx, &friends::gifted(id)) > 0;
    let targets: Vec<u64> = if req.user_id == 0 {
        let mut ready: Vec<&Friend> = ctx.user.owned.friends.iter().filter(|f| !gifted_today(ctx, f.id)).collect();
        if ctx.user.owned.friends.is_empty() {
            return Err(Refusal::new(ErrorCode::NotFriends, "you have no friends to gift"));
        }
        ready.sort_by_key(|f| (f.since_ms, f.id));
        ready.into_iter().map(|f| f.id).collect()
    } else {
        if !ctx.user.owned.friends.contains(&req.user_id) {
            let message = format!("user {} is not on your friend list", req.user_id);
            return Err(Refusal::new(ErrorCode::NotFriends, message));
        }
        if gifted_today(ctx, req.user_id) {
            let message = format!("a gift to user {} was sent today already", req.user_id);
            return Err(Refusal::new(ErrorCode::GiftAlreadySent, message));
        }
        vec![req.user_id]
    };
    if targets.is_empty() {
        return Err(Refusal::new(ErrorCode::GiftAlreadySent, "every friend had a gift today already"));
    }
    // Each gift mints one delivery id: the rest of the friends wait for the next request.
    let room = usize::try_from(ctx.mint_room()).unwrap_or(0);
    let again_at_ms = ctx.data.reset.next_reset(ctx.now_ms);
    let points = ctx.data.social.gift_points;
    let mut sent_to = Vec::new();
    for them in targets.into_iter().take(room) {
        wallet::set_counter(ctx, &friends::gifted(them), 1, again_at_ms);
        inbox::send_gift(ctx, them, points);
        ctx.events.push(GameEvent::GiftSent);
        ctx.log("gift_sent", format!("to={them} points={points}"), String::new());
        sent_to.push(them);
    }
    Ok(SendGiftRes { sent_to, points, again_at_ms })
}
