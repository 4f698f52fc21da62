//! Where a user actor's sessions and kept replies go: the session row in the user's
//! database (the truth of which session is current: the actor checks every token against
//! it) and the token's entry in the cache (which only finds the user for a token).
//!
//! Order of writes on Login: the cache first (so an unreachable cache refuses the login
//! before anything changed), then the database. A sign-up's first session is in the
//! database with the account, its cache entry written after (`index`): an unreachable cache
//! refuses that login with the account registered and the session unknown to the client.
//! Renewals write the cache behind the reply.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner_actors::{BackendError, Session, SessionChange, StoredReply, TokenHash, UserId};
use summoner_proto::cache::{CachedReply, SessionRecord};

use crate::cache::behind::WriteBehind;
use crate::cache::{Activity, Cache};
use crate::game::friends;
use crate::game::state::UserState;
use crate::service::failure::{cache_error, storage_error};
use crate::storage::Store;

/// Sessions and kept replies of the user actors of this node.
pub struct SessionStore {
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub behind: Arc<WriteBehind>,
    /// This node, recorded in session entries.
    pub node_id: u16,
}

impl SessionStore {
    fn record(&self, state: &UserState, session: &Session) -> SessionRecord {
        SessionRecord {
            user_id: state.user_id(),
            session_id: session.id,
            expires_at_ms: session.expires_at_ms,
            node_id: u32::from(self.node_id),
            game_shard: state.shards.game as u32,
            log_shard: state.shards.log as u32,
        }
    }

    /// What recommendations learn of the user when their session is written.
    fn activity(state: &UserState, now_ms: i64) -> Activity {
        Activity {
            bucket: friends::bucket(state.profile.level),
            card: friends::card(&state.profile, now_ms),
            window_ms: friends::ACTIVE_WINDOW_MS,
            cap: friends::BUCKET_CAP,
        }
    }

    /// Writes the cache's entry of a new session of the user of `state` (ending `replaced`'s).
    pub fn index(
        &self,
        state: &UserState,
        session: &Session,
        replaced: Option<TokenHash>,
        now_ms: i64,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let record = self.record(state, session);
        let activity = Some(Self::activity(state, now_ms));
        let indexed = self.cache.put_session(session.token_hash, record, now_ms, replaced, activity);
        async move { indexed.await.map_err(cache_error) }.boxed()
    }

    /// Opens, renews or ends a session of `user`.
    pub fn save(
        &self,
        user: UserId,
        state: &UserState,
        change: SessionChange,
        now_ms: i64,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let store = self.store.clone();
        match change {
            SessionChange::Open { session, replaced } => {
                let indexed = self.index(state, &session, replaced, now_ms);
                async move {
                    indexed.await?;
                    store.save_session(user, Some(session)).await.map_err(storage_error)
                }
                .boxed()
            }
            SessionChange::Renew(session) => {
                let record = self.record(state, &session);
                let activity = Some(Self::activity(state, now_ms));
                let indexed = self.cache.put_session(session.token_hash, record, now_ms, None, activity);
                let behind = self.behind.clone();
                async move {
                    // The database's expiry is what the actor checks; the cache entry only
                    // finds the user (a lapsed one is looked up in the database).
                    behind.send("session renewal", user, indexed);
                    store.save_session(user, Some(session)).await.map_err(storage_error)
                }
                .boxed()
            }
            SessionChange::End(session) => {
                let cache = self.cache.clone();
                async move {
                    store.save_session(user, Some(session.clone())).await.map_err(storage_error)?;
                    // The database has the session as ended, so the actor answers the token
                    // only a retry of its last request, whatever the cache says.
                    if let Err(e) = cache.end_session(session.token_hash).await {
                        tracing::warn!(user.id = user, error = %e, "ended session left in the cache until it expires");
                    }
                    Ok(())
                }
                .boxed()
            }
        }
    }

    /// Keeps a retiring actor's last reply in the cache, for a retry to find.
    pub fn keep_reply(
        &self,
        user: UserId,
        session: &Session,
        reply: StoredReply,
    ) -> BoxFuture<'static, Result<(), BackendError>> {
        let cached = CachedReply { user_id: user, session_id: reply.session_id, seq: reply.seq, response: reply.bytes };
        self.cache.keep_reply(session.token_hash, cached).map(|r| r.map_err(cache_error)).boxed()
    }
}
