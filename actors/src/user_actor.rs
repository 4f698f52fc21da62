//! `UserActor`: one per logged-in user; holds the user's session and state and handles
//! that user's requests strictly one at a time, in order.
//!
//! Life of a request ([`Call`]): session check → seq check ([`crate::replay`]) → the pure
//! handler on the current state (a panic is caught) → if it changed anything, the writes
//! and the encoded reply are committed together → only then the new state is kept and the
//! reply sent. Every reply waits for its commit inside the actor (`AtomicResponse`), so the
//! next request of the same user sees the committed state.
//!
//! Supervision: a handler panic answers that request with a server error and stops the
//! actor; its `Supervisor` restarts it on the same mailbox and [`Actor::started`] reloads
//! the state from storage. Other users' actors are untouched.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Weak};

use actix::{
    Actor, ActorContext, ActorFutureExt, AsyncContext, AtomicResponse, Context, Handler, Message, Supervised,
    WrapFuture, fut,
};
use prost::Message as _;
use summoner_proto::api::{ErrorCode, Request, Response};

use crate::backend::{Commit, Handled, Loaded, SessionChange, StoredReply, UserBackend};
use crate::directory::Directory;
use crate::in_flight::{Probe, Stage, Tracked, traced};
use crate::messages::{Call, CallError, Erase, Inspect, Inspection, Kick, Passivate, Refresh};
use crate::replay::{self, Decision, LastAnswer};

mod sessions;
use crate::{Clock, Session, UserId};

/// Sent by the actor to itself after a handler panic: stop, so the supervisor restarts it.
struct Restart;

impl Message for Restart {
    type Result = ();
}

/// What the directory gives an actor it starts.
pub(crate) struct ActorSettings<B: UserBackend> {
    pub user: UserId,
    pub actor_id: u64,
    pub backend: Arc<B>,
    pub clock: Arc<dyn Clock>,
    pub directory: Weak<Directory<B>>,
    pub session_ttl_ms: i64,
    pub session_renew_step_ms: i64,
    pub mailbox_capacity: usize,
    /// Where the directory shows the user's shard, once the state is loaded.
    pub shard: Arc<AtomicI32>,
}

struct Live<S> {
    state: S,
    session: Option<Session>,
    /// The session expiry last written to storage.
    stored_expiry_ms: i64,
    last: Option<LastAnswer>,
    /// Whether `last` is held outside this actor too (database or cache).
    last_kept: bool,
}

enum Phase<S> {
    Loading,
    Ready(Box<Live<S>>),
    /// Passivated or failed to load: answers [`CallError::Retired`] to anything.
    Retired,
    /// Its load was refused because another node owns the user: answers
    /// [`CallError::Moved`] to anything, so the caller routes again.
    Elsewhere,
}

/// The actor of one user.
pub struct UserActor<B: UserBackend> {
    settings: ActorSettings<B>,
    phase: Phase<B::State>,
    /// The in-flight probe of the request being handled (one at a time).
    probe: Option<Arc<Tracked>>,
    /// The error code of the answer being made for the call handled now, when it is made
    /// for it (not a replay): [`crate::Answered::fresh_code`].
    fresh_code: Option<i32>,
    /// The state to start from instead of loading it ([`Directory::adopt`]); a restart
    /// loads from storage.
    adopted: Option<Box<Loaded<B::State>>>,
}

impl<B: UserBackend> UserActor<B> {
    pub(crate) fn new(settings: ActorSettings<B>, adopted: Option<Box<Loaded<B::State>>>) -> Self {
        Self { settings, phase: Phase::Loading, probe: None, fresh_code: None, adopted }
    }

    fn user(&self) -> UserId {
        self.settings.user
    }

    fn load(&mut self, ctx: &mut Context<Self>) {
        self.phase = Phase::Loading;
        let user = self.user();
        let load = self.settings.backend.load(user);
        ctx.wait(load.into_actor(self).map(move |loaded, act, ctx| match loaded {
            Ok(loaded) => {
                if let Some(shard) = act.settings.backend.shard(&loaded.state) {
                    act.settings.shard.store(shard, Ordering::Relaxed);
                }
                act.phase = Phase::Ready(Box::new(Live::from(loaded)));
            }
            Err(err) if err.kind == crate::FailureKind::Elsewhere => {
                tracing::info!(user.id = user, error = %err, "user owned by another node; not activated here");
                act.retire(ctx, true);
                act.phase = Phase::Elsewhere;
            }
            Err(err) => {
                tracing::error!(user.id = user, error = %err, "user actor could not load its state");
                act.retire(ctx, true);
            }
        }));
    }

