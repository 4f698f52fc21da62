//! Finding whose session a token is when no live actor holds it: the cache first (the
//! session and its kept reply in one round trip), then the common database's sessions table.
//!
//! The database is the fallback, not the cache's owner: a cache that lost its entries (a
//! Redis restarted without persistence, a changed shard count, the in-process cache after
//! a restart) or cannot be reached costs one indexed read per look-up, never the player's
//! session. The user's actor then checks the token against the session it loads, so an
//! expired session answers `SESSION_EXPIRED` and a replaced one `UNAUTHENTICATED`, whichever
//! way it was found.

use std::sync::Arc;

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

/// Finds sessions for the transport, over the cache and the store it is handed at wiring.
#[derive(Clone)]
pub struct Sessions {
    cache: Arc<dyn Cache>,
    store: Arc<dyn Store>,
}

impl Sessions {
    /// Sessions found in `cache`, else in `store`.
    pub fn new(cache: Arc<dyn Cache>, store: Arc<dyn Store>) -> Self {
        Self { cache, store }
    }

    /// The user of session `token` ([`find_owner`]).
    pub async fn find_owner(&self, token: TokenHash) -> Result<Option<SessionOwner>, StoreError> {
        find_owner(self.cache.as_ref(), self.store.as_ref(), token).await
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
pub async fn find_owner(
    cache: &dyn Cache,
    store: &dyn Store,
    token: TokenHash,
) -> Result<Option<SessionOwner>, StoreError> {
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
