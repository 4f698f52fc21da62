//! The directory of live user actors: which actor serves which user, and which session
//! token belongs to which user.
//!
//! It starts an actor on a user's first request (activation), admits at most
//! `mailbox_capacity` requests per user at once (the overload policy: the next one is
//! refused with [`RouteError::Overloaded`], which the transport answers 503 + Retry-After,
//! rather than queueing without bound), and retires actors that were idle longer than
//! `idle_timeout_ms` (passivation) so their memory is freed.
//!
//! Retirement is decided under the same lock that admits requests, so a request is
//! either admitted before the actor retires (and the actor stays) or after (and reaches a
//! freshly activated actor): never two actors for one user.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use actix::{Addr, Supervisor};
use futures_util::future::join_all;

use crate::messages::Passivate;
use crate::user_actor::{ActorSettings, UserActor};
use crate::{Clock, Loaded, TokenHash, UserBackend, UserId};

/// Lock stripes of the actor map; enough that the HTTP workers rarely wait on each other.
const STRIPES: usize = 16;

/// Limits and timeouts of user actors.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    /// Requests of one user admitted at once (being handled or queued).
    pub mailbox_capacity: usize,
    /// An actor with no request for this long is passivated.
    pub idle_timeout_ms: i64,
    /// A session expires after this long without a request.
    pub session_ttl_ms: i64,
    /// Session renewals are written to storage only when the expiry moved by this much.
    pub session_renew_step_ms: i64,
}

/// A request could not be admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("too many requests in flight for this user")]
    Overloaded,
}

struct Entry<B: UserBackend> {
    addr: Addr<UserActor<B>>,
    actor_id: u64,
    in_flight: Arc<AtomicUsize>,
    last_active_ms: Arc<AtomicI64>,
    activated_ms: i64,
    /// The user's shard once the actor loaded its state; [`NO_SHARD`] before.
    shard: Arc<AtomicI32>,
}

impl<B: UserBackend> Entry<B> {
    fn info(&self, user: UserId) -> ActorInfo {
        ActorInfo {
            user,
            actor_id: self.actor_id,
            mailbox_depth: self.in_flight.load(Ordering::SeqCst),
            last_active_ms: self.last_active_ms.load(Ordering::SeqCst),
            activated_ms: self.activated_ms,
            shard: Some(self.shard.load(Ordering::Relaxed)).filter(|s| *s != NO_SHARD),
        }
    }
}

/// The shard of an actor that has not loaded its state yet.
const NO_SHARD: i32 = -1;

/// A live user actor as operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorInfo {
    pub user: UserId,
    pub actor_id: u64,
    /// Requests admitted and not yet answered (being handled or queued).
    pub mailbox_depth: usize,
    pub last_active_ms: i64,
    pub activated_ms: i64,
    /// The user's shard, once loaded.
    pub shard: Option<i32>,
}

/// A request admitted to a user's actor. Dropping it frees the admission slot.
pub struct Routed<B: UserBackend> {
    pub addr: Addr<UserActor<B>>,
    in_flight: Arc<AtomicUsize>,
}

