//! Live user actors for operators: `GET /admin/actors` (paged, sorted by last activity,
//! mailbox depth or age, filtered by shard), `GET /admin/users/{id}` (what the user's actor
//! holds, or a read-only copy from storage when none is live, without activating one),
//! `POST /admin/users/{id}/passivate` and `POST /admin/users/{id}/kick` (ends the session:
//! the next request with its token answers 401, but for a retry of its last change; both
//! take `?reason=` and the operator's name, and are recorded in the operator audit log), and `GET /admin/users/{id}/export` (every
//! row the user owns, on every database, as JSON: a player's data export).
//!
//! The views are built here once; the JSON endpoints and the page (`admin/page.rs`) both
//! show them.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use summoner_actors::ActorInfo;

use crate::admin::diagnose::RequestView;
use crate::admin::error::{AdminError, AdminResult};
use crate::admin::{AdminState, ReasonQuery, acting, authorize};
use crate::game::data::GameData;
use crate::game::state::UserState;
use crate::service::console::Surroundings;
use crate::service::operators::Looked;
use crate::service::operators::OperatorAction;
/// Monsters a user view lists at most (the count is always whole).
const MONSTERS_SHOWN: usize = 50;
/// Actors a page lists at most.
pub const MAX_PAGE: usize = 1_000;

/// How to order the list of actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    /// Most recently active first.
    #[default]
    LastActive,
    /// Deepest mailbox first.
    Mailbox,
    /// Longest live first.
    Age,
}

/// The query of `GET /admin/actors`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ActorsQuery {
    #[serde(default)]
    pub sort: SortBy,
    pub shard: Option<i32>,
    #[serde(default)]
    pub offset: usize,
    pub limit: Option<usize>,
}

/// One live actor in the list.
#[derive(Debug, Serialize)]
pub struct ActorRow {
    pub user_id: u64,
    /// The user's nickname (absent when their profile could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    pub shard: Option<i32>,
    pub mailbox_depth: usize,
    pub idle_ms: i64,
    pub age_ms: i64,
}

/// A page of live actors.
#[derive(Debug, Serialize)]
pub struct ActorsView {
    /// Live actors in all.
    pub live: usize,
    /// Those the filter kept.
    pub matched: usize,
    pub offset: usize,
    pub actors: Vec<ActorRow>,
    /// Why the nicknames are missing, if they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unnamed: Option<String>,
}

/// The page of live actors `query` asks for.
pub fn actors(state: &AdminState, query: &ActorsQuery) -> Result<ActorsView, String> {
    let limit = query.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(format!("limit must be 1 to {MAX_PAGE}"));
    }
    let now = state.directory.clock().now_ms();
    let mut all = state.directory.actors();
    let live = all.len();
    if let Some(shard) = query.shard {
        all.retain(|a| a.shard == Some(shard));
    }
    match query.sort {
        SortBy::LastActive => all.sort_by_key(|a| (std::cmp::Reverse(a.last_active_ms), a.user)),
        SortBy::Mailbox => all.sort_by_key(|a| (std::cmp::Reverse(a.mailbox_depth), a.user)),
        SortBy::Age => all.sort_by_key(|a| (a.activated_ms, a.user)),
    }
    let matched = all.len();
    let actors = all
        .into_iter()
        .skip(query.offset)
        .take(limit)
        .map(|a| ActorRow {
            user_id: a.user,
            nickname: None,
            shard: a.shard,
            mailbox_depth: a.mailbox_depth,
            idle_ms: now - a.last_active_ms,
            age_ms: now - a.activated_ms,
        })
        .collect();
    Ok(ActorsView { live, matched, offset: query.offset, actors, unnamed: None })
}

