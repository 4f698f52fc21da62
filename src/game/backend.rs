//! `GameBackend`: the server's implementation of the actors' `UserBackend`: the pure
//! dispatcher for `handle`, the configured [`Store`] for everything durable and the
//! [`Cache`] for sessions, kept replies and friend data.
//!
//! Order of writes on Login: the cache first (so an unreachable cache refuses the login
//! before anything changed), then the database. The database's sessions row stays the
//! truth of which session is current: the actor loads it and checks every token against it.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use summoner_actors::in_flight::{self, Stage};
use summoner_actors::{
    BackendError, Commit, FailureKind, Handled, Loaded, Session, SessionChange, StoredReply, TokenHash, UserBackend,
    UserId,
};

use prost::Message;
use summoner_proto::api::{ClanMember, ErrorCode, FriendSnapshot, Request};
use summoner_proto::cache::{CachedReply, SessionRecord};
use summoner_proto::social::ClanOutcome;

use crate::cache::behind::WriteBehind;
use crate::cache::{Activity, Cache, CacheError};
use crate::game::catalog::Catalog;
use crate::game::clans::{self, Action, ClanNeed, ClanView};
use crate::game::context::Refusal;
use crate::game::dispatch::dispatch;
use crate::game::effects::Effects;
use crate::game::entities::{Change, DELIVERED, OUTSIDE_WRITTEN, Owned, Quest, TABLES, load_entities};
use crate::game::friends::{self, Fetched, Need};
use crate::game::profile::Profile;
use crate::game::quest_actor::{Advance, QuestActors};
use crate::game::quests;
use crate::game::state::{Delta, MINT_RESERVE, UserState};
use crate::ids::IdGenerator;
use crate::storage::rows::Value;
use crate::storage::tables::{FRIEND_REQUESTS, MONSTERS, TEAMS};
use crate::storage::{ClanCommit, ClanCommitError, Store, StoreError};

/// Game logic plus storage, as user actors need them.
pub struct GameBackend {
    store: Arc<dyn Store>,
    cache: Arc<dyn Cache>,
    /// Cache writes no reply waits for.
    behind: Arc<WriteBehind>,
    catalog: Arc<Catalog>,
    test_operations: bool,
    /// This server node, recorded in session entries.
    node_id: u16,
    /// Where blocks of entity ids come from.
    ids: &'static IdGenerator,
    /// Where quest events go.
    quests: QuestActors,
}

impl GameBackend {
    /// A backend over `store` and `cache` with the game data of `catalog`, matching quest
    /// events where `quests` says.
    pub fn new(
        store: Arc<dyn Store>,
        cache: Arc<dyn Cache>,
        catalog: Arc<Catalog>,
        test_operations: bool,
        node_id: u16,
        quests: QuestActors,
    ) -> Self {
        Self {
            quests,
            store,
            cache,
            behind: Arc::default(),
            catalog,
            test_operations,
            node_id,
            ids: crate::ids::generator(node_id),
        }
    }

    /// This node's id generator (blocks of entity ids for new users).
    pub fn ids(&self) -> &'static IdGenerator {
        self.ids
    }

    /// Where handlers get the game-data version in force.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<dyn Cache> {
        &self.cache
    }

    /// The cache writes sent without a waiting reply (shutdown and tests wait for them).
    pub fn write_behind(&self) -> &Arc<WriteBehind> {
        &self.behind
    }

    fn record(&self, state: &UserState, session: &Session) -> SessionRecord {
        SessionRecord {
            user_id: state.user_id(),
            session_id: session.id,
            expires_at_ms: session.expires_at_ms,
            node_id: u32::from(self.node_id),
            game_shard: state.shards.game as u32,
            log_shard: state.shards.log as u32,
        }
    }

    fn activity(state: &UserState, now_ms: i64) -> Activity {
        Activity {
            bucket: friends::bucket(state.profile.level),
            card: friends::card(&state.profile, now_ms),
            window_ms: friends::ACTIVE_WINDOW_MS,
            cap: friends::BUCKET_CAP,
        }
    }
}

