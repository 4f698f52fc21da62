//! Clan operations. The clan database's side of each action (named by the `*_reads` here)
//! was decided and committed before the handler runs (`crate::game::clans`, recorded by the request so a retry answers it
//! again), with the news of it to the members it concerns in the clan database's outbox;
//! what is left here is the user's side: the founding's gold, the quest event of joining,
//! the action log and the answer.

use summoner_proto::api::{
    ApproveClanRequestReq, ApproveClanRequestRes, CheckInReq, CreateClanReq, CreateClanRes, DisbandClanReq,
    DisbandClanRes, ErrorCode, GetClanReq, GetClanRes, JoinClanReq, JoinClanRes, KickClanMemberReq, KickClanMemberRes,
    LeaveClanReq, LeaveClanRes, PromoteClanMemberReq, PromoteClanMemberRes, RejectClanRequestReq, RejectClanRequestRes,
    SearchClansReq, SearchClansRes, TransferClanLeaderReq, TransferClanLeaderRes,
};
use summoner_proto::gamedata::Currency;
use summoner_proto::social::ClanOutcome;

use crate::game::clans::{Action, searchable};
use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::handlers::shop::CHECKED_IN_TODAY;
use crate::game::reads::{Asking, Fetched, Need};
use crate::game::wallet;

/// The counter that holds a player who left a clan back from another until it resets
/// (`clan_leave_cooldown_secs`).
pub const LEFT_CLAN: &str = "clan.left";

fn act(action: Action) -> Option<Need> {
    Some(Need::ClanAction(action))
}

/// Until when a player who left a clan waits before joining or founding another, if they do
/// now (`left`: the counter's value and reset).
fn cooling_down(left: Option<(i64, i64)>, now_ms: i64) -> Option<i64> {
    left.filter(|(value, resets_at_ms)| *value > 0 && now_ms < *resets_at_ms).map(|(_, resets_at_ms)| resets_at_ms)
}

fn left_counter(counter: Option<&crate::game::entities::Counter>) -> Option<(i64, i64)> {
    counter.map(|c| (c.value, c.resets_at_ms))
}

/// The refusal of joining or founding a clan while the wait after leaving one runs.
fn refuse_while_cooling_down(ctx: &HandlerCtx) -> HandlerResult<()> {
    match cooling_down(left_counter(ctx.user.owned.counters.get(LEFT_CLAN)), ctx.now_ms) {
        Some(until) => Err(Refusal::new(
            ErrorCode::ClanCooldown,
            format!("you left a clan: you may join or found another from {until} (ms since the epoch)"),
        )),
        None => Ok(()),
    }
}

/// CreateClan founds the clan first (not while the wait after leaving one runs).
pub fn create_reads(ask: &Asking, r: &CreateClanReq) -> Option<Need> {
    cooling_down(left_counter(ask.state.owned.counters.get(LEFT_CLAN)), ask.now_ms).is_none().then_some(())?;
    act(Action::Create { name: crate::game::names::nfc(r.name.trim()), open: r.open })
}

/// JoinClan joins (or asks to) first (not while the wait after leaving a clan runs).
pub fn join_reads(ask: &Asking, r: &JoinClanReq) -> Option<Need> {
    cooling_down(left_counter(ask.state.owned.counters.get(LEFT_CLAN)), ask.now_ms).is_none().then_some(())?;
    act(Action::Join { clan_id: r.clan_id })
}

/// ApproveClanRequest approves first.
pub fn approve_reads(_: &Asking, r: &ApproveClanRequestReq) -> Option<Need> {
    act(Action::Approve { user: r.user_id })
}

/// RejectClanRequest rejects first.
pub fn reject_reads(_: &Asking, r: &RejectClanRequestReq) -> Option<Need> {
    act(Action::Reject { user: r.user_id })
}

/// LeaveClan leaves first.
pub fn leave_reads(_: &Asking, _: &LeaveClanReq) -> Option<Need> {
    act(Action::Leave)
}

/// KickClanMember kicks first.
pub fn kick_reads(_: &Asking, r: &KickClanMemberReq) -> Option<Need> {
    act(Action::Kick { user: r.user_id })
}

