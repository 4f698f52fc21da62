//! `LocalCache`: the cache in process, for the embedded default (no Redis). Same
//! interface and TTLs as Redis, on the server's clock.
//!
//! Sessions survive a restart: the token index here is only a front for the sessions
//! table of the common database (which the user's actor writes on login, renewal and
//! logout anyway), read on a miss. Everything else is lost with the process, as a cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, ready};
use prost::Message;
use summoner_actors::{Clock, TokenHash, UserId};
use summoner_proto::api::{FriendCard, FriendSnapshot};
use summoner_proto::cache::{CachedReply, SessionRecord};

use crate::cache::{Cache, CacheError, CacheResult, ENTRY_TTL, FoundSession, keys, ttl_until};
use crate::storage::Store;

/// Expired entries are swept after this many writes (reads skip them meanwhile).
const SWEEP_EVERY_WRITES: u64 = 4096;

struct Entry {
    value: Vec<u8>,
    expires_at_ms: i64,
}

#[derive(Default)]
struct Maps {
    values: HashMap<String, Entry>,
    /// Level buckets: user → (last active ms, encoded card).
    buckets: HashMap<u32, HashMap<UserId, (i64, Vec<u8>)>>,
    writes: u64,
}

/// The in-process cache.
pub struct LocalCache {
    clock: Arc<dyn Clock>,
    /// Where sessions are durable; looked up when the index here has no entry.
    sessions: Option<Arc<dyn Store>>,
    maps: Mutex<Maps>,
}

impl LocalCache {
    /// An in-process cache on `clock`; `sessions` (the store) backs the session index.
    pub fn new(clock: Arc<dyn Clock>, sessions: Option<Arc<dyn Store>>) -> Self {
        Self { clock, sessions, maps: Mutex::new(Maps::default()) }
    }

    fn maps(&self) -> MutexGuard<'_, Maps> {
        // Every critical section is one insert, remove or read: a poisoned map is consistent.
        self.maps.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let now = self.clock.now_ms();
        self.maps().values.get(key).filter(|e| e.expires_at_ms > now).map(|e| e.value.clone())
    }

    fn put(&self, key: String, value: Vec<u8>, ttl_ms: u64) {
        let now = self.clock.now_ms();
        let expires_at_ms = now.saturating_add(i64::try_from(ttl_ms).unwrap_or(i64::MAX));
        let mut maps = self.maps();
        maps.values.insert(key, Entry { value, expires_at_ms });
        maps.writes += 1;
        if maps.writes.is_multiple_of(SWEEP_EVERY_WRITES) {
            maps.values.retain(|_, e| e.expires_at_ms > now);
        }
    }

    fn remove(&self, key: &str) {
        self.maps().values.remove(key);
    }
}

fn decode<M: Message + Default>(what: &str, bytes: Option<Vec<u8>>) -> CacheResult<Option<M>> {
    bytes.map(|b| M::decode(b.as_slice()).map_err(|e| CacheError::Corrupt(what.to_owned(), e.to_string()))).transpose()
}

fn done<T: Send + 'static>(value: CacheResult<T>) -> BoxFuture<'static, CacheResult<T>> {
    ready(value).boxed()
}

impl Cache for LocalCache {
    fn find_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<FoundSession>> {
        let found = (|| {
            Ok(FoundSession {
                session: decode("session", self.get(&keys::session(&token)))?,
                reply: decode("cached reply", self.get(&keys::reply(&token)))?,
            })
        })();
        let (found, store) = match found {
            Ok(found) if found.session.is_none() => (found, self.sessions.clone()),
            other => return done(other),
        };
        let Some(store) = store else { return done(Ok(found)) };
        async move {
            let user = store
                .user_for_token(token)
                .await
                .map_err(|e| CacheError::Unavailable("look up a session".into(), e.to_string()))?;
            // The actor checks the session itself; the record only has to name the user.
            let session = user.map(|user_id| SessionRecord { user_id, ..Default::default() });
            Ok(FoundSession { session, reply: found.reply })
        }
        .boxed()
    }

    fn put_session(
        &self,
        token: TokenHash,
        record: SessionRecord,
        now_ms: i64,
        replaced: Option<TokenHash>,
    ) -> BoxFuture<'static, CacheResult<()>> {
        if let Some(old) = replaced {
            self.remove(&keys::session(&old));
            self.remove(&keys::reply(&old));
        }
        let ttl = ttl_until(record.expires_at_ms, now_ms);
        self.put(keys::session(&token), record.encode_to_vec(), ttl);
        done(Ok(()))
    }

    fn end_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<()>> {
        self.remove(&keys::session(&token));
        self.remove(&keys::reply(&token));
        done(Ok(()))
    }

    fn keep_reply(&self, token: TokenHash, reply: CachedReply) -> BoxFuture<'static, CacheResult<()>> {
        self.put(keys::reply(&token), reply.encode_to_vec(), ENTRY_TTL.as_millis() as u64);
        done(Ok(()))
    }

    fn note_active(
        &self,
        bucket: u32,
        card: FriendCard,
        window_ms: i64,
        cap: usize,
    ) -> BoxFuture<'static, CacheResult<()>> {
        let mut maps = self.maps();
        let members = maps.buckets.entry(bucket).or_default();
        let since = card.active_at_ms - window_ms;
        members.insert(card.user_id, (card.active_at_ms, card.encode_to_vec()));
        members.retain(|_, (at, _)| *at >= since);
        if members.len() > cap {
            let mut times: Vec<i64> = members.values().map(|(at, _)| *at).collect();
            times.sort_unstable_by_key(|t| std::cmp::Reverse(*t));
            let cutoff = times[cap - 1];
            members.retain(|_, (at, _)| *at >= cutoff);
        }
        done(Ok(()))
    }

    fn recent_active(
        &self,
        bucket: u32,
        since_ms: i64,
        limit: usize,
    ) -> BoxFuture<'static, CacheResult<Vec<FriendCard>>> {
        let maps = self.maps();
        let mut recent: Vec<(i64, &Vec<u8>)> = maps
            .buckets
            .get(&bucket)
            .map(|m| m.values().filter(|(at, _)| *at >= since_ms).map(|(at, b)| (*at, b)).collect())
            .unwrap_or_default();
        recent.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
        let cards = recent
            .into_iter()
            .take(limit)
            .map(|(_, b)| {
                FriendCard::decode(b.as_slice()).map_err(|e| CacheError::Corrupt("card".into(), e.to_string()))
            })
            .collect();
        done(cards)
    }

    fn snapshot(&self, user: UserId) -> BoxFuture<'static, CacheResult<Option<FriendSnapshot>>> {
        done(decode("snapshot", self.get(&keys::snapshot(user))))
    }

    fn put_snapshot(&self, snapshot: FriendSnapshot) -> BoxFuture<'static, CacheResult<()>> {
        self.put(keys::snapshot(snapshot.user_id), snapshot.encode_to_vec(), ENTRY_TTL.as_millis() as u64);
        done(Ok(()))
    }

    fn server_get(&self, name: &str) -> BoxFuture<'static, CacheResult<Option<Vec<u8>>>> {
        done(Ok(self.get(&keys::server(name))))
    }

    fn server_put(&self, name: &str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'static, CacheResult<()>> {
        self.put(keys::server(name), value, ttl.as_millis() as u64);
        done(Ok(()))
    }

    fn ping(&self) -> BoxFuture<'static, CacheResult<()>> {
        done(Ok(()))
    }
}