fn storage_error(e: StoreError) -> BackendError {
    let kind = match e {
        StoreError::OutcomeUnknown(_) => FailureKind::OutcomeUnknown,
        StoreError::Fenced(_) => FailureKind::Superseded,
        StoreError::Conflict(_) => FailureKind::Conflict,
        StoreError::Overloaded(_) => FailureKind::Overloaded,
        StoreError::Timeout(_) | StoreError::Database(..) | StoreError::NotFound(_) => FailureKind::Failed,
    };
    BackendError::of(kind, "storage", e)
}

fn cache_error(e: CacheError) -> BackendError {
    BackendError::unavailable("cache", e)
}

/// A user's snapshot, whole (their first team and whether their box of requests is full
/// included): from the cache, else rebuilt from their rows as committed (profile, teams,
/// monsters, friend requests) and cached without holding the reply. A cached snapshot
/// without a team (taken by an older version) is rebuilt too.
async fn snapshot_or_load(
    cache: Arc<dyn Cache>,
    behind: Arc<WriteBehind>,
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    user: UserId,
    now_ms: i64,
) -> Result<Option<FriendSnapshot>, BackendError> {
    if let Some(snapshot) = cache.snapshot(user).await.map_err(cache_error)?.filter(|s| s.has_team) {
        return Ok(Some(snapshot));
    }
    let Some(rows) = store.peek_user(user, SNAPSHOT_TABLES).await.map_err(storage_error)? else { return Ok(None) };
    let read = |e| BackendError::new(format!("read what friends see of user {user}"), e);
    let profile = Profile::from_row(&rows.profile).map_err(read)?;
    let [teams, monsters, requests] = rows.tables.as_slice() else {
        return Err(BackendError::new(format!("read what friends see of user {user}"), "tables missing"));
    };
    let owned = Owned {
        teams: load_entities(teams).map_err(read)?,
        monsters: load_entities(monsters).map_err(read)?,
        friend_requests: load_entities(requests).map_err(read)?,
        ..Owned::default()
    };
    let data = catalog.current();
    let snapshot = friends::snapshot_of(&data, &profile, &owned, now_ms);
    behind.send("friend snapshot read from the database", user, cache.fill_snapshot(snapshot.clone()));
    Ok(Some(snapshot))
}

/// Who makes a clan action, and the request it is (its result is recorded by it).
struct Acting {
    user: UserId,
    gold: u64,
    session: u64,
    seq: u64,
}

/// Clan actions decided again after the clan changed under them, at most.
const CLAN_ATTEMPTS: usize = 16;

