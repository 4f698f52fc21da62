//! `GameBackend`: the server's implementation of the actors' `UserBackend`. It loads and
//! refreshes a user's state from the [`Store`], has the operation's reads made first
//! ([`reads`]), runs the pure dispatcher (`crate::game::dispatch`), sends quest events to the
//! worker's QuestActor, commits through the store, and keeps sessions ([`SessionStore`]).

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner_actors::in_flight::{self, Stage};
use summoner_actors::{
    BackendError, Commit, FailureKind, Handled, Loaded, Session, SessionChange, StoredReply, UserBackend, UserId,
};
use summoner_proto::api::Request;

use crate::cache::Cache;
use crate::cache::behind::WriteBehind;
use crate::game::dispatch::{dispatch, needs};
use crate::game::effects::Effects;
use crate::game::entities::{Change, DELIVERED, OUTSIDE_WRITTEN, Quest, TABLES, load_entities};
use crate::game::erasure;
use crate::game::profile::Profile;
use crate::game::quests;
use crate::game::reads::{Asking, Fetched};
use crate::game::state::{Delta, MINT_RESERVE, UserState};
use crate::ids::IdGenerator;
use crate::service::catalog::Catalog;
use crate::service::cluster::Node;
use crate::service::failure::storage_error;
use crate::service::oidc::Providers;
use crate::service::quest_actor::{Advance, QuestActors};
use crate::service::reads::{self, Readers};
use crate::service::session_store::SessionStore;
use crate::storage::nodes::Activated;
use crate::storage::{SignedUp, Store, UserPlace, UserRows};

/// The grace period of a backend not told another (`jobs.deletion_grace_secs`' default).
const DEFAULT_DELETION_GRACE_MS: i64 = 7 * 86_400_000;

/// Game logic plus storage, as user actors need them.
pub struct GameBackend {
    readers: Readers,
    sessions: SessionStore,
    /// This node: whose users it may activate.
    node: Arc<Node>,
    test_operations: bool,
    /// Where quest events go.
    quests: QuestActors,
}

impl GameBackend {
    /// A backend over `store` and `cache` with the game data of `catalog`, minting ids as
    /// node `node_id`, matching quest events where `quests` says.
    pub fn new(
        store: Arc<dyn Store>,
        cache: Arc<dyn Cache>,
        catalog: Arc<Catalog>,
        test_operations: bool,
        node: Arc<Node>,
        quests: QuestActors,
    ) -> Self {
        let behind: Arc<WriteBehind> = Arc::default();
        let ids = crate::ids::generator(node.id);
        let sessions =
            SessionStore { store: store.clone(), cache: cache.clone(), behind: behind.clone(), node_id: node.id };
        let (providers, deletion_grace_ms) = (Arc::new(Providers::default()), DEFAULT_DELETION_GRACE_MS);
        let readers = Readers { store, cache, behind, catalog, ids, providers, deletion_grace_ms };
        Self { readers, sessions, node, test_operations, quests }
    }

    /// The same backend checking DeleteAccount's platform credentials with `providers`, and
    /// erasing accounts `grace_ms` after their deletion was asked for.
    pub fn with_deletions(mut self, providers: Arc<Providers>, grace_ms: i64) -> Self {
        (self.readers.providers, self.readers.deletion_grace_ms) = (providers, grace_ms);
        self
    }