    /// Leaves the directory (if still listed) and stops serving.
    fn retire(&mut self, ctx: &mut Context<Self>, force: bool) -> bool {
        let Some(directory) = self.settings.directory.upgrade() else {
            self.phase = Phase::Retired;
            return true;
        };
        if !directory.try_retire(self.user(), self.settings.actor_id, force) {
            return false;
        }
        if let Phase::Ready(live) = &self.phase
            && let Some(session) = &live.session
        {
            directory.forget_token(&session.token_hash);
        }
        self.phase = Phase::Retired;
        // Stopping lets the supervisor end the actor once the last address is dropped;
        // if a request still holds one, the restarted actor stays retired and answers it
        // with `Retired`, which sends it to a fresh activation.
        ctx.stop();
        true
    }

    /// Retires now (no new request reaches this actor; those queued are sent to a fresh
    /// activation) and stops once the answer being made is sent.
    fn retire_after_reply(&mut self, ctx: &mut Context<Self>) {
        if let Some(directory) = self.settings.directory.upgrade() {
            directory.try_retire(self.user(), self.settings.actor_id, true);
            if let Phase::Ready(live) = &self.phase
                && let Some(session) = &live.session
            {
                directory.forget_token(&session.token_hash);
            }
        }
        self.phase = Phase::Retired;
        ctx.notify(Restart);
    }

    fn error_bytes(seq: u64, now_ms: i64, code: ErrorCode, message: &str) -> Vec<u8> {
        Response { seq, error: code as i32, message: message.to_owned(), server_time_ms: now_ms, ..Default::default() }
            .encode_to_vec()
    }
}

impl<S> From<Loaded<S>> for Live<S> {
    fn from(loaded: Loaded<S>) -> Self {
        let session_id = loaded.session.as_ref().map(|s| s.id);
        let last = loaded
            .last_reply
            .filter(|r| Some(r.session_id) == session_id)
            .map(|r| LastAnswer { seq: r.seq, bytes: r.bytes });
        Live {
            stored_expiry_ms: loaded.session.as_ref().map_or(0, |s| s.expires_at_ms),
            session: loaded.session,
            state: loaded.state,
            last,
            last_kept: true,
        }
    }
}

impl<B: UserBackend> Actor for UserActor<B> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.settings.mailbox_capacity.max(1));
        if let Some(loaded) = self.adopted.take() {
            if let Some(shard) = self.settings.backend.shard(&loaded.state) {
                self.settings.shard.store(shard, Ordering::Relaxed);
            }
            self.phase = Phase::Ready(Box::new(Live::from(*loaded)));
        } else if !matches!(self.phase, Phase::Retired | Phase::Elsewhere) {
            self.load(ctx);
        }
    }
}

impl<B: UserBackend> Supervised for UserActor<B> {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        // The request that made it restart is answered: its in-flight entry goes.
        self.probe = None;
        if !matches!(self.phase, Phase::Retired | Phase::Elsewhere) {
            tracing::warn!(user.id = self.user(), "user actor restarting; state reloads from storage");
            self.phase = Phase::Loading;
        }
    }
}

fn done<A: Actor, T: 'static>(value: T) -> AtomicResponse<A, T> {
    AtomicResponse::new(Box::pin(fut::ready(value)))
}

impl<B: UserBackend> Handler<Call> for UserActor<B> {
    type Result = AtomicResponse<Self, Result<crate::Answered, CallError>>;

    fn handle(&mut self, call: Call, ctx: &mut Context<Self>) -> Self::Result {
        self.fresh_code = None;
        let served = self.serve_call(call, ctx);
        // The request is done here: its in-flight entry goes (unless the caller still waits).
        AtomicResponse::new(Box::pin(served.map(|answer, actor, _| {
            actor.probe = None;
            let fresh_code = actor.fresh_code.take();
            answer.map(|bytes| crate::Answered { bytes, fresh_code })
        })))
    }
}

