//! The dispatch table: one line per operation, mapping a request payload to its handler,
//! the handler's answer to a response payload, and what the operation reads before it runs.
//! Adding an operation is its protobuf messages, one handler file and one line here.
//!
//! Around the table, [`dispatch`] does what every operation shares: it makes the draft
//! and positions the user's RNG stream, turns a refusal into an error response that
//! changes nothing, and turns what the draft recorded into row writes: the profile columns
//! that changed (a patch), and each entity inserted, changed or removed. A request that
//! changed nothing writes nothing.

use std::ops::Range;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use summoner_actors::Handled;
use summoner_proto::api::{ErrorCode, Request, Response, request::Payload as Q, response::Payload as A};

use crate::game::context::{HandlerCtx, Refusal};
use crate::game::data::GameData;
use crate::game::effects::Effects;
use crate::game::effects::GameEvent;
use crate::game::entities::Counter;
use crate::game::friends;
use crate::game::handlers::{
    battle, clans, debug, dungeon, explore, friends as friend_ops, mail, monsters, quests, session, shop, summon,
    summon_history, user,
};
use crate::game::inbox::{self, Outgoing};
use crate::game::profile::Profile;
use crate::game::reads::{Asking, Fetched, Need};
use crate::game::starter;
use crate::game::state::{Delta, Draft, MINT_RESERVE, UserState};
use crate::storage::UserPlace;
use crate::storage::rows::{RowWrite, Value};
use crate::storage::tables::{OUTBOX, USERS};

/// The dispatch table: each operation's payload variant, its handler and, when it reads more
/// than the user's own state before it runs, the function naming what (`reads`). It makes
/// [`route`], [`needs`] and [`SERVED`], so an operation is one line here; its name comes from
/// `proto/api.proto` (`Payload::operation`).
macro_rules! operations {
    ($($variant:ident => $handler:path $(, reads $reads:path)?;)*) => {
        fn route(ctx: &mut HandlerCtx, payload: &Q) -> Result<A, Refusal> {
            match payload {
                $(Q::$variant(r) => $handler(ctx, r).map(A::$variant),)*
                Q::DebugPanic(r) => debug::panic(ctx, r).map(|never| match never {}),
                Q::Register(_) | Q::Login(_) => {
                    Err(Refusal::new(ErrorCode::UnknownOperation, "Register and Login are served without a session"))
                }
            }
        }

        /// What `payload` must read before its handler runs, if anything beyond the user's
        /// state (`crate::game::reads`).
        pub fn needs(ask: &Asking, payload: &Q) -> Option<Need> {
            #[allow(unreachable_patterns, reason = "the arms are those of operations that read")]
            match payload {
                $($(Q::$variant(r) => $reads(ask, r),)?)*
                _ => None,
            }
        }

        /// The operations this table serves (Register and Login are served by the accounts
        /// service, DebugPanic by [`route`] itself).
        pub const SERVED: &[&str] = &[$(stringify!($variant),)* "DebugPanic"];
    };
}

operations! {
    GetUser => user::get_user;
    SetNickname => user::set_nickname;
    Explore => explore::explore;
    Logout => session::logout;
    DeleteAccount => session::delete_account, reads session::delete_account_reads;
    RecommendFriends => friend_ops::recommend_friends, reads friend_ops::recommend_reads;
    GetFriendSnapshot => friend_ops::get_friend_snapshot, reads friend_ops::snapshot_reads;
    Summon => summon::summon;
    GetSummonRates => summon::get_summon_rates;
    ListSummons => summon_history::list_summons, reads summon_history::list_summons_reads;
    ListMonsters => monsters::list_monsters;
    EnhanceMonster => monsters::enhance_monster;
    EvolveMonster => monsters::evolve_monster;
    LockMonster => monsters::lock_monster;
    SellMonster => monsters::sell_monster;
    SetTeam => monsters::set_team;
    StartBattle => battle::start_battle;
    FinishBattle => battle::finish_battle;
    ListQuests => quests::list_quests;
    ClaimQuest => quests::claim_quest;
    BuyItem => shop::buy_item;
    CheckIn => shop::check_in, reads clans::check_in_reads;
    ListMail => mail::list_mail;
    ClaimMail => mail::claim_mail;
    SendFriendRequest => friend_ops::send_friend_request, reads friend_ops::send_request_reads;
    AcceptFriendRequest => friend_ops::accept_friend_request;
    DeclineFriendRequest => friend_ops::decline_friend_request;
    CancelFriendRequest => friend_ops::cancel_friend_request;
    RemoveFriend => friend_ops::remove_friend;
    ListFriends => friend_ops::list_friends, reads friend_ops::list_friends_reads;
    ListFriendRequests => friend_ops::list_friend_requests, reads friend_ops::list_requests_reads;
    SendGift => friend_ops::send_gift;
    VisitFriendDungeon => dungeon::visit_friend_dungeon, reads dungeon::visit_reads;
    CreateClan => clans::create_clan, reads clans::create_reads;
    JoinClan => clans::join_clan, reads clans::join_reads;
    ApproveClanRequest => clans::approve_clan_request, reads clans::approve_reads;
    RejectClanRequest => clans::reject_clan_request, reads clans::reject_reads;
    LeaveClan => clans::leave_clan, reads clans::leave_reads;
    KickClanMember => clans::kick_clan_member, reads clans::kick_reads;
    PromoteClanMember => clans::promote_clan_member, reads clans::promote_reads;
    TransferClanLeader => clans::transfer_clan_leader, reads clans::transfer_reads;
    DisbandClan => clans::disband_clan, reads clans::disband_reads;
    GetClan => clans::get_clan, reads clans::get_clan_reads;
    SearchClans => clans::search_clans, reads clans::search_reads;
    DebugAddFriend => debug::add_friend, reads debug::add_friend_reads;
    DebugGrantMonsters => debug::grant_monsters;
    DebugFeedMonsters => debug::feed_monsters;
}