/// Makes a clan action: its recorded result when this request made it already (a retry);
/// else the clan read, the action decided on it and committed if the clan is unchanged, read
/// and decided again if it changed.
async fn clan_action(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    ids: &'static IdGenerator,
    me: Acting,
    action: Action,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let kind = action.kind();
    let recorded = |bytes: Vec<u8>| {
        let outcome = ClanOutcome::decode(bytes.as_slice())
            .map_err(|e| BackendError::new("read a clan action's recorded result", e))?;
        if outcome.action != kind {
            let message = format!("seq {} made another clan action ({})", me.seq, outcome.action);
            return Ok(Fetched::Clan(Err(Refusal::new(ErrorCode::InvalidArgument, message))));
        }
        Ok(Fetched::Clan(Ok(outcome)))
    };
    if let Some(bytes) = store.clan_op(me.user, me.session, me.seq).await.map_err(storage_error)? {
        return recorded(bytes);
    }
    let data = catalog.current();
    let read = |e: crate::storage::rows::RowError| BackendError::new("read a clan", e);
    for _ in 0..CLAN_ATTEMPTS {
        let mine = store.clan_of(me.user).await.map_err(storage_error)?;
        let target_id = match &action {
            Action::Join { clan_id } => Some(*clan_id),
            Action::Create { .. } => None,
            _ => mine,
        };
        let target = match target_id {
            Some(id) => store
                .clan(id)
                .await
                .map_err(storage_error)?
                .map(|rows| ClanView::from_rows(&rows))
                .transpose()
                .map_err(read)?,
            None => None,
        };
        let actor = clans::Actor { user: me.user, gold: me.gold, in_clan: mine.is_some() };
        let decided = clans::decide(&data, &actor, target.as_ref(), &action, now_ms, &mut || ids.next_id());
        let decision = match decided {
            Ok(decision) if !decision.writes.is_empty() => decision,
            answer => {
                // A refusal, or nothing to change (a request asked again, a check-in counted
                // already): no commit, so the clan does not move for the others. Unless an
                // earlier try of this request committed late, after the look-up above.
                if let Some(bytes) = store.clan_op(me.user, me.session, me.seq).await.map_err(storage_error)? {
                    return recorded(bytes);
                }
                return Ok(Fetched::Clan(answer.map(|d| d.outcome)));
            }
        };
        let op = vec![
            Value::uint(me.user),
            Value::uint(me.session),
            Value::uint(me.seq),
            Value::Bytes(decision.outcome.encode_to_vec()),
            Value::Int(now_ms),
        ];
        let commit = ClanCommit { clan_id: decision.clan_id, version: decision.version, writes: decision.writes, op };
        let failed = match store.clan_commit(commit).await {
            Ok(()) => return Ok(Fetched::Clan(Ok(decision.outcome))),
            Err(failed) => failed,
        };
        // An earlier try of this very request may have committed meanwhile (its answer was
        // lost, and its transaction finished after): then the clan moved, or a key is taken,
        // because of it, and its record is the answer.
        if let Some(bytes) = store.clan_op(me.user, me.session, me.seq).await.map_err(storage_error)? {
            return recorded(bytes);
        }
        match failed {
            ClanCommitError::Moved => continue,
            ClanCommitError::Taken(what) => return Ok(Fetched::Clan(Err(clans::taken(&action, &what)))),
            ClanCommitError::Store(e) => return Err(storage_error(e)),
        }
    }
    Err(BackendError::of(FailureKind::Overloaded, "clan", "the clan changed too often meanwhile; retry"))
}

/// A clan (0: the user's own) with its members' and, for its leader and officers, the
/// requests' summaries: profiles read one query per game shard.
async fn clan_page(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    user: UserId,
    clan_id: u64,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let id = match clan_id {
        0 => match store.clan_of(user).await.map_err(storage_error)? {
            Some(id) => id,
            None => return Ok(Fetched::ClanPage(Err(Refusal::new(ErrorCode::NotInClan, "you are in no clan")))),
        },
        id => id,
    };
    let Some(rows) = store.clan(id).await.map_err(storage_error)? else {
        return Ok(Fetched::ClanPage(Err(Refusal::new(ErrorCode::NoSuchClan, format!("no clan {id}")))));
    };
    let view = ClanView::from_rows(&rows).map_err(|e| BackendError::new(format!("read clan {id}"), e))?;
    let staff = view.members.iter().any(|m| m.user == user && m.role != clans::Role::Member);
    let asking: Vec<(u64, i64)> = if staff { view.requests.clone() } else { Vec::new() };
    let ids: Vec<UserId> = view.members.iter().map(|m| m.user).chain(asking.iter().map(|(u, _)| *u)).collect();
    let profiles = if ids.is_empty() { Vec::new() } else { store.load_profiles(ids).await.map_err(storage_error)? };
    let summaries: HashMap<u64, FriendSnapshot> = profiles
        .iter()
        .filter_map(|p| Profile::from_row(&p.row).ok())
        .map(|p| (p.user_id, friends::snapshot(&p, false, now_ms)))
        .collect();
    let data = catalog.current();
    let member = |user: u64, role: &str, at: i64| ClanMember {
        user_id: user,
        role: role.to_owned(),
        joined_at_ms: at,
        summary: summaries.get(&user).cloned(),
    };
    let mut members: Vec<ClanMember> =
        view.members.iter().map(|m| member(m.user, m.role.name(), m.joined_at_ms)).collect();
    members.sort_by_key(|m| (m.role != "leader", m.role != "officer", m.joined_at_ms, m.user_id));
    let requests = asking.iter().map(|(u, at)| member(*u, "request", *at)).collect();
    Ok(Fetched::ClanPage(Ok((view.info(&data, now_ms), members, requests))))
}

