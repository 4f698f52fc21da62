//! The dispatch table: one line per operation, mapping a request payload to its handler
//! and the handler's answer to a response payload. Adding an operation is one handler
//! function and one line here.
//!
//! Around the table, [`dispatch`] does what every operation shares: it makes the draft
//! and positions the user's RNG stream, turns a refusal into an error response that
//! changes nothing, and turns a changed draft into the writes that make it durable.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use summoner_actors::Handled;
use summoner_proto::api::{ErrorCode, Request, Response, request::Payload as Q, response::Payload as A};

use crate::game::context::{HandlerCtx, Refusal};
use crate::game::data::GameData;
use crate::game::effects::Changes;
use crate::game::friends::{self, Fetched};
use crate::game::handlers::{debug, explore, friends as friend_ops, session, user};
use crate::game::state::UserState;
use crate::storage::Write;

fn route(ctx: &mut HandlerCtx, payload: &Q) -> Result<A, Refusal> {
    match payload {
        Q::GetUser(r) => user::get_user(ctx, r).map(A::GetUser),
        Q::SetNickname(r) => user::set_nickname(ctx, r).map(A::SetNickname),
        Q::Explore(r) => explore::explore(ctx, r).map(A::Explore),
        Q::Logout(r) => session::logout(ctx, r).map(A::Logout),
        Q::RecommendFriends(r) => friend_ops::recommend_friends(ctx, r).map(A::RecommendFriends),
        Q::GetFriendSnapshot(r) => friend_ops::get_friend_snapshot(ctx, r).map(A::GetFriendSnapshot),
        Q::DebugPanic(r) => debug::panic(ctx, r).map(|never| match never {}),
        Q::DebugAddFriend(r) => debug::add_friend(ctx, r).map(A::DebugAddFriend),
        Q::Register(_) | Q::Login(_) => {
            Err(Refusal::new(ErrorCode::UnknownOperation, "Register and Login are served without a session"))
        }
    }
}

/// The user's RNG stream at the position the state records.
pub fn rng_for(user: &UserState) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(user.rng_seed);
    rng.set_word_pos(u128::from(user.rng_word_pos));
    rng
}

/// Handles one request for `state` at `now_ms`. Pure: no I/O.
pub fn dispatch(
    data: &GameData,
    state: &UserState,
    request: &Request,
    fetched: Option<&Fetched>,
    now_ms: i64,
    test_operations: bool,
) -> Handled<UserState, Changes> {
    let Some(payload) = &request.payload else {
        return Handled::read_only(refusal_response(Refusal::new(
            ErrorCode::UnknownOperation,
            "the request has no payload this server knows",
        )));
    };
    let mut draft = state.clone();
    let mut rng = rng_for(&draft);
    let mut ctx = HandlerCtx {
        data,
        user: &mut draft,
        rng: &mut rng,
        now_ms,
        seq: request.seq,
        fetched,
        extras: Vec::new(),
        events: Vec::new(),
        logs: Vec::new(),
        test_operations,
    };
    let answer = route(&mut ctx, payload);
    let HandlerCtx { extras, events, logs, .. } = ctx;
    let answer = match answer {
        Ok(answer) => answer,
        Err(refusal) => return Handled::read_only(refusal_response(refusal)),
    };
    // The stream position is part of the state: a draw is consumed only if the request commits.
    draft.rng_word_pos = u64::try_from(rng.get_word_pos()).unwrap_or(u64::MAX);
    let response = Response { payload: Some(answer), extra: extras, ..Default::default() };
    let ends_session = matches!(payload, Q::Logout(_));
    let mut writes = Vec::new();
    if draft != *state {
        draft.updated_at_ms = now_ms;
        writes.push(Write::Profile(draft.clone()));
    }
    writes.extend(logs.into_iter().map(Write::ActionLog));
    let shards = draft.shards;
    let seen_by_friends_changed = draft.nickname != state.nickname || draft.level != state.level;
    let snapshot = seen_by_friends_changed.then(|| friends::snapshot(&draft, now_ms));
    let change = (!writes.is_empty()).then_some((draft, Changes { writes, events, shards, snapshot }));
    Handled { response, change, ends_session }
}

fn refusal_response(refusal: Refusal) -> Response {
    Response { error: refusal.code as i32, message: refusal.message, ..Default::default() }
}

#[cfg(test)]
mod tests {
    use summoner_proto::api::{ExploreReq, GetUserReq, SetNicknameReq};

    use super::*;
    use crate::game::effects::GameEvent;

    fn request(payload: Q) -> Request {
        Request { seq: 1, session_token: Vec::new(), payload: Some(payload) }
    }

    fn fresh() -> (GameData, UserState) {
        let data = GameData::embedded().expect("embedded game data loads");
        let user = UserState::new_user(&data, 42, 1_000_000);
        (data, user)
    }

    #[test]
    fn read_changes_nothing() {
        let (data, user) = fresh();
        let handled = dispatch(&data, &user, &request(Q::GetUser(GetUserReq {})), None, 1_000_000, false);
        assert!(handled.change.is_none());
        assert!(matches!(handled.response.payload, Some(A::GetUser(_))));
    }

    #[test]
    fn explore_writes_the_new_profile_and_advances_the_rng() {
        let (data, user) = fresh();
        let handled = dispatch(&data, &user, &request(Q::Explore(ExploreReq {})), None, 1_000_000, false);
        let (draft, changes) = handled.change.expect("explore changes the user");
        let Some(A::Explore(res)) = handled.response.payload else { panic!("not an explore answer") };
        assert_eq!(draft.gold, user.gold + u64::from(res.gold_gained));
        assert!(data.explore.gold.contains(&res.gold_gained));
        assert!(draft.rng_word_pos > user.rng_word_pos);
        assert_eq!(changes.writes[0], Write::Profile(draft.clone()));
        let Write::ActionLog(log) = &changes.writes[1] else { panic!("no action log") };
        assert_eq!((log.user_id, log.action), (draft.user_id, "explore"));
        assert!(changes.events.contains(&GameEvent::Explored { gold: res.gold_gained, exp: res.exp_gained }));
    }

    #[test]
    fn same_seed_and_position_draw_the_same_rewards() {
        let (data, user) = fresh();
        let a = dispatch(&data, &user, &request(Q::Explore(ExploreReq {})), None, 1_000_000, false);
        let b = dispatch(&data, &user, &request(Q::Explore(ExploreReq {})), None, 1_000_000, false);
        assert_eq!(a.response, b.response);
    }

    #[test]
    fn refusal_changes_nothing_and_carries_its_code() {
        let (data, user) = fresh();
        let req = request(Q::SetNickname(SetNicknameReq { nickname: "x".into() }));
        let handled = dispatch(&data, &user, &req, None, 1_000_000, false);
        assert!(handled.change.is_none());
        assert_eq!(handled.response.error, ErrorCode::InvalidArgument as i32);
    }

    #[test]
    fn debug_operations_are_refused_unless_enabled() {
        let (data, user) = fresh();
        let req = request(Q::DebugPanic(summoner_proto::api::DebugPanicReq {}));
        let handled = dispatch(&data, &user, &req, None, 1_000_000, false);
        assert_eq!(handled.response.error, ErrorCode::OperationDisabled as i32);
    }

    #[test]
    fn missing_payload_is_an_unknown_operation() {
        let (data, user) = fresh();
        let req = Request { seq: 1, session_token: Vec::new(), payload: None };
        let handled = dispatch(&data, &user, &req, None, 1_000_000, false);
        assert_eq!(handled.response.error, ErrorCode::UnknownOperation as i32);
    }
}