/// The counter marking that the user was seen this game day (it resets at the daily reset).
pub const LOGIN_COUNTER: &str = "login.day";
/// The counter of the day's suspicious requests logged.
const SUSPICIOUS_COUNTER: &str = "suspicious.day";
/// Suspicious requests of a user logged per game day at most.
pub const SUSPICIOUS_LOGS_PER_DAY: i64 = 20;

/// The user's gameplay stream (draws, rewards) at the position the profile records.
pub fn rng_for(profile: &Profile) -> ChaCha20Rng {
    let mut rng = keyed(profile);
    rng.set_word_pos(u128::from(profile.rng_word_pos));
    rng
}

/// The user's ChaCha20 generator: keyed by the profile's 256-bit key, or for a user from
/// before keys, by their 63-bit seed (they keep their stream; see docs/ECONOMY.md).
fn keyed(profile: &Profile) -> ChaCha20Rng {
    match profile.stream_key() {
        Some(key) => ChaCha20Rng::from_seed(key),
        None => ChaCha20Rng::seed_from_u64(profile.rng_seed),
    }
}

/// The stream of battle tokens (one per battle, the `n`-th at word `2n`).
pub const TOKEN_STREAM: u64 = 1;

/// A stream of the user's key other than the gameplay one (stream 0), at word `position`:
/// values the client sees (battle tokens, the order of recommendations) come from these, so
/// they tell nothing of the gameplay stream's output. ChaCha's streams of one key are
/// independent.
pub fn side_stream(profile: &Profile, stream: u64, position: u128) -> ChaCha20Rng {
    debug_assert_ne!(stream, 0, "stream 0 is the gameplay stream");
    // A user from before keys has a side key of their own (their seed is only 63 bits).
    let mut rng = match profile.side_key() {
        Some(key) => ChaCha20Rng::from_seed(key),
        None => keyed(profile),
    };
    rng.set_stream(stream);
    rng.set_word_pos(position);
    rng
}