/// Clans whose name starts with `prefix`.
async fn clan_search(
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    prefix: String,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    if prefix.is_empty() {
        return Ok(Fetched::Clans(Vec::new()));
    }
    let rows = store.search_clans(prefix, clans::SEARCH_LIMIT).await.map_err(storage_error)?;
    let data = catalog.current();
    let found =
        rows.iter().filter_map(|row| clans::from_row(row).ok()).map(|c| clans::info(&c, &data, now_ms)).collect();
    Ok(Fetched::Clans(found))
}

/// What a snapshot is rebuilt from when the cache lost it (besides the profile).
static SNAPSHOT_TABLES: &[&crate::storage::rows::TableDef] = &[&TEAMS, &MONSTERS, &FRIEND_REQUESTS];

/// Other users' profiles as friends see them: those on known game shards one query per
/// shard, the others through the common database first.
async fn profiles(
    store: Arc<dyn Store>,
    placed: Vec<(UserId, i16)>,
    unplaced: Vec<UserId>,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let mut rows = Vec::new();
    if !placed.is_empty() {
        rows.extend(store.load_profiles_on(placed).await.map_err(storage_error)?);
    }
    if !unplaced.is_empty() {
        rows.extend(store.load_profiles(unplaced).await.map_err(storage_error)?);
    }
    let snapshots = rows
        .iter()
        .filter_map(|p| Profile::from_row(&p.row).ok())
        // Whether their request box is full is not read here (the snapshot in the cache has it).
        .map(|p| friends::snapshot(&p, false, now_ms))
        .collect();
    Ok(Fetched::Profiles(snapshots))
}

/// Recently active players of `bucket` and its neighbours, from the shard of the caller's
/// session: one round trip.
async fn candidates(
    cache: Arc<dyn Cache>,
    token: TokenHash,
    bucket: u32,
    now_ms: i64,
) -> Result<Fetched, BackendError> {
    let since = now_ms - friends::ACTIVE_WINDOW_MS;
    let mut reads = vec![(bucket, friends::BUCKET_READ), (bucket + 1, friends::NEIGHBOUR_READ)];
    if let Some(below) = bucket.checked_sub(1) {
        reads.push((below, friends::NEIGHBOUR_READ));
    }
    let mut lists = cache.recent_active(token, reads, since).await.map_err(cache_error)?.into_iter();
    let own = lists.next().unwrap_or_default();
    let mut near: Vec<_> = lists.flatten().collect();
    near.sort_by_key(|c| std::cmp::Reverse(c.active_at_ms));
    Ok(Fetched::Candidates { own, near })
}

impl UserBackend for GameBackend {
    type State = UserState;
    type Delta = Delta;
    type Writes = Effects;
    type Fetched = Fetched;
    type FollowUp = Vec<Quest>;

    fn shard(&self, state: &UserState) -> Option<i32> {
        Some(i32::from(state.shards.game))
    }