impl<B: UserBackend> UserActor<B> {
    /// The probe of the request being handled, for code deeper down ([`traced`]).
    fn probe(&self) -> Option<Arc<Probe>> {
        self.probe.as_ref().map(|tracked| tracked.probe().clone())
    }

    /// Handles `call`: what [`Handler::handle`] answers, before the probe is let go.
    fn serve_call(&mut self, call: Call, ctx: &mut Context<Self>) -> Answer<Self> {
        if let Some(tracked) = &call.probe {
            tracked.probe().set_stage(Stage::Handler, None);
        }
        self.probe = call.probe;
        let now = self.settings.clock.now_ms();
        let user = self.user();
        let seq = call.request.seq;
        let ttl = self.settings.session_ttl_ms;
        let renew_step = self.settings.session_renew_step_ms;
        let live = match &mut self.phase {
            Phase::Ready(live) => live,
            Phase::Retired => return Box::pin(fut::ready(Err(CallError::Retired))),
            Phase::Elsewhere => {
                return Box::pin(fut::ready(Err(CallError::Moved("another node owns this user".into()))));
            }
            Phase::Loading => {
                return Box::pin(fut::ready(Err(CallError::Internal("user state is not loaded".into()))));
            }
        };
        let Some(session) = live.session.as_mut().filter(|s| s.token_hash == call.token_hash) else {
            return Box::pin(fut::ready(Err(CallError::Unauthenticated)));
        };
        let ended = session.ended_at_ms.map(|at| (at, session.ended_by_seq));
        if ended.is_none() && session.is_expired(now) {
            return Box::pin(fut::ready(Err(CallError::SessionExpired)));
        }
        // A reply kept in the cache by an earlier activation of this session, newer than
        // what the database gave: the client may be retrying it.
        if let Some(cached) = call.cached
            && cached.session_id == session.id
            && live.last.as_ref().is_none_or(|last| cached.seq > last.seq)
        {
            live.last = Some(LastAnswer { seq: cached.seq, bytes: cached.bytes });
            live.last_kept = true;
        }
        let renewal = if let Some((ended_at, ended_by)) = ended {
            // An ended session answers only a retry of its last request (Logout's or
            // DeleteAccount's answer lost on the way), for one session TTL after its end;
            // and runs again the request that ended it in its own read step if that was
            // never answered (DeleteAccount's retry after its commit failed or its node
            // died: the record ended the session, the answer was not stored). It is never
            // renewed.
            if now >= ended_at.saturating_add(ttl) {
                return Box::pin(fut::ready(Err(CallError::SessionOver)));
            }
            match replay::decide(live.last.as_ref(), seq) {
                Decision::Replay(bytes) => return Box::pin(fut::ready(Ok(bytes.to_vec()))),
                Decision::Fresh
                    if ended_by != 0 && ended_by == seq && self.settings.backend.runs_after_end(&call.request) =>
                {
                    None
                }
                _ => return Box::pin(fut::ready(Err(CallError::Unauthenticated))),
            }
        } else {
            session.expires_at_ms = now + ttl;
            let due = session.expires_at_ms - live.stored_expiry_ms >= renew_step;
            (due || call.unindexed).then(|| session.clone())
        };

        let early = match replay::decide(live.last.as_ref(), seq) {
            Decision::Replay(bytes) => Some(bytes.to_vec()),
            Decision::Stale => {
                self.fresh_code = Some(ErrorCode::StaleRequest as i32);
                Some(Self::error_bytes(seq, now, ErrorCode::StaleRequest, "seq is older than the last request"))
            }
            Decision::Fresh => None,
        };
        if let Some(bytes) = early {
            return self.finish(Ok(bytes), renewal);
        }
        let request = call.request;
        let Some(fetch) = self.settings.backend.fetch(user, &live.state, session, &request, now) else {
            return self.run_fresh(ctx, request, None, now, renewal);
        };
        let fetch = traced(self.probe(), fetch);
        Box::pin(fetch.into_actor(self).then(
            move |fetched, act, ctx| -> actix::ResponseActFuture<Self, Result<Vec<u8>, CallError>> {
                match fetched {
                    Ok(fetched) => act.run_fresh(ctx, request, Some(fetched), now, renewal),
                    Err(err) => {
                        tracing::warn!(user.id = user, request.seq = seq, error = %err, "could not read what the request needs");
                        if act.settings.backend.runs_after_end(&request) {
                            // Its read step may have ended the session in storage before it
                            // failed: this actor's live copy must not go on serving it.
                            act.retire_after_reply(ctx);
                        }
                        act.finish(Err(err.into()), renewal)
                    }
                }
            },
        ))
    }
}