impl<B: UserBackend> Drop for Routed<B> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Live user actors and the session-token index, shared by every HTTP worker.
pub struct Directory<B: UserBackend> {
    backend: Arc<B>,
    clock: Arc<dyn Clock>,
    config: DirectoryConfig,
    stripes: Vec<Mutex<HashMap<UserId, Entry<B>>>>,
    hasher: RandomState,
    /// The token index, striped like the actor map so requests do not queue on one lock.
    tokens: Vec<Mutex<HashMap<TokenHash, UserId>>>,
    next_actor_id: AtomicU64,
    me: Weak<Self>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave a map half-updated (every critical
    // section is a single insert, remove or read), so a poisoned lock is safe to reuse.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<B: UserBackend> Directory<B> {
    /// An empty directory.
    pub fn new(backend: Arc<B>, clock: Arc<dyn Clock>, config: DirectoryConfig) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            backend,
            clock,
            config,
            stripes: (0..STRIPES).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            tokens: (0..STRIPES).map(|_| Mutex::new(HashMap::new())).collect(),
            next_actor_id: AtomicU64::new(1),
            me: me.clone(),
        })
    }

    /// The backend actors use.
    pub fn backend(&self) -> &Arc<B> {
        &self.backend
    }

    /// The clock actors use.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The configuration actors use.
    pub fn config(&self) -> &DirectoryConfig {
        &self.config
    }

    fn stripe(&self, user: UserId) -> &Mutex<HashMap<UserId, Entry<B>>> {
        &self.stripes[(self.hasher.hash_one(user) as usize) % STRIPES]
    }

    /// Admits one request for `user`, activating the user's actor if none is live.
    /// Must be called from inside an actix arbiter (an HTTP worker or a `System`).
    pub fn route(&self, user: UserId) -> Result<Routed<B>, RouteError> {
        let now = self.clock.now_ms();
        let mut map = lock(self.stripe(user));
        // An actor that died outside a handler (its mailbox closed) is replaced here.
        if map.get(&user).is_some_and(|e| !e.addr.connected()) {
            map.remove(&user);
        }
        let entry = map.entry(user).or_insert_with(|| self.activate(user, None));
        if entry.in_flight.load(Ordering::SeqCst) >= self.config.mailbox_capacity {
            return Err(RouteError::Overloaded);
        }
        entry.in_flight.fetch_add(1, Ordering::SeqCst);
        entry.last_active_ms.store(now, Ordering::SeqCst);
        Ok(Routed { addr: entry.addr.clone(), in_flight: entry.in_flight.clone() })
    }

    /// Starts `user`'s actor from `loaded`, the state the caller has just written (a new
    /// user's sign-up), instead of reading it from storage; its session's token is
    /// remembered. False, with nothing started, when an actor of the user is live already
    /// (the caller then goes through it). Must be called from inside an actix arbiter.
    pub fn adopt(&self, user: UserId, loaded: Loaded<B::State>) -> bool {
        let token = loaded.session.as_ref().map(|s| s.token_hash);
        {
            let mut map = lock(self.stripe(user));
            if map.get(&user).is_some_and(|e| e.addr.connected()) {
                return false;
            }
            map.insert(user, self.activate(user, Some(Box::new(loaded))));
        }
        if let Some(token) = token {
            self.remember_token(token, user);
        }
        true
    }

    fn activate(&self, user: UserId, adopted: Option<Box<Loaded<B::State>>>) -> Entry<B> {
        let actor_id = self.next_actor_id.fetch_add(1, Ordering::Relaxed);
        let shard = Arc::new(AtomicI32::new(NO_SHARD));
        let settings = ActorSettings {
            user,
            actor_id,
            backend: self.backend.clone(),
            clock: self.clock.clone(),
            directory: self.me.clone(),
            session_ttl_ms: self.config.session_ttl_ms,
            session_renew_step_ms: self.config.session_renew_step_ms,
            mailbox_capacity: self.config.mailbox_capacity,
            shard: shard.clone(),
        };
        let addr = Supervisor::start(move |_| UserActor::new(settings, adopted));
        tracing::debug!(user.id = user, actor.id = actor_id, "user actor activated");
        Entry {
            addr,
            actor_id,
            in_flight: Arc::new(AtomicUsize::new(0)),
            last_active_ms: Arc::new(AtomicI64::new(self.clock.now_ms())),
            activated_ms: self.clock.now_ms(),
            shard,
        }
    }

    /// Removes the actor `actor_id` of `user` if it is still the live one and, unless
    /// `force`, has nothing in flight and was idle for the configured timeout. Returns
    /// whether it was removed; a removed actor must stop serving.
    pub(crate) fn try_retire(&self, user: UserId, actor_id: u64, force: bool) -> bool {
        let now = self.clock.now_ms();
        let mut map = lock(self.stripe(user));
        let Some(entry) = map.get(&user) else {
            return false;
        };
        if entry.actor_id != actor_id {
            return false;
        }
        let idle = now - entry.last_active_ms.load(Ordering::SeqCst) >= self.config.idle_timeout_ms
            && entry.in_flight.load(Ordering::SeqCst) == 0;
        if !force && !idle {
            return false;
        }
        map.remove(&user);
        true
    }

    fn token_stripe(&self, token: &TokenHash) -> &Mutex<HashMap<TokenHash, UserId>> {
        // Token hashes are SHA-256 output: any of their bytes is evenly spread.
        &self.tokens[usize::from(token.0[0]) % STRIPES]
    }

    /// The user a session token hash belongs to, if a live actor registered it.
    pub fn user_for_token(&self, token: &TokenHash) -> Option<UserId> {
        lock(self.token_stripe(token)).get(token).copied()
    }

    /// Records that `token` belongs to `user` (after a login or a storage look-up).
    pub fn remember_token(&self, token: TokenHash, user: UserId) {
        lock(self.token_stripe(&token)).insert(token, user);
    }

    /// Forgets a token (logout, a newer login, passivation).
    pub fn forget_token(&self, token: &TokenHash) {
        lock(self.token_stripe(token)).remove(token);
    }

    /// The live actor of `user`, if there is one (no activation).
    pub fn live(&self, user: UserId) -> Option<Addr<UserActor<B>>> {
        lock(self.stripe(user)).get(&user).map(|e| e.addr.clone())
    }

    /// Every live actor, as operators see it (in no particular order).
    pub fn actors(&self) -> Vec<ActorInfo> {
        self.stripes
            .iter()
            .flat_map(|stripe| lock(stripe).iter().map(|(user, e)| e.info(*user)).collect::<Vec<_>>())
            .collect()
    }

    /// The live actor of `user` as operators see it.
    pub fn actor(&self, user: UserId) -> Option<ActorInfo> {
        lock(self.stripe(user)).get(&user).map(|e| e.info(user))
    }

    /// Passivates `user`'s actor now (after the request it is handling); answers whether
    /// it retired (false: none was live).
    pub async fn passivate(&self, user: UserId) -> bool {
        let Some(addr) = self.live(user) else { return false };
        matches!(addr.send(Passivate { now: true }).await, Ok(true))
    }

    /// Requests admitted to live actors and not yet answered: in all, and at the busiest
    /// actor (its mailbox depth).
    pub fn mailbox_depths(&self) -> (usize, usize) {
        let (mut total, mut deepest) = (0, 0);
        for stripe in &self.stripes {
            for entry in lock(stripe).values() {
                let depth = entry.in_flight.load(Ordering::SeqCst);
                total += depth;
                deepest = deepest.max(depth);
            }
        }
        (total, deepest)
    }

    /// How many user actors are live.
    pub fn live_actors(&self) -> usize {
        self.stripes.iter().map(|s| lock(s).len()).sum()
    }

    /// Passivates every actor idle for the configured timeout; returns how many retired.
    pub async fn passivate_idle(&self) -> usize {
        let now = self.clock.now_ms();
        let candidates: Vec<Addr<UserActor<B>>> = self
            .stripes
            .iter()
            .flat_map(|stripe| {
                lock(stripe)
                    .values()
                    .filter(|e| {
                        now - e.last_active_ms.load(Ordering::SeqCst) >= self.config.idle_timeout_ms
                            && e.in_flight.load(Ordering::SeqCst) == 0
                    })
                    .map(|e| e.addr.clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        let results = join_all(candidates.iter().map(|a| a.send(Passivate { now: false }))).await;
        results.into_iter().filter(|r| matches!(r, Ok(true))).count()
    }

    /// Passivates every serving actor, busy or not (each after the request it is handling),
    /// so the next request of each user reads its state from storage again (an actor still
    /// loading reads storage anyway); returns how many retired.
    pub async fn passivate_all(&self) -> usize {
        let all: Vec<Addr<UserActor<B>>> = self
            .stripes
            .iter()
            .flat_map(|stripe| lock(stripe).values().map(|e| e.addr.clone()).collect::<Vec<_>>())
            .collect();
        let results = join_all(all.iter().map(|a| a.send(Passivate { now: true }))).await;
        results.into_iter().filter(|r| matches!(r, Ok(true))).count()
    }
}

/// Why [`Directory::ask`] got no answer from the user's actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AskError {
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Call(#[from] crate::CallError),
    /// No answer within the timeout; the request may still be applied, so the client
    /// retries with the same seq.
    #[error("the user's actor did not answer in time")]
    Timeout,
}

impl<B: UserBackend> Directory<B> {
    /// Sends a message made by `make` to `user`'s actor and waits at most `timeout` for the
    /// answer. If the actor retired or died meanwhile, the message goes once more to a
    /// fresh activation (the message was not handled, so sending it again is safe).
    pub async fn ask<M, R>(
        &self,
        user: UserId,
        timeout: std::time::Duration,
        mut make: impl FnMut() -> M,
    ) -> Result<R, AskError>
    where
        M: actix::Message<Result = Result<R, crate::CallError>> + Send + 'static,
        R: Send + 'static,
        UserActor<B>: actix::Handler<M>,
        <UserActor<B> as actix::Actor>::Context: actix::dev::ToEnvelope<UserActor<B>, M>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let routed = self.route(user)?;
            let answer = tokio::time::timeout_at(deadline, routed.addr.send(make())).await;
            match answer {
                Err(_) => return Err(AskError::Timeout),
                Ok(Ok(Ok(value))) => return Ok(value),
                Ok(Ok(Err(crate::CallError::Retired))) | Ok(Err(actix::MailboxError::Closed)) if attempts < 3 => {
                    continue;
                }
                Ok(Ok(Err(e))) => return Err(AskError::Call(e)),
                Ok(Err(actix::MailboxError::Closed)) => {
                    return Err(AskError::Call(crate::CallError::Internal("the user's actor is unavailable".into())));
                }
                Ok(Err(actix::MailboxError::Timeout)) => return Err(AskError::Timeout),
            }
        }
    }
}