/// Handles one request for `state` at `now_ms`. Pure but for `fresh_ids`, which is asked
/// for a new block of entity ids when a committing request left fewer than [`MINT_RESERVE`]
/// (that block serves the next requests, so this one's answer depends on the state alone).
///
/// Deliveries waiting in the user's inbox are applied first, in the same draft
/// (`crate::game::inbox`): they commit with the request, and with its refusal when it is
/// refused, so what other players did is never lost to a refused request.
pub fn dispatch(
    data: &GameData,
    state: &UserState,
    request: &Request,
    fetched: Option<&Fetched>,
    now_ms: i64,
    test_operations: bool,
    fresh_ids: &dyn Fn() -> Range<u64>,
) -> Handled<Delta, Effects> {
    let Some(payload) = &request.payload else {
        return Handled::read_only(refusal_response(Refusal::new(
            ErrorCode::UnknownOperation,
            "the request has no payload this server knows",
        )));
    };
    let mut draft = state.draft();
    let mut rng = rng_for(&draft.profile);
    let mut ctx = HandlerCtx::new(data, &mut draft, &mut rng, now_ms, request.seq, fetched, test_operations);
    starter::give_once(&mut ctx);
    inbox::receive(&mut ctx);
    count_day_login(&mut ctx);
    let answer = route(&mut ctx, payload);
    let mut turn = Turn::from(ctx);
    let answer = match answer {
        Ok(answer) => answer,
        Err(refusal) if !refusal.suspicious && state.owned.inbox.is_empty() => {
            return Handled::read_only(refusal_response(refusal));
        }
        Err(refusal) => {
            // The handler's changes go; the deliveries received stay (in a draft of their own).
            drop(turn);
            let mut draft = state.draft();
            let mut rng = rng_for(&draft.profile);
            let mut ctx = HandlerCtx::new(data, &mut draft, &mut rng, now_ms, request.seq, fetched, test_operations);
            inbox::receive(&mut ctx);
            let mut turn = Turn::from(ctx);
            let logged = refusal.suspicious && suspicious(data, &mut draft, &mut turn, payload, &refusal, now_ms);
            if !logged && state.owned.inbox.is_empty() {
                return Handled::read_only(refusal_response(refusal));
            }
            let response = Response { extra: std::mem::take(&mut turn.extras), ..refusal_response(refusal) };
            let position = rng.get_word_pos();
            let played = !state.owned.inbox.is_empty();
            return finish(data, state, draft, position, turn, response, played, false, now_ms, fresh_ids);
        }
    };
    let response = Response { payload: Some(answer), extra: std::mem::take(&mut turn.extras), ..Default::default() };
    let ends_session = matches!(payload, Q::Logout(_) | Q::DeleteAccount(_));
    let position = rng.get_word_pos();
    finish(data, state, draft, position, turn, response, true, ends_session, now_ms, fresh_ids)
}

/// The first request of a game day counts as the day's login for quests. It is counted before
/// the handler runs, in the request's draft, so the handler reads quests that already hold it:
/// `ListQuests` on the day's first request answers the login quest as its `QuestProgress`
/// extra does. A refused request's draft is dropped with its login, as with any change.
fn count_day_login(ctx: &mut HandlerCtx) {
    let now_ms = ctx.now_ms;
    let counted = ctx.user.owned.counters.get(LOGIN_COUNTER).is_some_and(|c| now_ms < c.resets_at_ms);
    if counted {
        return;
    }
    let resets_at_ms = ctx.data.reset.next_reset(now_ms);
    ctx.user.owned.counters.put(Counter { name: LOGIN_COUNTER.to_owned(), value: 1, resets_at_ms });
    crate::game::quests::count_now(ctx, &[GameEvent::LoggedIn]);
}

/// What a request's handlers recorded besides the draft.
struct Turn {
    extras: Vec<summoner_proto::api::Extra>,
    events: Vec<GameEvent>,
    logs: Vec<crate::storage::ActionLog>,
    sent: Vec<Outgoing>,
}

impl From<HandlerCtx<'_, '_>> for Turn {
    fn from(ctx: HandlerCtx<'_, '_>) -> Self {
        let HandlerCtx { extras, events, logs, sent, .. } = ctx;
        Self { extras, events, logs, sent }
    }
}