    fn load(&self, user: UserId) -> BoxFuture<'static, Result<Loaded<UserState>, BackendError>> {
        let (loading, ids) = (self.store.load_user(user, TABLES), self.ids);
        async move {
            let Loaded { state: rows, session, last_reply } = loading.await.map_err(storage_error)?;
            let mut state = UserState::from_rows(&rows)
                .map_err(|e| BackendError::new(format!("read the rows of user {user}"), e))?;
            // Handlers mint ids without asking anyone: keep a block ready. It is written with
            // the next commit (an activation that only reads leaves it unused).
            if state.profile.ids_left() < MINT_RESERVE {
                let block = ids.next_block();
                (state.profile.id_next, state.profile.id_end) = (block.start, block.end);
                state.ids_unsaved = true;
            }
            Ok(Loaded { state, session, last_reply })
        }
        .boxed()
    }

    /// Reads again what others than the actor write: after deliveries, the inbox only (a
    /// courier writes nothing else of the user's); after an operator's grant, the profile
    /// row (an operator may set a column), mail and the inbox ([`OUTSIDE_WRITTEN`]). The
    /// rest is as the actor's own durable commits left it.
    fn refresh(
        &self,
        user: UserId,
        state: &UserState,
        what: summoner_actors::Refresh,
    ) -> BoxFuture<'static, Result<UserState, BackendError>> {
        // The actor handles nothing else meanwhile and its own commits are durable: a read
        // without the user's lock sees every row of theirs as the actor left it.
        if what == summoner_actors::Refresh::Delivered {
            let (reading, mut state) = (self.store.peek_user(user, DELIVERED), state.clone());
            return async move {
                let failed = |e| BackendError::new(format!("read the inbox of user {user}"), e);
                let rows = reading.await.map_err(storage_error)?.ok_or_else(|| failed("no such user".into()))?;
                let [inbox] = rows.tables.as_slice() else { return Err(failed("tables missing".into())) };
                state.owned.inbox = load_entities(inbox).map_err(|e| failed(e.to_string()))?;
                Ok(state)
            }
            .boxed();
        }
        let (reading, mut state) = (self.store.peek_user(user, OUTSIDE_WRITTEN), state.clone());
        async move {
            let failed = |e| BackendError::new(format!("read the profile, mail and inbox of user {user}"), e);
            let rows = reading.await.map_err(storage_error)?.ok_or_else(|| failed("no such user".into()))?;
            let [mail, inbox] = rows.tables.as_slice() else { return Err(failed("tables missing".into())) };
            let mut profile = Profile::from_row(&rows.profile).map_err(|e| failed(e.to_string()))?;
            if state.ids_unsaved {
                // The block taken at load is not stored yet; the next commit stores it.
                (profile.id_next, profile.id_end) = (state.profile.id_next, state.profile.id_end);
            }
            state.profile = profile;
            state.owned.mail = load_entities(mail).map_err(|e| failed(e.to_string()))?;
            state.owned.inbox = load_entities(inbox).map_err(|e| failed(e.to_string()))?;
            Ok(state)
        }
        .boxed()
    }

    fn fetch(
        &self,
        _user: UserId,
        state: &UserState,
        session: &Session,
        request: &Request,
        now_ms: i64,
    ) -> Option<BoxFuture<'static, Result<Fetched, BackendError>>> {
        let cache = self.cache.clone();
        let Some(need) = friends::needs(state, request, self.test_operations) else {
            let need = clans::needs(state, request, now_ms)?;
            let (store, catalog) = (self.store.clone(), self.catalog.clone());
            return Some(match need {
                ClanNeed::Act(action) => {
                    let me = Acting {
                        user: state.user_id(),
                        gold: state.profile.gold,
                        session: session.id,
                        seq: request.seq,
                    };
                    let best_effort = action == Action::CheckIn;
                    clan_action(store, catalog, self.ids, me, action, now_ms)
                        .map(move |r| match r {
                            // The clan's count is best effort: the player's own check-in does not
                            // wait on the clan database (the member's mark keeps a late commit
                            // from counting twice).
                            Err(e) if best_effort => {
                                tracing::warn!(error = %e, "a check-in not counted for its clan");
                                Ok(Fetched::Clan(Err(Refusal::new(ErrorCode::Unavailable, e.to_string()))))
                            }
                            other => other,
                        })
                        .boxed()
                }
                ClanNeed::Show { clan_id } => clan_page(store, catalog, state.user_id(), clan_id, now_ms).boxed(),
                ClanNeed::Search { prefix } => clan_search(store, catalog, prefix, now_ms).boxed(),
            });
        };
        match need {
            Need::Candidates { bucket } => Some(candidates(cache, session.token_hash, bucket, now_ms).boxed()),
            Need::Snapshot { user } => {
                let (behind, store, catalog) = (self.behind.clone(), self.store.clone(), self.catalog.clone());
                Some(
                    snapshot_or_load(cache, behind, store, catalog, user, now_ms)
                        .map(|r| r.map(Fetched::Snapshot))
                        .boxed(),
                )
            }
            Need::Profiles { placed, unplaced } => Some(profiles(self.store.clone(), placed, unplaced, now_ms).boxed()),
        }
    }

    fn handle(
        &self,
        _user: UserId,
        state: &UserState,
        request: &Request,
        fetched: Option<Fetched>,
        now_ms: i64,
    ) -> Handled<Delta, Effects> {
        // One version for the whole request, even if a reload swaps it meanwhile.
        let data = self.catalog.current();
        let ids = self.ids;
        let mut handled =
            dispatch(&data, state, request, fetched.as_ref(), now_ms, self.test_operations, &|| ids.next_block());
        if let Some((_, effects)) = &mut handled.change {
            effects.data = Some(data);
        }
        handled
    }

    fn follow_up(
        &self,
        user: UserId,
        state: &UserState,
        handled: &Handled<Delta, Effects>,
    ) -> Option<BoxFuture<'static, Result<Vec<Quest>, BackendError>>> {
        let (delta, effects) = handled.change.as_ref()?;
        let data = effects.data.clone()?;
        if effects.events.is_empty() {
            return None;
        }
        // The user's rows of the quests these events concern, as this request left them.
        let conditions: Vec<&str> = effects.events.iter().map(|e| e.condition()).collect();
        let stored = data
            .quests()
            .iter()
            .filter(|def| conditions.contains(&def.condition.as_str()))
            .filter_map(|def| match delta.owned.quests.iter().find(|(key, _)| *key == def.uid) {
                Some((_, Change::Inserted(q) | Change::Updated(q))) => Some(q.clone()),
                Some((_, Change::Deleted)) => None,
                None => state.owned.quests.get(&def.uid).cloned(),
            })
            .collect();
        let advance = Advance { data, stored, events: effects.events.clone(), now_ms: effects.now_ms };
        Some(self.quests.advance(user, advance))
    }

    fn merge(&self, state: &UserState, handled: &mut Handled<Delta, Effects>, moved: Vec<Quest>) {
        quests::merge(state, handled, moved);
    }

    fn apply(&self, state: &mut UserState, delta: Delta) {
        state.apply(delta);
    }

    fn commit(&self, user: UserId, commit: Commit<Effects>) -> BoxFuture<'static, Result<(), BackendError>> {
        let Commit { writes: effects, reply } = commit;
        let shard = i32::from(effects.place.shards.game);
        let committed = self.store.commit(user, effects.place, Commit { writes: effects.durable, reply });
        let committed = async move {
            // A request waiting here waits for its game shard's group commit.
            let _stage = in_flight::enter(Stage::Persistence, Some(shard));
            committed.await
        };
        let Some(snapshot) = effects.snapshot else {
            return committed.map(|r| r.map_err(storage_error)).boxed();
        };
        let (cache, behind) = (self.cache.clone(), self.behind.clone());
        async move {
            committed.await.map_err(storage_error)?;
            // Friends read the snapshot from the cache: publish the new one (best effort; a
            // stale one ages out within the hour).
            behind.send("friend snapshot", user, cache.put_snapshot(snapshot));
            Ok(())
        }
        .boxed()
    }

    fn save_session(
        &self,
        user: UserId,
        state: &UserState,
        change: SessionChange,
        now_ms: i64,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let store = self.store.clone();
        match change {
            SessionChange::Open { session, replaced } => {
                let record = self.record(state, &session);
                let indexed = self.cache.put_session(
                    session.token_hash,
                    record,
                    now_ms,
                    replaced,
                    Some(Self::activity(state, now_ms)),
                );
                async move {
                    indexed.await.map_err(cache_error)?;
                    store.save_session(user, Some(session)).await.map_err(storage_error)
                }
                .boxed()
            }
            SessionChange::Renew(session) => {
                let record = self.record(state, &session);
                let activity = Some(Self::activity(state, now_ms));
                let indexed = self.cache.put_session(session.token_hash, record, now_ms, None, activity);
                let behind = self.behind.clone();
                async move {
                    // The database's expiry is what the actor checks; the cache entry only
                    // finds the user (a lapsed one is looked up in the database).
                    behind.send("session renewal", user, indexed);
                    store.save_session(user, Some(session)).await.map_err(storage_error)
                }
                .boxed()
            }
            SessionChange::End(session) => {
                let cache = self.cache.clone();
                async move {
                    store.save_session(user, None).await.map_err(storage_error)?;
                    // The database no longer has the session, so the actor refuses the token
                    // whatever the cache says; a stale entry only expires.
                    if let Err(e) = cache.end_session(session.token_hash).await {
                        tracing::warn!(user.id = user, error = %e, "ended session left in the cache until it expires");
                    }
                    Ok(())
                }
                .boxed()
            }
        }
    }

    fn keep_reply(
        &self,
        user: UserId,
        session: &Session,
        reply: StoredReply,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let cached = CachedReply { user_id: user, session_id: reply.session_id, seq: reply.seq, response: reply.bytes };
        self.cache.keep_reply(session.token_hash, cached).map(|r| r.map_err(cache_error)).boxed()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::game::data::GameData;
    use crate::storage::memory::MemoryStore;

    fn act(store: &Arc<MemoryStore>, catalog: &Arc<Catalog>, user: u64, seq: u64, action: Action) -> ClanOutcome {
        let me = Acting { user, gold: u64::MAX, session: 5, seq };
        let store: Arc<dyn Store> = store.clone();
        let fetched = clan_action(store, catalog.clone(), crate::ids::generator(0), me, action, 1_000)
            .now_or_never()
            .expect("the in-memory store answers at once")
            .expect("no storage failure");
        match fetched {
            Fetched::Clan(Ok(outcome)) => outcome,
            other => panic!("not a committed clan action: {other:?}"),
        }
    }

    /// A clan action retried with its request's (session, seq) is answered from its record,
    /// not made again.
    #[test]
    fn a_retried_clan_action_is_answered_from_its_record() {
        let store = Arc::new(MemoryStore::new());
        let catalog = Arc::new(Catalog::new(GameData::embedded().expect("game data"), None));
        let founded = act(&store, &catalog, 1, 1, Action::Create { name: "Wolves".into(), open: true });
        let clan = founded.clan_id;
        let joined = act(&store, &catalog, 2, 9, Action::Join { clan_id: clan });
        assert!(joined.joined);
        let again = act(&store, &catalog, 2, 9, Action::Join { clan_id: clan });
        assert_eq!(again, joined, "the record answers");
        let rows = store.clan(clan).now_or_never().expect("at once").expect("read").expect("the clan");
        assert_eq!(rows.members.len(), 2);
        let view = ClanView::from_rows(&rows).expect("rows read back");
        assert_eq!(view.clan.member_count, 2);
    }
}