/// PromoteClanMember promotes (or demotes) first.
pub fn promote_reads(_: &Asking, r: &PromoteClanMemberReq) -> Option<Need> {
    act(Action::Promote { user: r.user_id, officer: r.officer })
}

/// TransferClanLeader transfers first.
pub fn transfer_reads(_: &Asking, r: &TransferClanLeaderReq) -> Option<Need> {
    act(Action::Transfer { user: r.user_id })
}

/// DisbandClan disbands first.
pub fn disband_reads(_: &Asking, _: &DisbandClanReq) -> Option<Need> {
    act(Action::Disband)
}

/// CheckIn counts the member's check-in for their clan first, once a game day.
pub fn check_in_reads(ask: &Asking, _: &CheckInReq) -> Option<Need> {
    let counters = &ask.state.owned.counters;
    let done = counters.get(CHECKED_IN_TODAY).is_some_and(|c| c.value > 0 && ask.now_ms < c.resets_at_ms);
    (!done).then_some(Need::ClanAction(Action::CheckIn))
}

/// GetClan reads the clan with its members' summaries.
pub fn get_clan_reads(_: &Asking, r: &GetClanReq) -> Option<Need> {
    Some(Need::ClanPage { clan_id: r.clan_id })
}

/// SearchClans reads the clans found (a prefix too short is refused unread).
pub fn search_reads(_: &Asking, r: &SearchClansReq) -> Option<Need> {
    searchable(&r.prefix).then(|| Need::ClanSearch { prefix: crate::game::names::nfc(r.prefix.trim()) })
}

/// The committed outcome of the request's clan action, or its refusal.
fn outcome(ctx: &HandlerCtx) -> HandlerResult<ClanOutcome> {
    match ctx.fetched {
        Some(Fetched::Clan(Ok(outcome))) => Ok(outcome.clone()),
        Some(Fetched::Clan(Err(refusal))) => Err(refusal.clone()),
        _ => Err(Refusal::new(ErrorCode::Internal, "the clan action was not made")),
    }
}

fn log(ctx: &mut HandlerCtx, action: &'static str, outcome: &ClanOutcome) {
    ctx.log(action, format!("clan={} told={:?}", outcome.clan_id, outcome.told), outcome.change.clone());
}

/// CreateClan: the founder leads the new clan, for `clan_create_gold`.
pub fn create_clan(ctx: &mut HandlerCtx, _req: &CreateClanReq) -> HandlerResult<CreateClanRes> {
    refuse_while_cooling_down(ctx)?;
    let outcome = outcome(ctx)?;
    // The fetch step refused a founder short of gold before founding anything.
    wallet::spend(ctx, Currency::Gold, ctx.data.social.clan_create_gold, "clan_create")?;
    ctx.events.push(GameEvent::ClanJoined);
    log(ctx, "clan_created", &outcome);
    Ok(CreateClanRes { clan: outcome.clan, user: Some(ctx.user.to_proto(ctx.data, ctx.now_ms)) })
}

/// JoinClan: into an open clan at once, else a request.
pub fn join_clan(ctx: &mut HandlerCtx, _req: &JoinClanReq) -> HandlerResult<JoinClanRes> {
    refuse_while_cooling_down(ctx)?;
    let outcome = outcome(ctx)?;
    if outcome.joined {
        ctx.events.push(GameEvent::ClanJoined);
    }
    log(ctx, "clan_join", &outcome);
    Ok(JoinClanRes { clan: outcome.clan, joined: outcome.joined })
}

/// ApproveClanRequest: the user asking is taken in (and told, from the clan's outbox).
pub fn approve_clan_request(
    ctx: &mut HandlerCtx,
    _req: &ApproveClanRequestReq,
) -> HandlerResult<ApproveClanRequestRes> {
    let outcome = outcome(ctx)?;
    log(ctx, "clan_approve", &outcome);
    Ok(ApproveClanRequestRes { clan: outcome.clan })
}

/// RejectClanRequest: the request goes, and its user is told.
pub fn reject_clan_request(ctx: &mut HandlerCtx, _req: &RejectClanRequestReq) -> HandlerResult<RejectClanRequestRes> {
    let outcome = outcome(ctx)?;
    log(ctx, "clan_reject", &outcome);
    Ok(RejectClanRequestRes {})
}