/// [`actors`], each with their nickname (profiles read one query per game shard; if that
/// read fails, the list comes without them and says why in `unnamed`).
pub async fn named_actors(state: &AdminState, query: &ActorsQuery) -> Result<ActorsView, String> {
    let mut view = actors(state, query)?;
    match state.console.people(view.actors.iter().map(|a| a.user_id).collect()).await {
        Ok(mut people) => {
            for a in &mut view.actors {
                a.nickname = people.remove(&a.user_id).map(|p| p.nickname);
            }
        }
        Err(e) => view.unnamed = Some(format!("nicknames not read: {e}")),
    }
    Ok(view)
}

pub async fn list(req: HttpRequest, query: web::Query<ActorsQuery>, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(named_actors(&state, &query).await.map_err(AdminError::BadRequest)?))
}

/// The profile as an operator reads it.
#[derive(Debug, Serialize)]
pub struct ProfileView {
    pub nickname: String,
    pub level: u32,
    pub exp: u64,
    pub gold: u64,
    pub gems: u64,
    pub friend_points: u64,
    pub stamina: u32,
    pub created_at_ms: i64,
}

/// One monster.
#[derive(Debug, Serialize)]
pub struct MonsterView {
    pub id: u64,
    pub template: String,
    pub level: u32,
    pub grade: u32,
    pub locked: bool,
}

/// One quest's progress.
#[derive(Debug, Serialize)]
pub struct QuestView {
    pub id: String,
    pub progress: u64,
    pub completed: bool,
    pub claimed: bool,
}

/// One mail.
#[derive(Debug, Serialize)]
pub struct MailView {
    pub id: u64,
    pub kind: String,
    pub title: String,
    pub claimed: bool,
    pub expires_at_ms: i64,
}

/// A friend as the user's state holds them.
#[derive(Debug, Serialize)]
pub struct FriendView {
    pub user_id: u64,
    pub since_ms: i64,
}

/// A friend request, sent (`outgoing`) or received.
#[derive(Debug, Serialize)]
pub struct FriendRequestView {
    pub user_id: u64,
    pub outgoing: bool,
    pub sent_at_ms: i64,
}

/// A delivery in the user's inbox that the user's next request applies.
#[derive(Debug, Serialize)]
pub struct InboxView {
    pub delivery_id: u64,
    pub sender_id: u64,
    pub kind: String,
    pub sent_at_ms: i64,
}

/// What a user's state holds, part by part.
#[derive(Debug, Serialize)]
pub struct StateView {
    pub profile: ProfileView,
    pub monsters: usize,
    /// The first monsters by id, at most [`MONSTERS_SHOWN`].
    pub monsters_shown: Vec<MonsterView>,
    pub teams: Vec<(u64, Vec<u64>)>,
    pub quests: Vec<QuestView>,
    pub mail: Vec<MailView>,
    pub friends: Vec<FriendView>,
    /// Requests both ways.
    pub friend_requests: Vec<FriendRequestView>,
    pub open_battles: usize,
    /// Deliveries received and not applied yet.
    pub deliveries_waiting: usize,
    pub inbox: Vec<InboxView>,
    /// The user's ChaCha stream's word position: where their next draw starts.
    pub stream_position: u64,
    pub game_shard: i16,
    pub log_shard: i16,
}