type Answer<A> = actix::ResponseActFuture<A, Result<Vec<u8>, CallError>>;

impl<B: UserBackend> UserActor<B> {
    /// Runs the handler of a fresh request on the current state, commits what it changed,
    /// and answers.
    fn run_fresh(
        &mut self,
        ctx: &mut Context<Self>,
        request: Request,
        fetched: Option<B::Fetched>,
        now: i64,
        renewal: Option<Session>,
    ) -> Answer<Self> {
        let user = self.user();
        let seq = request.seq;
        let ended_by = if self.settings.backend.runs_after_end(&request) { seq } else { 0 };
        let Phase::Ready(live) = &mut self.phase else {
            return Box::pin(fut::ready(Err(CallError::Internal("user state is not loaded".into()))));
        };
        let Some(session) = live.session.clone() else {
            return Box::pin(fut::ready(Err(CallError::Unauthenticated)));
        };
        let backend = &self.settings.backend;
        let state = &live.state;
        let handled = match catch_unwind(AssertUnwindSafe(|| backend.handle(user, state, &request, fetched, now))) {
            Ok(handled) => handled,
            Err(_) => {
                tracing::error!(user.id = user, request.seq = seq, "handler panicked; restarting the user actor");
                self.phase = Phase::Loading;
                // Stop only after this answer is sent: stopping now would drop it.
                ctx.notify(Restart);
                return Box::pin(fut::ready(Err(CallError::Internal(
                    "the server failed while handling this request".into(),
                ))));
            }
        };
        let Some(follow_up) = backend.follow_up(user, state, &handled) else {
            return self.answer(handled, session, seq, ended_by, now, renewal);
        };
        if let Some(tracked) = &self.probe {
            tracked.probe().set_stage(Stage::QuestActor, None);
        }
        let follow_up = traced(self.probe(), follow_up);
        let mut handled = handled;
        Box::pin(follow_up.into_actor(self).then(move |added, act, _| -> Answer<Self> {
            let added = match added {
                Ok(added) => added,
                Err(err) => {
                    tracing::warn!(user.id = user, request.seq = seq, error = %err, "follow-up failed; nothing was applied");
                    return act.finish(Err(err.into()), renewal);
                }
            };
            let Phase::Ready(live) = &act.phase else {
                return Box::pin(fut::ready(Err(CallError::Internal("user actor stopped during the request".into()))));
            };
            act.settings.backend.merge(&live.state, &mut handled, added);
            act.answer(handled, session, seq, ended_by, now, renewal)
        }))
    }

