//! A store whose commits wait at a gate the test opens: it makes "a request is in flight"
//! a state the test controls instead of a race it hopes to win.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner::storage::memory::MemoryStore;
use summoner::storage::rows::{Row, RowWrite, TableDef};
use summoner::storage::{
    ActionLog, AuthId, Changes, ProfileRow, Registered, Store, StoreResult, UserPlace, UserRows, UserShards,
};
use summoner_actors::{Commit, Loaded, Session, TokenHash, UserId};
use tokio::sync::{Semaphore, mpsc};

/// A [`MemoryStore`] whose commits announce themselves and then wait for a permit.
pub struct GatedStore {
    inner: MemoryStore,
    gate: Arc<Semaphore>,
    entered: mpsc::UnboundedSender<UserId>,
}

/// The test's side of the gate.
pub struct Gate {
    pub gate: Arc<Semaphore>,
    pub entered: mpsc::UnboundedReceiver<UserId>,
}

impl GatedStore {
    /// A closed gate and the store behind it.
    pub fn new() -> (Arc<Self>, Gate) {
        let gate = Arc::new(Semaphore::new(0));
        let (tx, rx) = mpsc::unbounded_channel();
        (Arc::new(Self { inner: MemoryStore::new(), gate: gate.clone(), entered: tx }), Gate { gate, entered: rx })
    }
}

impl Store for GatedStore {
    fn register(&self, auth: AuthId, profile: Row, now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>> {
        self.inner.register(auth, profile, now_ms)
    }
    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        self.inner.find_account(auth)
    }
    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        self.inner.user_for_token(token)
    }
    fn load_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Loaded<UserRows>>> {
        self.inner.load_user(user, tables)
    }
    fn append_logs(&self, shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.append_logs(shards, logs)
    }
    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        self.inner.load_profiles(users)
    }
    fn load_profiles_on(&self, users: Vec<(UserId, i16)>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        self.inner.load_profiles_on(users)
    }
    fn peek_user(
        &self,
        user: UserId,
        tables: &'static [&'static summoner::storage::rows::TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<summoner::storage::UserRows>>> {
        self.inner.peek_user(user, tables)
    }
    fn clan(&self, clan_id: u64) -> BoxFuture<'static, StoreResult<Option<summoner::storage::ClanRows>>> {
        self.inner.clan(clan_id)
    }
    fn clan_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<u64>>> {
        self.inner.clan_of(user)
    }
    fn search_clans(
        &self,
        prefix: String,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::rows::Row>>> {
        self.inner.search_clans(prefix, limit)
    }
    fn clan_op(&self, user: UserId, session: u64, seq: u64) -> BoxFuture<'static, StoreResult<Option<Vec<u8>>>> {
        self.inner.clan_op(user, session, seq)
    }
    fn clan_commit(
        &self,
        commit: summoner::storage::ClanCommit,
    ) -> BoxFuture<'static, Result<(), summoner::storage::ClanCommitError>> {
        self.inner.clan_commit(commit)
    }
    fn on_delivered(&self, listener: summoner::storage::delivery::Listener) {
        self.inner.on_delivered(listener)
    }
    fn scan_logs(
        &self,
        action: String,
        user: Option<UserId>,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<summoner::storage::LoggedAction>>> {
        self.inner.scan_logs(action, user, after, limit)
    }
    fn commit(&self, user: UserId, place: UserPlace, commit: Commit<Changes>) -> BoxFuture<'static, StoreResult<()>> {
        let (gate, inner, entered) = (self.gate.clone(), self.inner.clone(), self.entered.clone());
        async move {
            let _ = entered.send(user);
            let permit = gate.acquire().await.expect("gate stays open");
            permit.forget();
            inner.commit(user, place, commit).await
        }
        .boxed()
    }
    fn write_outside(&self, user: UserId, rows: Vec<RowWrite>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.write_outside(user, rows)
    }
    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner.save_session(user, session)
    }
}
