//! Durable storage: accounts and sessions (the common database) and users' game state
//! with their last replies (the game database).
//!
//! [`Store`] is the interface the rest of the server uses; [`db_store::DbStore`] implements
//! it over SQL databases (SQLite, the embedded default; PostgreSQL; MySQL/MariaDB) and
//! [`memory::MemoryStore`] serves benchmarks and unit tests.
//!
//! Error policy: every storage failure is a [`StoreError`] carrying what was being done;
//! it becomes an HTTP status only at the transport edge (`crate::api`), always a retryable
//! 500, because a failed operation applied nothing.

pub mod bulk;
pub mod db;
pub mod db_store;
pub mod memory;
pub mod persistence;
pub mod registry;
pub mod rows;
pub mod schema;

use futures_util::future::BoxFuture;
use summoner_actors::{Commit, Loaded, Session, TokenHash, UserId};

use crate::game::effects::ActionLog;
use crate::game::state::{UserShards, UserState};

/// A way of signing in: ("device", device id) or (platform, platform user id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthId {
    pub provider: String,
    pub id: String,
}

/// One change to make durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// The user's profile row, as in the draft.
    Profile(UserState),
    /// An action-log row for the user's log database.
    ActionLog(ActionLog),
}

/// The outcome of Register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub user_id: UserId,
    /// False when the sign-in id was already registered.
    pub created: bool,
    /// Where the user lives.
    pub shards: UserShards,
}

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}: timed out")]
    Timeout(String),
    #[error("{0}: {1}")]
    Database(String, String),
    #[error("{0}: not found")]
    NotFound(String),
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// What the server stores. Every call has a timeout inside the implementation.
pub trait Store: Send + Sync + 'static {
    /// Registers `auth` (idempotent: an existing registration is returned as is) with
    /// `template` as the new user's initial state.
    fn register(&self, auth: AuthId, template: UserState, now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>>;

    /// The user registered with `auth`, if any.
    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>>;

    /// The user whose current session has this token hash, if any.
    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>>;

    /// The user's state, session and last reply.
    fn load_user(&self, user: UserId) -> BoxFuture<'static, StoreResult<Loaded<UserState>>>;

    /// Applies `commit.writes` and stores `commit.reply` in one transaction on the user's
    /// game shard; action logs go to the user's log shard.
    fn commit(
        &self,
        user: UserId,
        shards: UserShards,
        commit: Commit<Vec<Write>>,
    ) -> BoxFuture<'static, StoreResult<()>>;

    /// The profiles of `users` (a friend list), in no particular order; unknown ids are
    /// left out. One query per shard touched, never one per user.
    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<UserState>>>;

    /// Appends action-log rows for actions outside a user's request handling (register,
    /// login) to the user's log shard.
    fn append_logs(&self, shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>>;

    /// Checks that every database answers; the error names the first that does not.
    fn ping(&self) -> BoxFuture<'static, StoreResult<()>> {
        Box::pin(futures_util::future::ready(Ok(())))
    }

    /// Commits every write still queued (graceful shutdown). Stores that queue nothing
    /// have nothing to do.
    fn flush(&self) -> BoxFuture<'static, StoreResult<()>> {
        Box::pin(futures_util::future::ready(Ok(())))
    }

    /// Replaces the user's session (None: no session).
    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>>;
}