    /// This node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// This node's id generator (blocks of entity ids for new users).
    pub fn ids(&self) -> &'static IdGenerator {
        self.readers.ids
    }

    /// Where handlers get the game-data version in force.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.readers.catalog
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.readers.store
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<dyn Cache> {
        &self.readers.cache
    }

    /// The state a new user's actor starts from: the rows [`Store::sign_up`] wrote, with
    /// `session` open, as an activation would have read them (no last reply, no other rows).
    pub fn signed_up(&self, signed: &SignedUp, session: Session) -> Result<Loaded<UserState>, BackendError> {
        let rows = UserRows {
            shards: signed.shards,
            epoch: signed.epoch,
            profile: signed.profile.clone(),
            tables: Vec::new(),
        };
        let state = activated(signed.user_id, &rows, self.readers.ids)?;
        Ok(Loaded { state, session: Some(session), last_reply: None })
    }

    /// Writes the cache's entry of a new user's first session ([`Self::signed_up`]).
    pub fn index_session(
        &self,
        state: &UserState,
        session: &Session,
        now_ms: i64,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        self.sessions.index(state, session, None, now_ms)
    }

    /// Pings every database and every cache shard now; the first that does not answer.
    pub async fn ping(&self) -> Result<(), String> {
        self.readers.store.ping().await.map_err(|e| e.to_string())?;
        self.readers.cache.ping().await.map_err(|e| e.to_string())
    }

    /// The cache writes sent without a waiting reply (shutdown and tests wait for them).
    pub fn write_behind(&self) -> &Arc<WriteBehind> {
        &self.readers.behind
    }
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

    /// An activation: the user taken over by this node (the owner epoch raised) unless a live
    /// peer owns them, which refuses the load as [`FailureKind::Elsewhere`].
    fn load(&self, user: UserId) -> BoxFuture<'static, Result<Loaded<UserState>, BackendError>> {
        if !self.node.serving() {
            let lapsed = BackendError::of(FailureKind::Elsewhere, "activate", "this node's lease is not renewed yet");
            return futures_util::future::ready(Err(lapsed)).boxed();
        }
        let (loading, ids, me) =
            (self.readers.store.activate_user(user, TABLES, self.node.claim(user)), self.readers.ids, self.node.id);
        async move {
            let (rows, session, last_reply) = match loading.await.map_err(storage_error)? {
                Activated::OwnedBy(owner) => {
                    let message = format!("user {user} is owned by node {owner}");
                    return Err(BackendError::of(FailureKind::Elsewhere, "activate", message));
                }
                Activated::Loaded { loaded: Loaded { state, session, last_reply }, from } => {
                    if from >= 0 && from != i64::from(me) {
                        tracing::info!(user.id = user, from, to = me, "user taken over from another node");
                        crate::metrics::METRICS.ownership_changes.inc();
                    }
                    (state, session, last_reply)
                }
            };
            let state = activated(user, &rows, ids)?;
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
            let reading = self.readers.store.read_tables_on(user, state.shards.game, DELIVERED);
            let mut state = state.clone();
            return async move {
                let failed = |e| BackendError::new(format!("read the inbox of user {user}"), e);
                let tables = reading.await.map_err(storage_error)?.ok_or_else(|| failed("no such user".into()))?;
                let [inbox] = tables.as_slice() else { return Err(failed("tables missing".into())) };
                state.owned.inbox = load_entities(inbox).map_err(|e| failed(e.to_string()))?;
                Ok(state)
            }
            .boxed();
        }
        let (reading, mut state) = (self.readers.store.peek_user(user, OUTSIDE_WRITTEN), state.clone());
        async move {
            let failed = |e| BackendError::new(format!("read the profile, mail and inbox of user {user}"), e);
            let rows = reading.await.map_err(storage_error)?.ok_or_else(|| failed("no such user".into()))?;
            let [mail, inbox] = rows.tables.as_slice() else { return Err(failed("tables missing".into())) };
            let mut profile = Profile::from_row(&rows.profile).map_err(|e| failed(e.to_string()))?;
            if state.ids_unsaved {
                // The block (and a side key) taken at load is not stored yet; the next commit
                // stores it.
                (profile.id_next, profile.id_end) = (state.profile.id_next, state.profile.id_end);
                profile.rng_key.clone_from(&state.profile.rng_key);
            }
            state.profile = profile;
            state.owned.mail = load_entities(mail).map_err(|e| failed(e.to_string()))?;
            state.owned.inbox = load_entities(inbox).map_err(|e| failed(e.to_string()))?;
            Ok(state)
        }
        .boxed()
    }

    fn runs_after_end(&self, request: &Request) -> bool {
        // Its read step records the deletion and ends the session in one transaction; it is
        // idempotent (a second record keeps the first one's time).
        matches!(request.payload, Some(summoner_proto::api::request::Payload::DeleteAccount(_)))
    }

    fn fetch(
        &self,
        _user: UserId,
        state: &UserState,
        session: &Session,
        request: &Request,
        now_ms: i64,
    ) -> Option<BoxFuture<'static, Result<Fetched, BackendError>>> {
        let ask = Asking { state, now_ms, test_operations: self.test_operations };
        let need = needs(&ask, request.payload.as_ref()?)?;
        Some(reads::fetch(&self.readers, need, state, session, request.seq, now_ms))
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
        let data = self.readers.catalog.current();
        let ids = self.readers.ids;
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
        let committed = self.readers.store.commit(user, effects.place, Commit { writes: effects.durable, reply });
        let committed = async move {
            // A request waiting here waits for its game shard's group commit.
            let _stage = in_flight::enter(Stage::Persistence, Some(shard));
            committed.await
        };
        let Some(snapshot) = effects.snapshot else {
            return committed.map(|r| r.map_err(storage_error)).boxed();
        };
        let (cache, behind) = (self.readers.cache.clone(), self.readers.behind.clone());
        async move {
            committed.await.map_err(storage_error)?;
            // Friends read the snapshot from the cache: publish the new one (best effort; a
            // stale one ages out within the hour).
            behind.send("friend snapshot", user, cache.put_snapshot(snapshot));
            Ok(())
        }
        .boxed()
    }

    /// The inbox is read again first: a delivery that reached it and was not told yet is
    /// answered too.
    fn erase(&self, user: UserId, state: &UserState, now_ms: i64) -> BoxFuture<'static, Result<(), BackendError>> {
        let (ids, store) = (self.readers.ids, self.readers.store.clone());
        let refreshed = self.refresh(user, state, summoner_actors::Refresh::Delivered);
        async move {
            let state = refreshed.await?;
            let mut rows = erasure::farewells(&state, now_ms, &mut || ids.next_id());
            rows.extend(erasure::inbox_seen(&state));
            let place = UserPlace { shards: state.shards, epoch: state.epoch };
            store.erase_user(user, place, rows).await.map_err(storage_error)
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
        self.sessions.save(user, state, change, now_ms)
    }

    fn keep_reply(
        &self,
        user: UserId,
        session: &Session,
        reply: StoredReply,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        self.sessions.keep_reply(user, session, reply)
    }
}

/// The state an activation starts from, given the user's rows as stored.
fn activated(user: UserId, rows: &UserRows, ids: &'static IdGenerator) -> Result<UserState, BackendError> {
    let mut state =
        UserState::from_rows(rows).map_err(|e| BackendError::new(format!("read the rows of user {user}"), e))?;
    // Friend lists read snapshots from the cache: this activation's first commit
    // publishes one (it may have expired, or never been taken).
    state.snapshot_unpublished = true;
    // Handlers mint ids without asking anyone: keep a block ready. It is written with
    // the next commit (an activation that only reads leaves it unused).
    if state.profile.ids_left() < MINT_RESERVE {
        let block = ids.next_block();
        (state.profile.id_next, state.profile.id_end) = (block.start, block.end);
        state.ids_unsaved = true;
    }
    // A user from before keys gets a key for the side streams (what the client sees),
    // so a battle token no longer hands out output of their 63-bit seed; their draws
    // keep the seed's stream. Stored with the next commit, like the id block.
    if state.profile.rng_key.is_empty() {
        let key = crate::service::tokens::random_key()
            .map_err(|e| BackendError::new(format!("a side key for user {user}"), e))?;
        state.ids_unsaved |= state.profile.give_side_key(key);
    }
    Ok(state)
}
