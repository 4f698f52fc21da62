//! The boundary between the actor runtime and the server: what a user's actor needs from
//! storage and game logic, as a trait the server crate implements.
//!
//! `handle` is pure (no I/O; game data, state, RNG and clock in, response, a delta and
//! writes out), so the actor can drop the delta on refusal or panic, and `apply` it to its
//! state only after `commit` made the writes durable.

use futures_util::future::BoxFuture;
use summoner_proto::api::{Request, Response};

use crate::{Session, TokenHash, UserId};

/// What a failure means for the request and for the actor's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Nothing was applied; the state is as it was (the client retries: 500).
    Failed,
    /// A service the request needs (the cache) is down; nothing was applied (503).
    Unavailable,
    /// Too much work queued; nothing was applied (503).
    Overloaded,
    /// The commit may have been applied or not: the actor must not go on from its state.
    OutcomeUnknown,
    /// Another activation owns the user now (its commit was fenced, nothing applied): the
    /// actor must not go on from its state.
    Superseded,
    /// The user is another live node's: this activation must not start (load refused).
    Elsewhere,
    /// Nothing was applied, but storage holds something the actor's state does not (another
    /// writer's row): the actor must reload before it goes on.
    Conflict,
}

/// A storage or cache failure. Always retryable from the client's point of view, with the
/// same seq: either nothing was applied, or the outcome is unknown and the retry finds the
/// stored reply once the actor reloaded.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {message}")]
pub struct BackendError {
    /// What was being done, e.g. "load user 42".
    pub context: String,
    /// The underlying error, as text.
    pub message: String,
    pub kind: FailureKind,
}

impl BackendError {
    /// A storage error with what was being done and why it failed; nothing was applied.
    pub fn new(context: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self::of(FailureKind::Failed, context, error)
    }

    /// A failure of a needed service (the cache), with what was being done.
    pub fn unavailable(context: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self::of(FailureKind::Unavailable, context, error)
    }

    /// A failure of the given kind.
    pub fn of(kind: FailureKind, context: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self { context: context.into(), message: error.to_string(), kind }
    }

    /// Whether the actor's state may no longer match storage (it must reload).
    pub fn state_in_doubt(&self) -> bool {
        matches!(self.kind, FailureKind::OutcomeUnknown | FailureKind::Superseded | FailureKind::Conflict)
    }
}

/// A change of the user's session, for storage to make durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionChange {
    /// Login: `session` starts; `replaced` is the token of the session it ends, if any.
    Open { session: Session, replaced: Option<TokenHash> },
    /// Activity moved the expiry of the current session.
    Renew(Session),
    /// Logout, DeleteAccount or an operator ended the session: stored as ended (its
    /// `ended_at_ms` set), with its token and id.
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
pub struct Handled<D, W> {
    /// The answer, without seq and server time (the actor fills those in).
    pub response: Response,
    /// What changed (to apply to the state once durable) and the writes that make it
    /// durable; None when nothing changed (a read, or a game-logic refusal).
    pub change: Option<(D, W)>,
    /// The request ends the session (Logout).
    pub ends_session: bool,
}

impl<D, W> Handled<D, W> {
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
    /// What one request changed, to apply to the state once it is durable.
    type Delta: Send + 'static;
    /// What one request changed, in a form storage can write.
    type Writes: Send + 'static;
    /// What a request needs from outside the user's state (other users, shared caches).
    type Fetched: Send + 'static;
    /// What other actors add to a handled request before it commits (quest progress).
    type FollowUp: Send + 'static;

    /// The shard a user's state lives on, for operators' views (None: not sharded).
    fn shard(&self, state: &Self::State) -> Option<i32> {
        let _ = state;
        None
    }

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

    /// Whether `request`, not yet answered, may still run on a session that has ended: one
    /// whose own read step ends the session before it is answered (DeleteAccount), so that
    /// its retry after a commit that failed, or a node that died, still runs (it must be
    /// idempotent). None by default.
    fn runs_after_end(&self, request: &Request) -> bool {
        let _ = request;
        false
    }

    /// Handles one request on the user's state and what `fetch` read. Pure: no I/O. May
    /// panic; the actor answers that request with a server error and restarts from storage.
    fn handle(
        &self,
        user: UserId,
        state: &Self::State,
        request: &Request,
        fetched: Option<Self::Fetched>,
        now_ms: i64,
    ) -> Handled<Self::Delta, Self::Writes>;

    /// Reads the user's state again after others added rows of the user (`what`: an
    /// operator's grant mail is `Refresh::Added`, a delivery from another user
    /// `Refresh::Delivered`); the actor handles nothing else meanwhile, so every write of its
    /// own is durable. By default the whole state is loaded; a backend that knows which rows
    /// others add reads only those.
    fn refresh(
        &self,
        user: UserId,
        state: &Self::State,
        what: crate::Refresh,
    ) -> BoxFuture<'static, Result<Self::State, BackendError>> {
        let _ = (state, what);
        let load = self.load(user);
        Box::pin(async move { load.await.map(|loaded| loaded.state) })
    }

    /// Asks other actors for what must join a handled request's commit and reply (quest
    /// progress for its events), or None when nothing must. Runs inside the request's turn,
    /// after `handle` and before the reply is encoded; an error fails the request, nothing
    /// applied.
    fn follow_up(
        &self,
        user: UserId,
        state: &Self::State,
        handled: &Handled<Self::Delta, Self::Writes>,
    ) -> Option<BoxFuture<'static, Result<Self::FollowUp, BackendError>>>;

    /// Adds what `follow_up` answered to the handled request: its delta, writes and reply.
    fn merge(&self, state: &Self::State, handled: &mut Handled<Self::Delta, Self::Writes>, follow_up: Self::FollowUp);

    /// Makes `commit` durable: writes and reply in one transaction. An error whose
    /// [`BackendError::state_in_doubt`] holds means the commit may have landed.
    fn commit(&self, user: UserId, commit: Commit<Self::Writes>) -> BoxFuture<'static, Result<(), BackendError>>;

    /// Erases the user for good (an account deletion past its grace period): what tells
    /// others and every row of the user, in one commit fenced like a request's. The actor
    /// handles nothing else meanwhile and retires after.
    fn erase(&self, user: UserId, state: &Self::State, now_ms: i64) -> BoxFuture<'static, Result<(), BackendError>>;

    /// Applies a committed request's delta to the state.
    fn apply(&self, state: &mut Self::State, delta: Self::Delta);

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