/// Turns a finished draft into the request's change: the profile columns that changed, the
/// entities' rows, the outbox rows of what it sent, and what the actor needs after the commit.
/// None (a read) when nothing changed. `played`: the user did something (the profile's last
/// activity moves), not only a refusal logged.
#[allow(clippy::too_many_arguments)]
fn finish(
    data: &GameData,
    state: &UserState,
    draft: Draft<'_>,
    rng_position: u128,
    turn: Turn,
    response: Response,
    played: bool,
    ends_session: bool,
    now_ms: i64,
    fresh_ids: &dyn Fn() -> Range<u64>,
) -> Handled<Delta, Effects> {
    let Turn { events, logs, sent, .. } = turn;
    let mut profile = draft.profile;
    // The stream position is part of the state: a draw is consumed only if the request commits.
    profile.rng_word_pos = u64::try_from(rng_position).unwrap_or(u64::MAX);
    let owned = draft.owned.finish();
    let changed = profile != state.profile || !owned.is_empty() || !logs.is_empty() || !events.is_empty();
    if !changed && sent.is_empty() {
        return Handled { response, change: None, ends_session };
    }
    if played {
        profile.updated_at_ms = now_ms;
    }
    if profile.ids_left() < MINT_RESERVE {
        let block = fresh_ids();
        (profile.id_next, profile.id_end) = (block.start, block.end);
    }
    let user = state.user_id();
    let mut set = profile.changed_since(&state.profile);
    let ids_saved = state.ids_unsaved;
    if ids_saved {
        for column in profile.id_columns() {
            if !set.iter().any(|(i, _)| *i == column.0) {
                set.push(column);
            }
        }
        set.sort_by_key(|(i, _)| *i);
    }
    let mut rows = Vec::new();
    if !set.is_empty() {
        rows.push(RowWrite::Patch { table: &USERS, key: vec![Value::uint(user)], set });
    }
    owned.rows(user, &mut rows);
    // Deliveries to other users ride in this commit; the shard's delivery actor moves them on.
    rows.extend(sent.iter().map(|o| RowWrite::Insert(&OUTBOX, o.row(user, state.shards.game, now_ms))));
    let limit = data.social.request_limit;
    let publish = state.snapshot_unpublished || friends::seen_by_friends_changed(state, &profile, &owned, limit);
    let snapshot = publish.then(|| {
        let seen = friends::snapshot(&profile, friends::requests_received(state, &owned) >= limit, now_ms);
        friends::with_team(data, seen, &friends::first_team_after(state, &owned))
    });
    let place = UserPlace { shards: state.shards, epoch: state.epoch };
    let durable = crate::storage::Changes { rows, logs };
    let snapshot_published = snapshot.is_some();
    let effects = Effects { durable, events, place, snapshot, data: None, now_ms };
    let delta = Delta { profile, owned, ids_saved, snapshot_published };
    Handled { response, change: Some((delta, effects)), ends_session }
}

fn refusal_response(refusal: Refusal) -> Response {
    Response { error: refusal.code as i32, message: refusal.message, ..Default::default() }
}

/// A suspicious refusal: the user's game state stays as it was, but an action-log row
/// records the attempt for review, committed with the stored refusal and a count of the
/// day's suspicious requests. Past [`SUSPICIOUS_LOGS_PER_DAY`] of them a day, they are
/// refused like any other, writing nothing (answers whether it logged): a client looping on
/// forged finishes cannot make every request cost a commit.
fn suspicious(
    data: &GameData,
    draft: &mut Draft<'_>,
    turn: &mut Turn,
    payload: &Q,
    refusal: &Refusal,
    now_ms: i64,
) -> bool {
    let counted = draft.owned.counters.get(SUSPICIOUS_COUNTER).filter(|c| now_ms < c.resets_at_ms);
    let today = counted.map_or(0, |c| c.value);
    if today >= SUSPICIOUS_LOGS_PER_DAY {
        return false;
    }
    let resets_at_ms = data.reset.next_reset(now_ms);
    draft.owned.counters.put(Counter { name: SUSPICIOUS_COUNTER.to_owned(), value: today + 1, resets_at_ms });
    turn.logs.push(crate::storage::ActionLog {
        user_id: draft.user_id(),
        action: "suspicious",
        params: format!("operation={} code={}", payload.operation().name, refusal.code.as_str_name()),
        result: refusal.message.clone(),
        at_ms: now_ms,
    });
    true
}

#[cfg(test)]
mod tests {
    use summoner_proto::api::{ExploreReq, GetUserReq, SetNicknameReq};

    use super::*;
    use crate::game::effects::GameEvent;

    fn request(payload: Q) -> Request {
        Request { seq: 1, session_token: Vec::new(), payload: Some(payload) }
    }

    fn no_ids() -> Range<u64> {
        panic!("no id block needed")
    }

    fn fresh() -> (GameData, UserState) {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut user = UserState::new(Profile::new_user(&data, 42, 1024..1280, 1_000_000));
        user.profile.user_id = 9;
        // Seen today already: the first request of a day also records the login.
        let seen = Counter { name: LOGIN_COUNTER.into(), value: 1, resets_at_ms: i64::MAX };
        user.owned.counters.insert(seen.name.clone(), seen);
        let boxed = Counter { name: starter::STARTER_COUNTER.into(), value: 1, resets_at_ms: 0 };
        user.owned.counters.insert(boxed.name.clone(), boxed);
        (data, user)
    }

    #[test]
    fn read_changes_nothing() {
        let (data, user) = fresh();
        let handled = dispatch(&data, &user, &request(Q::GetUser(GetUserReq {})), None, 1_000_000, false, &no_ids);
        assert!(handled.change.is_none());
        assert!(matches!(handled.response.payload, Some(A::GetUser(_))));
    }

