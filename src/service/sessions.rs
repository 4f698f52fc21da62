//! Finding whose session a token is when no live actor holds it: the cache first (the
//! session and its kept reply in one round trip), then the common database's sessions table.
//!
//! The database is the fallback, not the cache's owner: a cache that lost its entries (a
//! Redis restarted without persistence, a changed shard count, the in-process cache after
//! a restart) or cannot be reached costs one indexed read per look-up, never the player's
//! session. The user's actor then checks the token against the session it loads, so an
//! expired session answers `SESSION_EXPIRED` and a replaced one `UNAUTHENTICATED`, whichever
//! way it was found.
//!
//! Tokens neither knows are bounded two ways, so a flood of made-up tokens from many
//! addresses (each under its own rate limit) does not become one database read per token: a
//! token the database did not know is remembered as unknown for a while (a client stuck on an
//! old token costs one read, not one per retry), and the database reads of this process have
//! a budget per second, past which a token the cache does not know answers "over budget"
//! (503 with `Retry-After`) without a read. A real session is written to the database before
//! its token is handed out, so a token found unknown stays unknown.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota};
use lru::LruCache;
use summoner_actors::{StoredReply, TokenHash, UserId};

use crate::cache::{Cache, FoundSession};
use crate::storage::{Store, StoreError};

/// Who named a session token's user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundIn {
    /// The directory's index: the user's actor is live here and holds the session.
    Directory,
    /// The cache (so a token the actor refuses should have its entry dropped).
    Cache,
    /// The sessions table (so the cache lacks the entry and the actor should write it back).
    Database,
}

/// Where a session token led.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOwner {
    pub user: UserId,
    /// The session's last reply as the cache kept it when the user's actor retired.
    pub kept_reply: Option<StoredReply>,
    pub found_in: FoundIn,
}

/// Why a token's user could not be found.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The budget of database look-ups is spent for now; nothing was read.
    #[error("too many unknown session tokens to look up; retry later")]
    OverBudget,
}

/// How look-ups of tokens the cache does not know are bounded.
#[derive(Debug, Clone, Copy)]
pub struct LookupBounds {
    /// Database look-ups of this process per second (also the burst); 0: unbounded.
    pub per_second: u32,
    /// Tokens remembered as unknown at most (the least recently seen go first); 0: none.
    pub unknown_kept: usize,
    /// How long a token is remembered as unknown.
    pub unknown_for: Duration,
}

/// Finds sessions for the transport, over the cache and the store it is handed at wiring.
#[derive(Clone)]
pub struct Sessions {
    cache: Arc<dyn Cache>,
    store: Arc<dyn Store>,
    budget: Option<Arc<DefaultDirectRateLimiter>>,
    unknown: Option<Arc<Mutex<LruCache<TokenHash, Instant>>>>,
    unknown_for: Duration,
}

impl Sessions {
    /// Sessions found in `cache`, else in `store`, within `bounds`.
    pub fn new(cache: Arc<dyn Cache>, store: Arc<dyn Store>, bounds: LookupBounds) -> Self {
        let budget = NonZeroU32::new(bounds.per_second)
            .map(|rate| Arc::new(DefaultDirectRateLimiter::direct(Quota::per_second(rate))));
        let unknown = std::num::NonZeroUsize::new(bounds.unknown_kept).map(|n| Arc::new(Mutex::new(LruCache::new(n))));
        Self { cache, store, budget, unknown, unknown_for: bounds.unknown_for }
    }

    /// The user of session `token` ([`find_owner`]), None when it is unknown, or
    /// [`LookupError::OverBudget`] when the cache does not know it and the database may not be
    /// asked now.
    pub async fn find_owner(&self, token: TokenHash) -> Result<Option<SessionOwner>, LookupError> {
        if self.known_unknown(token) {
            crate::metrics::METRICS.unknown_tokens_remembered.inc();
            return Ok(None);
        }
        let budget = || self.budget.as_ref().is_none_or(|b| b.check().is_ok());
        let found = find_owner(self.cache.as_ref(), self.store.as_ref(), token, budget).await?;
        if found.is_none()
            && let Some(unknown) = &self.unknown
        {
            unknown.lock().unwrap_or_else(|p| p.into_inner()).put(token, Instant::now() + self.unknown_for);
        }
        Ok(found)
    }

    /// Whether `token` was found unknown lately (an entry past its time is dropped).
    fn known_unknown(&self, token: TokenHash) -> bool {
        let Some(unknown) = &self.unknown else { return false };
        let mut unknown = unknown.lock().unwrap_or_else(|p| p.into_inner());
        match unknown.get(&token) {
            Some(until) if Instant::now() < *until => true,
            Some(_) => {
                unknown.pop(&token);
                false
            }
            None => false,
        }
    }

    /// Remembers as unknown a token whose session the user's actor says ended past its
    /// retry window (the sessions table still names its user until the next login), so a
    /// client stuck on it costs no more look-ups (in this process, for `unknown_for`).
    pub fn refused(&self, token: TokenHash) {
        if let Some(unknown) = &self.unknown {
            unknown.lock().unwrap_or_else(|p| p.into_inner()).put(token, Instant::now() + self.unknown_for);
        }
    }

    /// Drops the cache's entry of a token the user's actor refused (best effort: a stale
    /// entry only expires).
    pub async fn forget(&self, token: TokenHash) {
        if let Err(e) = self.cache.end_session(token).await {
            tracing::debug!(error = %e, "stale session entry left to expire");
        }
    }
}

/// The user of session `token`, or None when neither the cache nor the database knows it.
///
/// An unreachable cache does not stop the look-up: the database answers. What is lost is
/// only a reply the cache kept for a retry, which then is answered afresh; such replies are
/// of reads and refusals, so answering again changes nothing. A Redis outage so costs
/// players nothing but Login and friend operations.
///
/// The database is read only when `may_read` allows it (else [`LookupError::OverBudget`]).
pub async fn find_owner(
    cache: &dyn Cache,
    store: &dyn Store,
    token: TokenHash,
    may_read: impl FnOnce() -> bool,
) -> Result<Option<SessionOwner>, LookupError> {
    let found = match cache.find_session(token).await {
        Ok(found) => found,
        Err(e) => {
            tracing::debug!(error = %e, "session look-up falls back to the database");
            FoundSession::default()
        }
    };
    let (user, found_in) = match found.session {
        Some(session) => (session.user_id, FoundIn::Cache),
        None => {
            if !may_read() {
                crate::metrics::METRICS.session_lookups_over_budget.inc();
                return Err(LookupError::OverBudget);
            }
            crate::metrics::METRICS.session_store_lookups.inc();
            match store.user_for_token(token).await? {
                Some(user) => (user, FoundIn::Database),
                None => return Ok(None),
            }
        }
    };
    // A reply kept for another user would be an entry of a reused key: never serve it.
    let kept_reply = found.reply.filter(|r| r.user_id == user).map(|r| StoredReply {
        session_id: r.session_id,
        seq: r.seq,
        bytes: r.response,
    });
    Ok(Some(SessionOwner { user, kept_reply, found_in }))
}