/// The parts of `state`.
pub fn state_view(state: &UserState, data: &GameData, now_ms: i64) -> StateView {
    let user = state.to_proto(data, now_ms);
    let owned = &state.owned;
    StateView {
        profile: ProfileView {
            nickname: user.nickname,
            level: user.level,
            exp: user.exp,
            gold: user.gold,
            gems: user.gems,
            friend_points: user.friend_points,
            stamina: user.stamina,
            created_at_ms: user.created_at_ms,
        },
        monsters: owned.monsters.len(),
        monsters_shown: owned
            .monsters
            .values()
            .take(MONSTERS_SHOWN)
            .map(|m| MonsterView {
                id: m.id,
                template: m.template.clone(),
                level: m.level,
                grade: m.grade,
                locked: m.locked,
            })
            .collect(),
        teams: owned.teams.values().map(|t| (t.slot, t.members.clone())).collect(),
        quests: owned
            .quests
            .values()
            .map(|q| QuestView {
                id: q.id.clone(),
                progress: q.progress,
                completed: q.completed_at_ms != 0,
                claimed: q.claimed_at_ms != 0,
            })
            .collect(),
        mail: owned
            .mail
            .values()
            .map(|m| MailView {
                id: m.id,
                kind: m.kind.clone(),
                title: m.title.clone(),
                claimed: m.claimed_at_ms != 0,
                expires_at_ms: m.expires_at_ms,
            })
            .collect(),
        friends: owned.friends.values().map(|f| FriendView { user_id: f.id, since_ms: f.since_ms }).collect(),
        friend_requests: owned
            .friend_requests
            .values()
            .map(|r| FriendRequestView { user_id: r.other, outgoing: r.outgoing, sent_at_ms: r.sent_at_ms })
            .collect(),
        open_battles: owned.battles.len(),
        deliveries_waiting: owned.inbox.values().filter(|d| d.applied_at_ms == 0).count(),
        inbox: owned
            .inbox
            .values()
            .filter(|d| d.applied_at_ms == 0)
            .map(|d| InboxView {
                delivery_id: d.id,
                sender_id: d.sender,
                kind: d.kind.clone(),
                sent_at_ms: d.sent_at_ms,
            })
            .collect(),
        stream_position: state.profile.rng_word_pos,
        game_shard: state.shards.game,
        log_shard: state.shards.log,
    }
}

/// The session as an operator sees it: never its token.
#[derive(Debug, Serialize)]
pub struct SessionView {
    pub id: u64,
    pub expires_at_ms: i64,
    /// When Logout, DeleteAccount or an operator ended it (absent: it has not ended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at_ms: Option<i64>,
}

/// One user, live or from storage.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub user_id: u64,
    /// Whether an actor serves the user now.
    pub live: bool,
    /// The live actor did not answer within the wait (it is handling a slow request):
    /// `state` is absent, the rest is the directory's.
    pub busy: bool,
    /// Read from storage without activating an actor (the user is retired here: live on
    /// another node, or on none).
    pub read_only: bool,
    /// The node that owns the user (`users.owner_node`; -1: none yet) and the owner epoch,
    /// read from the user's game shard whichever node answers.
    pub owner_node: i64,
    pub owner_epoch: i64,
    pub shard: Option<i32>,
    pub mailbox_depth: usize,
    pub activated_at_ms: Option<i64>,
    pub last_active_ms: Option<i64>,
    pub session: Option<SessionView>,
    pub last_seq: Option<u64>,
    /// The user's requests in flight now.
    pub in_flight: Vec<RequestView>,
    pub state: Option<StateView>,
    /// The profiles of the people the state names (friends, requests), the user's clan and
    /// the deliveries they sent that wait in their outbox (absent with the state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub around: Option<Surroundings>,
    /// The operator actions taken on the user, newest first (the last [`ACTIONS_SHOWN`]).
    pub operator_actions: Vec<OperatorAction>,
    /// The parts that could not be read, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

/// Operator actions a user view lists.
pub const ACTIONS_SHOWN: usize = 20;

/// Adds to `view` what surrounds its user: the people its state names, the clan, the
/// outbox, the operator actions taken on them. A part that cannot be read is named in
/// `unread` instead: the rest of the view still shows.
async fn surround(state: &AdminState, mut view: UserView) -> UserView {
    if let Some(s) = &view.state {
        let named = s.friends.iter().map(|f| f.user_id).chain(s.friend_requests.iter().map(|r| r.user_id)).collect();
        match state.console.surroundings(view.user_id, named).await {
            Ok(around) => view.around = Some(around),
            Err(e) => view.unread.push(format!("friends' profiles, clan and outbox: {e}")),
        }
    }
    match state.operators.operator_actions(Some(view.user_id), u64::MAX, ACTIONS_SHOWN).await {
        Ok(actions) => view.operator_actions = actions,
        Err(e) => view.unread.push(format!("operator actions: {e}")),
    }
    view
}