    #[test]
    fn explore_patches_the_columns_it_changed_and_advances_the_rng() {
        let (data, user) = fresh();
        let handled = dispatch(&data, &user, &request(Q::Explore(ExploreReq {})), None, 2_000_000, false, &no_ids);
        let (delta, changes) = handled.change.expect("explore changes the user");
        let Some(A::Explore(res)) = handled.response.payload else { panic!("not an explore answer") };
        let profile = delta.profile;
        assert_eq!(profile.gold, user.profile.gold + u64::from(res.gold_gained));
        assert!(data.explore.gold.contains(&res.gold_gained));
        assert!(profile.rng_word_pos > user.profile.rng_word_pos);
        let [RowWrite::Patch { table, key, set }] = changes.durable.rows.as_slice() else {
            panic!("one patch of the profile: {:?}", changes.durable.rows)
        };
        assert_eq!((table.name, key.as_slice()), ("users", &[Value::Int(9)][..]));
        let names: Vec<&str> = set.iter().map(|(i, _)| USERS.columns[*i].name).collect();
        assert!(names.contains(&"gold") && names.contains(&"rng_word_pos"), "{names:?}");
        assert!(!names.contains(&"nickname") && !names.contains(&"gems"), "untouched columns are not written");
        let log = changes.durable.logs.iter().find(|l| l.action == "explore").expect("an explore log");
        assert_eq!(log.user_id, 9);
        assert!(changes.events.contains(&GameEvent::Explored { gold: res.gold_gained, exp: res.exp_gained }));
    }

    #[test]
    fn same_seed_and_position_draw_the_same_rewards() {
        let (data, user) = fresh();
        let a = dispatch(&data, &user, &request(Q::Explore(ExploreReq {})), None, 1_000_000, false, &no_ids);
        let b = dispatch(&data, &user, &request(Q::Explore(ExploreReq {})), None, 1_000_000, false, &no_ids);
        assert_eq!(a.response, b.response);
    }

    #[test]
    fn refusal_changes_nothing_and_carries_its_code() {
        let (data, user) = fresh();
        let req = request(Q::SetNickname(SetNicknameReq { nickname: "x".into() }));
        let handled = dispatch(&data, &user, &req, None, 1_000_000, false, &no_ids);
        assert!(handled.change.is_none());
        assert_eq!(handled.response.error, ErrorCode::InvalidArgument as i32);
    }

    #[test]
    fn debug_operations_are_refused_unless_enabled() {
        let (data, user) = fresh();
        let req = request(Q::DebugPanic(summoner_proto::api::DebugPanicReq {}));
        let handled = dispatch(&data, &user, &req, None, 1_000_000, false, &no_ids);
        assert_eq!(handled.response.error, ErrorCode::OperationDisabled as i32);
    }

    #[test]
    fn missing_payload_is_an_unknown_operation() {
        let (data, user) = fresh();
        let req = Request { seq: 1, session_token: Vec::new(), payload: None };
        let handled = dispatch(&data, &user, &req, None, 1_000_000, false, &no_ids);
        assert_eq!(handled.response.error, ErrorCode::UnknownOperation as i32);
    }

    #[test]
    fn minted_ids_repeat_on_the_same_state_and_a_low_block_is_refilled_after() {
        let (data, mut user) = fresh();
        user.profile.id_end = user.profile.id_next + MINT_RESERVE + 3;
        let req = request(Q::DebugGrantMonsters(summoner_proto::api::DebugGrantMonstersReq {
            template: data.content.data.monsters[0].uid.clone(),
            count: 5,
        }));
        let block = || 5_000..5_256;
        let a = dispatch(&data, &user, &req, None, 1_000_000, true, &block);
        let b = dispatch(&data, &user, &req, None, 1_000_000, true, &block);
        assert_eq!(a.response, b.response, "the same state mints the same ids");
        let Some(A::DebugGrantMonsters(res)) = &a.response.payload else { panic!("no grant answer") };
        let first = user.profile.id_next;
        assert_eq!(res.monster_ids, (first..first + 5).collect::<Vec<_>>());
        let (delta, changes) = a.change.expect("monsters granted");
        let profile = delta.profile;
        assert_eq!((profile.id_next, profile.id_end), (5_000, 5_256), "fewer than the reserve left: a new block");
        let inserts =
            changes.durable.rows.iter().filter(|w| matches!(w, RowWrite::Insert(t, _) if t.name == "monsters"));
        assert_eq!(inserts.count(), 5);
    }
}