    /// Encodes a handled request's reply, commits its change with it, and answers.
    /// `ended_by`: the seq to record as ending the session if the request ends it (its own
    /// when it may run again on the session it ended, else 0).
    fn answer(
        &mut self,
        handled: Handled<B::Delta, B::Writes>,
        session: Session,
        seq: u64,
        ended_by: u64,
        now: i64,
        renewal: Option<Session>,
    ) -> Answer<Self> {
        let user = self.user();
        let Phase::Ready(live) = &mut self.phase else {
            return Box::pin(fut::ready(Err(CallError::Internal("user state is not loaded".into()))));
        };
        let Handled { mut response, change, ends_session } = handled;
        response.seq = seq;
        response.server_time_ms = now;
        self.fresh_code = Some(response.error);
        let bytes = response.encode_to_vec();
        let ended = ends_session.then(|| session.clone());
        let ends = ended.is_some();

        let Some((delta, writes)) = change else {
            live.last = Some(LastAnswer { seq, bytes: bytes.clone() });
            // Only this actor holds it now; it goes to the cache when the actor retires.
            live.last_kept = false;
            if let Some(session) = ended {
                return self.end_session(session, ended_by, bytes, now);
            }
            return self.finish(Ok(bytes), renewal);
        };
        let reply = StoredReply { session_id: session.id, seq, bytes };
        if let Some(tracked) = &self.probe {
            // The store names the shard when it queues the writes.
            tracked.probe().set_stage(Stage::Persistence, None);
        }
        let commit = traced(self.probe(), self.settings.backend.commit(user, Commit { writes, reply: reply.clone() }));
        let fut = commit.into_actor(self).map(move |result, act, ctx| {
            if let Some(tracked) = &act.probe {
                tracked.probe().set_stage(Stage::Handler, None);
            }
            match result {
                Ok(()) => {
                    let Phase::Ready(live) = &mut act.phase else {
                        return Err(CallError::Internal("user actor stopped during commit".into()));
                    };
                    act.settings.backend.apply(&mut live.state, delta);
                    live.last = Some(LastAnswer { seq, bytes: reply.bytes.clone() });
                    live.last_kept = true;
                    Ok(reply.bytes)
                }
                Err(err) if err.state_in_doubt() => {
                    // The commit may have landed (or another activation owns the user): going
                    // on from this state could apply a retry twice. Retire; the next request
                    // reaches a fresh activation, which loads once the write is decided and
                    // finds this request's stored reply if it landed.
                    tracing::error!(user.id = user, request.seq = seq, error = %err, "commit outcome unknown; the actor retires and reloads");
                    act.retire_after_reply(ctx);
                    Err(err.into())
                }
                Err(err) if ends => {
                    // Its read step may have ended the session in storage (DeleteAccount):
                    // serving on from this actor's live copy would disagree with it.
                    tracing::error!(user.id = user, request.seq = seq, error = %err, "commit failed; nothing was applied; the actor retires");
                    act.retire_after_reply(ctx);
                    Err(err.into())
                }
                Err(err) => {
                    tracing::error!(user.id = user, request.seq = seq, error = %err, "commit failed; nothing was applied");
                    Err(err.into())
                }
            }
        });
        if let Some(session) = ended {
            // Logout with writes (its action log): the session ends once they are durable.
            return Box::pin(fut.then(move |result, act, _| -> Answer<Self> {
                match result {
                    Ok(bytes) => act.end_session(session, ended_by, bytes, now),
                    Err(e) => Box::pin(fut::ready(Err(e))),
                }
            }));
        }
        let renewal = self.renewal(renewal, now);
        Box::pin(fut.then(move |result, _, _| renewal.map(move |(), _, _| result)))
    }
}

impl<B: UserBackend> Handler<Passivate> for UserActor<B> {
    type Result = actix::ResponseFuture<bool>;

    fn handle(&mut self, passivate: Passivate, ctx: &mut Context<Self>) -> Self::Result {
        let unkept = match &self.phase {
            Phase::Ready(live) if !live.last_kept => live.session.clone().zip(live.last.clone()),
            Phase::Ready(_) => None,
            Phase::Loading | Phase::Retired | Phase::Elsewhere => return Box::pin(std::future::ready(false)),
        };
        if !self.retire(ctx, passivate.now) {
            return Box::pin(std::future::ready(false));
        }
        let Some((session, last)) = unkept else {
            return Box::pin(std::future::ready(true));
        };
        let user = self.user();
        let reply = StoredReply { session_id: session.id, seq: last.seq, bytes: last.bytes };
        // Answered once the reply is kept, so whoever passivates knows it is there; this
        // future runs on its own, as the actor is stopping.
        let keep = self.settings.backend.keep_reply(user, &session, reply);
        Box::pin(async move {
            if let Err(err) = keep.await {
                tracing::warn!(user.id = user, error = %err, "last reply not kept; a retry of it is answered afresh");
            }
            true
        })
    }
}

impl<B: UserBackend> Handler<Refresh> for UserActor<B> {
    type Result = AtomicResponse<Self, bool>;

