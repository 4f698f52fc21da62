//! The messages a user's actor answers, and why a request may get no game-level answer.

use std::sync::Arc;

use actix::Message;
use summoner_proto::api::Request;

use crate::backend::{BackendError, FailureKind, StoredReply};
use crate::in_flight::Tracked;
use crate::{Session, TokenHash};

/// Why a request got no game-level answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The token is not this user's current session.
    #[error("unknown session")]
    Unauthenticated,
    /// The session was idle past its time to live.
    #[error("session expired")]
    SessionExpired,
    /// The token's session ended (Logout, DeleteAccount, a kick) longer than a session's
    /// time to live ago: it answers nothing any more, not even a retry.
    #[error("session ended")]
    SessionOver,
    /// This actor was passivated; route the request again to reach the live one.
    #[error("actor retired")]
    Retired,
    /// A server fault; nothing was applied.
    #[error("{0}")]
    Internal(String),
    /// A service the request needs (the cache) is down; nothing was applied.
    #[error("{0}")]
    Unavailable(String),
    /// Too much work queued (the shard's write queue); nothing was applied.
    #[error("{0}")]
    Overloaded(String),
    /// Another activation owns the user (on another node, or this node lost its lease);
    /// nothing was applied: the request is to be routed again.
    #[error("{0}")]
    Moved(String),
}

/// One API request of this user. Answers the encoded `Response`.
#[derive(Debug)]
pub struct Call {
    pub token_hash: TokenHash,
    pub request: Request,
    /// The session's last reply as the cache kept it, when the caller looked it up (the
    /// actor may have retired since answering it).
    pub cached: Option<StoredReply>,
    /// The cache did not know the token (it was found in the database): the actor renews
    /// the session now rather than at the next renewal step, which writes the entry back.
    pub unindexed: bool,
    /// The request's entry in the in-flight registry: the actor records where it waits.
    /// The entry stays registered while the actor holds it, also after the caller stopped
    /// waiting, so a request still being worked on past its deadline stays in view.
    pub probe: Option<Arc<Tracked>>,
}

impl Message for Call {
    type Result = Result<Answered, CallError>;
}

/// A request's answer, as the caller relays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// The encoded `Response`.
    pub bytes: Vec<u8>,
    /// Its error code when it was made for this call (0: none), so it is counted once;
    /// None when it repeats an earlier answer (a retry's replay).
    pub fresh_code: Option<i32>,
}

/// Starts a new session (Login), ending the previous one. Answers the user's state.
#[derive(Debug)]
pub struct OpenSession<S> {
    pub session: Session,
    _state: std::marker::PhantomData<fn() -> S>,
}

impl<S> OpenSession<S> {
    /// A request to open `session`.
    pub fn new(session: Session) -> Self {
        Self { session, _state: std::marker::PhantomData }
    }
}

impl<S: 'static> Message for OpenSession<S> {
    type Result = Result<S, CallError>;
}

/// Tells the actor that someone else wrote rows of its user: it reads its state again from
/// storage, handling nothing else meanwhile, so its next request sees them. Answers whether
/// it did (false: it is not serving, and the next activation loads anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Any row may have changed (an operator's edit): the whole state is loaded again.
    Everything,
    /// Others added the rows the backend reads again in `UserBackend::refresh` (an
    /// operator's grant mail): only those are read.
    Added,
    /// Deliveries from other users reached the user's inbox: only what they add is read
    /// (`UserBackend::refresh` with this word).
    Delivered,
}

impl Message for Refresh {
    type Result = bool;
}

/// Asks for a copy of what the actor holds (operators' views). Answered between requests,
/// never in the middle of one.
#[derive(Debug)]
pub struct Inspect<S> {
    _state: std::marker::PhantomData<fn() -> S>,
}

impl<S> Default for Inspect<S> {
    fn default() -> Self {
        Self { _state: std::marker::PhantomData }
    }
}

/// What a user's actor holds.
#[derive(Debug, Clone)]
pub struct Inspection<S> {
    pub state: S,
    /// The open session (its token hash stays inside the actor crate's callers' hands:
    /// views show its id and expiry only).
    pub session: Option<Session>,
    /// The seq of the last answered request of the session.
    pub last_seq: Option<u64>,
}

impl<S: 'static> Message for Inspect<S> {
    type Result = Result<Inspection<S>, CallError>;
}

/// Ends the user's session (an operator's kick): stored as ended, the token forgotten, and
/// the actor retires, so the next request with that token answers `UNAUTHENTICATED`.
/// Answers whether a session was open.
#[derive(Debug, Default)]
pub struct Kick;

impl Message for Kick {
    type Result = Result<bool, CallError>;
}

/// Erases the user for good (an account deletion past its grace period): the backend's
/// [`crate::UserBackend::erase`] on the state the actor holds, after the request it is
/// handling. The actor retires after it, whatever its outcome: its state is gone or in doubt.
#[derive(Debug, Default)]
pub struct Erase;

impl Message for Erase {
    type Result = Result<(), CallError>;
}

/// Asks the actor to retire: if it is still idle or, with `now`, once the request it is
/// handling is answered (requests queued behind go to a fresh activation). Its last
/// answer is kept first. Answers whether it retired.
#[derive(Debug)]
pub struct Passivate {
    pub now: bool,
}

impl Message for Passivate {
    type Result = bool;
}

impl From<BackendError> for CallError {
    fn from(err: BackendError) -> Self {
        match err.kind {
            FailureKind::Unavailable => CallError::Unavailable(format!("{err}; retry")),
            FailureKind::Overloaded => CallError::Overloaded("too many writes queued; retry".into()),
            FailureKind::Failed => CallError::Internal("storage is unavailable; retry".into()),
            FailureKind::Conflict => {
                CallError::Internal("the request met a change made elsewhere; retry with the same seq".into())
            }
            FailureKind::OutcomeUnknown => {
                CallError::Internal("the outcome of this request is not known yet; retry with the same seq".into())
            }
            FailureKind::Superseded | FailureKind::Elsewhere => CallError::Moved(
                "another node serves this user now; nothing was applied: retry with the same seq".into(),
            ),
        }
    }
}
