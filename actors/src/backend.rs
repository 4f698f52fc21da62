//! The boundary between the actor runtime and the server: what a user's actor needs from
//! storage and game logic, as a trait the server crate implements.
//!
//! `handle` is pure (no I/O; game data, state, RNG and clock in, response and writes out),
//! so the actor can run it on a draft, drop the draft on refusal or panic, and apply it
//! only after `commit` made the writes durable.

use futures_util::future::BoxFuture;
use summoner_proto::api::{Request, Response};

use crate::{Session, TokenHash, UserId};

/// A storage or cache failure. Always retryable from the client's point of view: nothing
/// was applied.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {message}")]
pub struct BackendError {
    /// What was being done, e.g. "load user 42".
    pub context: String,
    /// The underlying error, as text.
    pub message: String,
    /// The failing part was a service the request needs rather than the database of
    /// record (the client is told `UNAVAILABLE`, not `INTERNAL`).
    pub unavailable: bool,
}

impl BackendError {
    /// A storage error with what was being done and why it failed.
    pub fn new(context: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self { context: context.into(), message: error.to_string(), unavailable: false }
    }

    /// A failure of a needed service (the cache), with what was being done.
    pub fn unavailable(context: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self { context: context.into(), message: error.to_string(), unavailable: true }
    }
}

/// A change of the user's session, for storage to make durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChange {
    /// Login: `session` starts; `replaced` is the token of the session it ends, if any.
    Open { session: Session, replaced: Option<TokenHash> },
    /// Activity moved the expiry of the current session.
    Renew(Session),
    /// Logout ends the session.
    End(Session),
}

/// The last reply stored durably with the writes it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// The session the reply belongs to; a reply of another session is ignored.
    pub session_id: u64,
    pub seq: u64,
    pub bytes: Vec<u8>,
}

/// What an actor starts from: the user's state, session and last durable reply.
#[derive(Debug, Clone)]
pub struct Loaded<S> {
    pub state: S,
    pub session: Option<Session>,
    pub last_reply: Option<StoredReply>,
}

/// What a handler made of one request.
#[derive(Debug)]
pub struct Handled<S, W> {
    /// The answer, without seq and server time (the actor fills those in).
    pub response: Response,
    /// The new state and the writes that make it durable; None when nothing changed
    /// (a read, or a game-logic refusal).
    pub change: Option<(S, W)>,
    /// The request ends the session (Logout).
    pub ends_session: bool,
}

impl<S, W> Handled<S, W> {
    /// An answer that changes nothing.
    pub fn read_only(response: Response) -> Self {
        Self { response, change: None, ends_session: false }
    }
}

/// Writes to make durable in one transaction, with the reply that answers them.
#[derive(Debug)]
pub struct Commit<W> {
    pub writes: W,
    pub reply: StoredReply,
}

/// Storage and game logic for user actors.
pub trait UserBackend: Send + Sync + 'static {
    /// Everything an actor holds about its user.
    type State: Clone + Send + 'static;
    /// What one request changed, in a form storage can write.
    type Writes: Send + 'static;
    /// What a request needs from outside the user's state (other users, shared caches).
    type Fetched: Send + 'static;

    /// Loads a user's state, session and last reply.
    fn load(&self, user: UserId) -> BoxFuture<'static, Result<Loaded<Self::State>, BackendError>>;

    /// Reads what `request` needs beyond the user's state, or None when it needs nothing
    /// (most requests: the actor holds what they need). Runs before `handle`, inside the
    /// request's turn, so no other request of the user interleaves.
    fn fetch(
        &self,
        user: UserId,
        state: &Self::State,
        session: &Session,
        request: &Request,
        now_ms: i64,
    ) -> Option<BoxFuture<'static, Result<Self::Fetched, BackendError>>>;

    /// Handles one request on the user's state and what `fetch` read. Pure: no I/O. May
    /// panic; the actor answers that request with a server error and restarts from storage.
    fn handle(
        &self,
        user: UserId,
        state: &Self::State,
        request: &Request,
        fetched: Option<Self::Fetched>,
        now_ms: i64,
    ) -> Handled<Self::State, Self::Writes>;

    /// Makes `commit` durable: writes and reply in one transaction.
    fn commit(&self, user: UserId, commit: Commit<Self::Writes>) -> BoxFuture<'static, Result<(), BackendError>>;

    /// Makes a session change durable (and findable by token).
    fn save_session(
        &self,
        user: UserId,
        state: &Self::State,
        change: SessionChange,
        now_ms: i64,
    ) -> BoxFuture<'static, Result<(), BackendError>>;

    /// The actor retires: keeps `reply`, the session's last answer, which no database holds
    /// (a read or a refusal), so a retry after the retirement still gets the same bytes.
    fn keep_reply(
        &self,
        user: UserId,
        session: &Session,
        reply: StoredReply,
    ) -> BoxFuture<'static, Result<(), BackendError>>;
}