/// What `user`'s actor holds, or a read-only copy from storage when none is live.
pub async fn user_view(state: &AdminState, user: u64) -> Result<UserView, AdminError> {
    let operators = &state.operators;
    let (now, data) = (operators.now_ms(), operators.game_data());
    let in_flight: Vec<RequestView> =
        state.in_flight.views().into_iter().filter(|r| r.user == Some(user)).map(Into::into).collect();
    let (owner_node, owner_epoch) =
        operators.owner(user).await?.ok_or(AdminError::NotFound(format!("no user {user}")))?;
    let live = |info: &ActorInfo, busy: bool| UserView {
        owner_node,
        owner_epoch,
        user_id: user,
        live: true,
        busy,
        read_only: false,
        shard: info.shard,
        mailbox_depth: info.mailbox_depth,
        activated_at_ms: Some(info.activated_ms),
        last_active_ms: Some(info.last_active_ms),
        session: None,
        last_seq: None,
        in_flight: Vec::new(),
        state: None,
        around: None,
        operator_actions: Vec::new(),
        unread: Vec::new(),
    };
    let session_view = |s: &summoner_actors::Session| SessionView {
        id: s.id,
        expires_at_ms: s.expires_at_ms,
        ended_at_ms: s.ended_at_ms,
    };
    let view = match operators.look(user).await? {
        Looked::Live { info, inspection } => UserView {
            session: inspection.session.as_ref().map(session_view),
            last_seq: inspection.last_seq,
            in_flight,
            state: Some(state_view(&inspection.state, &data, now)),
            ..live(&info, false)
        },
        Looked::Busy { info } => UserView { in_flight, ..live(&info, true) },
        Looked::Stored { state: stored, session, last_seq } => UserView {
            owner_node,
            owner_epoch,
            user_id: user,
            live: false,
            busy: false,
            read_only: true,
            shard: Some(i32::from(stored.shards.game)),
            mailbox_depth: 0,
            activated_at_ms: None,
            last_active_ms: None,
            session: session.as_ref().map(session_view),
            last_seq,
            in_flight,
            state: Some(state_view(&stored, &data, now)),
            around: None,
            operator_actions: Vec::new(),
            unread: Vec::new(),
        },
    };
    Ok(surround(state, view).await)
}

/// `text` as a user id (ids are never 0), if it is one.
pub fn parse_user_id(text: &str) -> Option<u64> {
    text.trim().parse::<u64>().ok().filter(|id| *id != 0)
}

/// The user of an admin request's path once the token is checked: 401 without the token,
/// 400 for a path that is not a user id.
fn authorized_user(req: &HttpRequest, path: &str, state: &AdminState) -> Result<u64, AdminError> {
    authorize(req, state)?;
    parse_user_id(path).ok_or_else(|| AdminError::BadRequest(format!("{path:?} is not a user id")))
}

pub async fn show(req: HttpRequest, path: web::Path<String>, state: web::Data<AdminState>) -> AdminResult {
    let user = authorized_user(&req, &path, &state)?;
    Ok(HttpResponse::Ok().json(user_view(&state, user).await?))
}

pub async fn passivate(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ReasonQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    let user = authorized_user(&req, &path, &state)?;
    let acting = acting(&req, &state, query.reason.as_deref())?;
    let passivated = state.operators.passivate(&acting, user).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "user_id": user, "passivated": passivated })))
}

pub async fn kick(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ReasonQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    let user = authorized_user(&req, &path, &state)?;
    let acting = acting(&req, &state, query.reason.as_deref())?;
    let ended = state.operators.kick(&acting, user).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "user_id": user, "session_ended": ended })))
}

pub async fn export(req: HttpRequest, path: web::Path<String>, state: web::Data<AdminState>) -> AdminResult {
    let user = authorized_user(&req, &path, &state)?;
    let export = state.operators.export_user(user).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Disposition", format!("attachment; filename=\"user-{user}.json\"")))
        .json(export))
}