/// LeaveClan: out of the clan (the leader, as its last member, ends it); another clan waits
/// `clan_leave_cooldown_secs`.
pub fn leave_clan(ctx: &mut HandlerCtx, _req: &LeaveClanReq) -> HandlerResult<LeaveClanRes> {
    let outcome = outcome(ctx)?;
    start_wait(ctx);
    log(ctx, "clan_leave", &outcome);
    Ok(LeaveClanRes {})
}

/// The player chose to leave a clan (leaving, or disbanding it): another waits
/// `clan_leave_cooldown_secs`.
fn start_wait(ctx: &mut HandlerCtx) {
    let wait = ctx.data.social.clan_leave_cooldown_ms;
    if wait > 0 {
        let until = ctx.now_ms.saturating_add(wait);
        wallet::set_counter(ctx, LEFT_CLAN, 1, until);
    }
}

/// KickClanMember: a member of a lower role is out, and told.
pub fn kick_clan_member(ctx: &mut HandlerCtx, _req: &KickClanMemberReq) -> HandlerResult<KickClanMemberRes> {
    let outcome = outcome(ctx)?;
    log(ctx, "clan_kick", &outcome);
    Ok(KickClanMemberRes { clan: outcome.clan })
}

/// PromoteClanMember: a member becomes an officer, or an officer a member; they are told.
pub fn promote_clan_member(ctx: &mut HandlerCtx, _req: &PromoteClanMemberReq) -> HandlerResult<PromoteClanMemberRes> {
    let outcome = outcome(ctx)?;
    log(ctx, "clan_promote", &outcome);
    Ok(PromoteClanMemberRes {})
}

/// TransferClanLeader: another member leads; the old leader is an officer.
pub fn transfer_clan_leader(
    ctx: &mut HandlerCtx,
    _req: &TransferClanLeaderReq,
) -> HandlerResult<TransferClanLeaderRes> {
    let outcome = outcome(ctx)?;
    log(ctx, "clan_transfer", &outcome);
    Ok(TransferClanLeaderRes { clan: outcome.clan })
}

/// DisbandClan: the clan ends; every member is told; the leader waits before another, as
/// after leaving.
pub fn disband_clan(ctx: &mut HandlerCtx, _req: &DisbandClanReq) -> HandlerResult<DisbandClanRes> {
    let outcome = outcome(ctx)?;
    start_wait(ctx);
    log(ctx, "clan_disband", &outcome);
    Ok(DisbandClanRes {})
}

/// GetClan: a clan with its members (and requests, for its leader and officers).
pub fn get_clan(ctx: &mut HandlerCtx, _req: &GetClanReq) -> HandlerResult<GetClanRes> {
    match ctx.fetched {
        Some(Fetched::ClanPage(Ok((clan, members, requests)))) => {
            Ok(GetClanRes { clan: Some(clan.clone()), members: members.clone(), requests: requests.clone() })
        }
        Some(Fetched::ClanPage(Err(refusal))) => Err(refusal.clone()),
        _ => Err(Refusal::new(ErrorCode::Internal, "the clan was not read")),
    }
}

/// SearchClans: clans by name prefix.
pub fn search_clans(ctx: &mut HandlerCtx, req: &SearchClansReq) -> HandlerResult<SearchClansRes> {
    if !crate::game::clans::searchable(&req.prefix) {
        return Err(Refusal::new(ErrorCode::InvalidArgument, "search with 1 to 16 characters, by the rule for names"));
    }
    match ctx.fetched {
        Some(Fetched::Clans(clans)) => Ok(SearchClansRes { clans: clans.clone() }),
        _ => Err(Refusal::new(ErrorCode::Internal, "the clans were not read")),
    }
}

/// The clan side of a check-in (the fetch step counted it, and sent every member the reward
/// when it reached the goal): the day's count for the answer. Answers (checkins, goal).
pub fn checked_in(ctx: &mut HandlerCtx) -> (u32, u32) {
    let Some(Fetched::Clan(Ok(outcome))) = ctx.fetched else { return (0, 0) };
    let outcome = outcome.clone();
    let goal = ctx.data.social.clan_checkin_goal;
    if outcome.reached_goal {
        // The reward to every member went with the clan's count (its outbox).
        log(ctx, "clan_reward", &outcome);
    }
    (outcome.checkins, goal)
}
