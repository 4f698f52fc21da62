//! The session side of a user's actor: opening one (Login, [`OpenSession`]), storing a due
//! renewal before a request is answered, and ending one (Logout). The database's session row
//! is what the actor checks tokens against; these keep it and the directory's token index
//! in step with the actor's own copy.

use actix::{ActorFutureExt, AtomicResponse, Context, Handler, WrapFuture, fut};

use super::{Answer, Phase, UserActor, done};
use crate::Session;
use crate::backend::{SessionChange, UserBackend};
use crate::messages::{CallError, OpenSession};

impl<B: UserBackend> UserActor<B> {
    /// Answers `result` after writing a due session renewal (best effort: the actor's own
    /// expiry stays authoritative while it lives).
    pub(super) fn finish(&mut self, result: Result<Vec<u8>, CallError>, renewal: Option<Session>) -> Answer<Self> {
        if renewal.is_none() {
            return Box::pin(fut::ready(result));
        }
        let now = self.settings.clock.now_ms();
        Box::pin(self.renewal(renewal, now).map(move |(), _, _| result))
    }

    pub(super) fn renewal(&mut self, renewal: Option<Session>, now: i64) -> actix::ResponseActFuture<Self, ()> {
        let (Some(session), Phase::Ready(live)) = (renewal, &self.phase) else {
            return Box::pin(fut::ready(()));
        };
        let user = self.user();
        let expiry = session.expires_at_ms;
        let save = self.settings.backend.save_session(user, &live.state, SessionChange::Renew(session), now);
        Box::pin(save.into_actor(self).map(move |result, act, _| {
            if let Err(err) = result {
                tracing::warn!(user.id = user, error = %err, "session renewal not stored; next try in one renewal step");
            }
            // Even after a failure: trying again on every request would make each one wait
            // for the storage timeout during an outage. The actor's expiry stays the truth
            // while it lives.
            if let Phase::Ready(live) = &mut act.phase {
                live.stored_expiry_ms = expiry;
            }
        }))
    }

    /// The session ended and is stored so (Logout, DeleteAccount, or an operator's kick):
    /// the actor keeps it as ended, with its last answer (a retry of that request still gets
    /// it; anything else with the token is refused), and the directory forgets the token.
    pub(super) fn session_ended(&mut self, ended: Session) {
        let token = ended.token_hash;
        if let Phase::Ready(live) = &mut self.phase {
            live.session = Some(ended);
        }
        if let Some(directory) = self.settings.directory.upgrade() {
            directory.forget_token(&token);
        }
    }

    /// Ends the session by request `seq` (Logout, DeleteAccount): stores it as ended, then
    /// forgets the token.
    pub(super) fn end_session(&mut self, session: Session, seq: u64, bytes: Vec<u8>, now: i64) -> Answer<Self> {
        let user = self.user();
        let Phase::Ready(live) = &self.phase else {
            return Box::pin(fut::ready(Err(CallError::Internal("user state is not loaded".into()))));
        };
        let ended = session.ended(now, seq);
        let save = self.settings.backend.save_session(user, &live.state, SessionChange::End(ended.clone()), now);
        Box::pin(save.into_actor(self).map(move |result, act, ctx| {
            if let Err(err) = result {
                // The reply is this actor's last answer already: a retry would be answered
                // from it while the session went on here. Retired, the next request reloads
                // the session as storage has it: ended for DeleteAccount (its record ended
                // it); still live for Logout, whose retry then answers OK while the session
                // lasts until it expires (the client drops its token anyway).
                tracing::error!(user.id = user, error = %err, "session end not stored; the actor retires");
                act.retire_after_reply(ctx);
                return Err(CallError::from(err));
            }
            act.session_ended(ended);
            Ok(bytes)
        }))
    }
}

impl<B: UserBackend> Handler<OpenSession<B::State>> for UserActor<B> {
    type Result = AtomicResponse<Self, Result<B::State, CallError>>;

    fn handle(&mut self, msg: OpenSession<B::State>, _ctx: &mut Context<Self>) -> Self::Result {
        match &self.phase {
            Phase::Ready(_) => {}
            Phase::Retired => return done(Err(CallError::Retired)),
            Phase::Elsewhere => return done(Err(CallError::Moved("another node owns this user".into()))),
            Phase::Loading => {
                return done(Err(CallError::Internal("user state is not loaded".into())));
            }
        }
        let Phase::Ready(live) = &self.phase else {
            return done(Err(CallError::Retired));
        };
        let user = self.user();
        let session = msg.session;
        let replaced = live.session.as_ref().map(|s| s.token_hash);
        let change = SessionChange::Open { session: session.clone(), replaced };
        let now = self.settings.clock.now_ms();
        let save = self.settings.backend.save_session(user, &live.state, change, now);
        AtomicResponse::new(Box::pin(save.into_actor(self).map(move |result, act, _| {
            result.map_err(|err| {
                tracing::error!(user.id = user, error = %err, "session not stored");
                CallError::from(err)
            })?;
            let Phase::Ready(live) = &mut act.phase else {
                return Err(CallError::Retired);
            };
            let directory = act.settings.directory.upgrade();
            if let (Some(old), Some(directory)) = (&live.session, &directory) {
                directory.forget_token(&old.token_hash);
            }
            if let Some(directory) = &directory {
                directory.remember_token(session.token_hash, user);
            }
            live.stored_expiry_ms = session.expires_at_ms;
            live.session = Some(session);
            live.last = None;
            live.last_kept = true;
            Ok(live.state.clone())
        })))
    }
}