    fn handle(&mut self, refresh: Refresh, _ctx: &mut Context<Self>) -> Self::Result {
        if !matches!(self.phase, Phase::Ready(_)) {
            return done(false);
        }
        let user = self.user();
        let Phase::Ready(live) = &self.phase else { return done(false) };
        let backend = &self.settings.backend;
        let load = match refresh {
            Refresh::Everything => {
                let load = backend.load(user);
                Box::pin(async move { load.await.map(|loaded| loaded.state) })
                    as futures_util::future::BoxFuture<'static, _>
            }
            Refresh::Added | Refresh::Delivered => backend.refresh(user, &live.state, refresh),
        };
        // Atomic: no other message (no request of the user, no other refresh) is handled
        // until the state is read again, so nothing applied meanwhile can be overwritten.
        AtomicResponse::new(Box::pin(load.into_actor(self).map(move |loaded, act, ctx| {
            match (loaded, &mut act.phase) {
                (Ok(state), Phase::Ready(live)) => {
                    live.state = state;
                    true
                }
                (Ok(_), _) => false,
                (Err(err), _) => {
                    tracing::warn!(user.id = user, error = %err, "could not read the state again; the actor retires");
                    act.retire_after_reply(ctx);
                    false
                }
            }
        })))
    }
}

impl<B: UserBackend> Handler<Inspect<B::State>> for UserActor<B> {
    type Result = Result<Inspection<B::State>, CallError>;

    fn handle(&mut self, _: Inspect<B::State>, _ctx: &mut Context<Self>) -> Self::Result {
        match &self.phase {
            Phase::Ready(live) => Ok(Inspection {
                state: live.state.clone(),
                session: live.session.clone(),
                last_seq: live.last.as_ref().map(|l| l.seq),
            }),
            Phase::Retired => Err(CallError::Retired),
            Phase::Elsewhere => Err(CallError::Moved("another node owns this user".into())),
            Phase::Loading => Err(CallError::Internal("user state is not loaded".into())),
        }
    }
}

impl<B: UserBackend> Handler<Kick> for UserActor<B> {
    type Result = AtomicResponse<Self, Result<bool, CallError>>;

    fn handle(&mut self, _: Kick, ctx: &mut Context<Self>) -> Self::Result {
        let live = match &self.phase {
            Phase::Ready(live) => live,
            Phase::Retired => return done(Err(CallError::Retired)),
            Phase::Elsewhere => return done(Err(CallError::Moved("another node owns this user".into()))),
            Phase::Loading => return done(Err(CallError::Internal("user state is not loaded".into()))),
        };
        let now = self.settings.clock.now_ms();
        // An ended or expired session has nothing to end (and gets no replay window).
        let Some(session) = live.session.clone().filter(|s| s.ended_at_ms.is_none() && !s.is_expired(now)) else {
            self.retire_after_reply(ctx);
            return done(Ok(false));
        };
        let user = self.user();
        let ended = session.ended(now, 0);
        let save = self.settings.backend.save_session(user, &live.state, SessionChange::End(ended.clone()), now);
        AtomicResponse::new(Box::pin(save.into_actor(self).map(move |result, act, ctx| {
            result.map_err(|err| {
                tracing::error!(user.id = user, error = %err, "kick not stored; the session stays");
                CallError::from(err)
            })?;
            act.session_ended(ended);
            tracing::info!(user.id = user, "session ended by an operator");
            act.retire_after_reply(ctx);
            Ok(true)
        })))
    }
}

impl<B: UserBackend> Handler<Erase> for UserActor<B> {
    type Result = AtomicResponse<Self, Result<(), CallError>>;

    fn handle(&mut self, _: Erase, _ctx: &mut Context<Self>) -> Self::Result {
        let live = match &self.phase {
            Phase::Ready(live) => live,
            Phase::Retired => return done(Err(CallError::Retired)),
            Phase::Elsewhere => return done(Err(CallError::Moved("another node owns this user".into()))),
            Phase::Loading => return done(Err(CallError::Internal("user state is not loaded".into()))),
        };
        let user = self.user();
        let erase = self.settings.backend.erase(user, &live.state, self.settings.clock.now_ms());
        AtomicResponse::new(Box::pin(erase.into_actor(self).map(move |result, act, ctx| {
            // Erased, or its outcome in doubt: nothing this actor holds may serve again.
            act.retire_after_reply(ctx);
            match result {
                Ok(()) => {
                    tracing::info!(user.id = user, "user erased");
                    Ok(())
                }
                Err(err) => {
                    tracing::error!(user.id = user, error = %err, "erasure not committed; the actor retires");
                    Err(CallError::from(err))
                }
            }
        })))
    }
}

impl<B: UserBackend> Handler<Restart> for UserActor<B> {
    type Result = ();

    fn handle(&mut self, _: Restart, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}
