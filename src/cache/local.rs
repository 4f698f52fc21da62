//! `LocalCache`: the cache in process, for the embedded default (no Redis). Same
//! interface and TTLs as Redis, on the server's clock.
//!
//! Everything here is lost with the process, as a cache: sessions survive a restart because
//! a token the cache does not know is looked up in the sessions table ([`crate::service::sessions`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, ready};
use prost::Message;
use summoner_actors::{Clock, TokenHash, UserId};
use summoner_proto::api::{FriendCard, FriendSnapshot};
use summoner_proto::cache::{CachedReply, SessionRecord};

use crate::cache::keys::Keys;
use crate::cache::{Activity, Cache, CacheResult, ENTRY_TTL, FoundSession, decode, decode_cards, ttl_until};

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
    keys: Keys,
    maps: Mutex<Maps>,
}

impl LocalCache {
    /// An in-process cache on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, keys: Keys::default(), maps: Mutex::new(Maps::default()) }
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
        self.write(key, value, ttl_ms, false);
    }

    /// Sets `key` unless it holds a live entry (Redis's `SET NX`), checked and written
    /// under one lock.
    fn put_if_absent(&self, key: String, value: Vec<u8>, ttl_ms: u64) {
        self.write(key, value, ttl_ms, true);
    }

    fn write(&self, key: String, value: Vec<u8>, ttl_ms: u64, only_if_absent: bool) {
        let now = self.clock.now_ms();
        let expires_at_ms = now.saturating_add(i64::try_from(ttl_ms).unwrap_or(i64::MAX));
        let mut maps = self.maps();
        if only_if_absent && maps.values.get(&key).is_some_and(|e| e.expires_at_ms > now) {
            return;
        }
        maps.values.insert(key, Entry { value, expires_at_ms });
        maps.writes += 1;
        if maps.writes.is_multiple_of(SWEEP_EVERY_WRITES) {
            maps.values.retain(|_, e| e.expires_at_ms > now);
        }
    }

    fn remove(&self, key: &str) {
        self.maps().values.remove(key);
    }

    /// Notes a player in their level bucket, keeping the newest `cap` within the window.
    fn note_active(&self, activity: Activity) {
        let Activity { bucket, card, window_ms, cap } = activity;
        let mut maps = self.maps();
        let members = maps.buckets.entry(bucket).or_default();
        let since = card.active_at_ms - window_ms;
        members.insert(card.user_id, (card.active_at_ms, card.encode_to_vec()));
        members.retain(|_, (at, _)| *at >= since);
        if members.len() > cap.max(1) {
            let mut times: Vec<i64> = members.values().map(|(at, _)| *at).collect();
            times.sort_unstable_by_key(|t| std::cmp::Reverse(*t));
            let cutoff = times[cap.max(1) - 1];
            members.retain(|_, (at, _)| *at >= cutoff);
        }
    }
}

fn done<T: Send + 'static>(value: CacheResult<T>) -> BoxFuture<'static, CacheResult<T>> {
    ready(value).boxed()
}

impl Cache for LocalCache {
    fn forget_user(&self, user: UserId, buckets: Vec<u32>) -> BoxFuture<'static, CacheResult<()>> {
        let snapshot = self.keys.snapshot(user);
        let mut maps = self.maps();
        maps.values.remove(&snapshot);
        for bucket in buckets {
            if let Some(members) = maps.buckets.get_mut(&bucket) {
                members.remove(&user);
            }
        }
        done(Ok(()))
    }

    fn trim_active(&self, buckets: Vec<u32>, before_ms: i64) -> BoxFuture<'static, CacheResult<u64>> {
        let mut maps = self.maps();
        let mut removed = 0;
        maps.buckets.retain(|bucket, members| {
            if buckets.contains(bucket) {
                let count = members.len();
                members.retain(|_, (at, _)| *at >= before_ms);
                removed += (count - members.len()) as u64;
            }
            !members.is_empty()
        });
        done(Ok(removed))
    }

    fn find_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<FoundSession>> {
        let (session, reply) = (self.get(&self.keys.session(&token)), self.get(&self.keys.reply(&token)));
        done(FoundSession::decode(session.as_deref(), reply.as_deref()))
    }

    fn put_session(
        &self,
        token: TokenHash,
        record: SessionRecord,
        now_ms: i64,
        replaced: Option<TokenHash>,
        activity: Option<Activity>,
    ) -> BoxFuture<'static, CacheResult<()>> {
        if let Some(old) = replaced {
            self.remove(&self.keys.session(&old));
            self.remove(&self.keys.reply(&old));
        }
        let ttl = ttl_until(record.expires_at_ms, now_ms);
        self.put(self.keys.session(&token), record.encode_to_vec(), ttl);
        if let Some(activity) = activity {
            self.note_active(activity);
        }
        done(Ok(()))
    }

    fn end_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<()>> {
        self.remove(&self.keys.session(&token));
        self.remove(&self.keys.reply(&token));
        done(Ok(()))
    }

    fn keep_reply(&self, token: TokenHash, reply: CachedReply) -> BoxFuture<'static, CacheResult<()>> {
        self.put(self.keys.reply(&token), reply.encode_to_vec(), ENTRY_TTL.as_millis() as u64);
        done(Ok(()))
    }

    fn recent_active(
        &self,
        _token: TokenHash,
        buckets: Vec<(u32, usize)>,
        since_ms: i64,
    ) -> BoxFuture<'static, CacheResult<Vec<Vec<FriendCard>>>> {
        let maps = self.maps();
        let lists = buckets
            .iter()
            .map(|(bucket, limit)| {
                let mut recent: Vec<(i64, &Vec<u8>)> = maps
                    .buckets
                    .get(bucket)
                    .map(|m| m.values().filter(|(at, _)| *at >= since_ms).map(|(at, b)| (*at, b)).collect())
                    .unwrap_or_default();
                recent.sort_unstable_by_key(|r| std::cmp::Reverse(r.0));
                decode_cards(recent.into_iter().take(*limit).map(|(_, b)| b.as_slice()))
            })
            .collect();
        done(lists)
    }

    fn snapshot(&self, user: UserId) -> BoxFuture<'static, CacheResult<Option<FriendSnapshot>>> {
        done(decode("snapshot", self.get(&self.keys.snapshot(user)).as_deref()))
    }

    fn put_snapshot(&self, snapshot: FriendSnapshot) -> BoxFuture<'static, CacheResult<()>> {
        self.put(self.keys.snapshot(snapshot.user_id), snapshot.encode_to_vec(), ENTRY_TTL.as_millis() as u64);
        done(Ok(()))
    }

    fn fill_snapshot(&self, snapshot: FriendSnapshot) -> BoxFuture<'static, CacheResult<()>> {
        self.put_if_absent(
            self.keys.snapshot(snapshot.user_id),
            snapshot.encode_to_vec(),
            ENTRY_TTL.as_millis() as u64,
        );
        done(Ok(()))
    }

    fn server_get(&self, name: &str) -> BoxFuture<'static, CacheResult<Option<Vec<u8>>>> {
        done(Ok(self.get(&self.keys.server(name))))
    }

    fn server_put(&self, name: &str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'static, CacheResult<()>> {
        self.put(self.keys.server(name), value, ttl.as_millis() as u64);
        done(Ok(()))
    }

    fn ping(&self) -> BoxFuture<'static, CacheResult<()>> {
        done(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use summoner_actors::ManualClock;

    use super::*;

    fn cache() -> (Arc<ManualClock>, LocalCache) {
        let clock = Arc::new(ManualClock::new());
        (clock.clone(), LocalCache::new(clock))
    }

    fn block<T>(f: BoxFuture<'static, T>) -> T {
        futures_util::FutureExt::now_or_never(f).expect("the in-process cache answers at once")
    }

    #[test]
    fn entries_expire_on_the_server_clock() {
        let (clock, cache) = cache();
        let now = clock.now_ms();
        let token = TokenHash([1; 32]);
        let record = SessionRecord { user_id: 7, session_id: 9, expires_at_ms: now + 1_000, ..Default::default() };
        block(cache.put_session(token, record, now, None, None)).unwrap();
        let reply = CachedReply { user_id: 7, session_id: 9, seq: 3, response: vec![1, 2] };
        block(cache.keep_reply(token, reply.clone())).unwrap();
        let found = block(cache.find_session(token)).unwrap();
        assert_eq!((found.session, found.reply.clone()), (Some(record), Some(reply.clone())));

        clock.advance_ms(1_000);
        let found = block(cache.find_session(token)).unwrap();
        assert_eq!((found.session, found.reply), (None, Some(reply)), "the session ends at its expiry");
        clock.advance_ms(ENTRY_TTL.as_millis() as i64);
        assert_eq!(block(cache.find_session(token)).unwrap(), FoundSession::default());
    }

    #[test]
    fn a_new_session_removes_the_one_it_replaces() {
        let (clock, cache) = cache();
        let now = clock.now_ms();
        let (old, new) = (TokenHash([1; 32]), TokenHash([2; 32]));
        let record = SessionRecord { user_id: 7, expires_at_ms: now + 10_000, ..Default::default() };
        block(cache.put_session(old, record, now, None, None)).unwrap();
        block(cache.put_session(new, record, now, Some(old), None)).unwrap();
        assert!(block(cache.find_session(old)).unwrap().session.is_none());
        assert!(block(cache.find_session(new)).unwrap().session.is_some());
    }

    #[test]
    fn buckets_keep_the_most_recent_within_the_window_and_cap() {
        let (_, cache) = cache();
        let card = |id: u64, at: i64| FriendCard { user_id: id, level: 1, nickname: String::new(), active_at_ms: at };
        let note =
            |id: u64, at: i64| cache.note_active(Activity { bucket: 0, card: card(id, at), window_ms: 1_000, cap: 3 });
        for id in 1..=5 {
            note(id, id as i64 * 100);
        }
        let read = |since: i64| {
            let lists = block(cache.recent_active(TokenHash([0; 32]), vec![(0, 10), (1, 10)], since)).unwrap();
            lists.iter().map(|l| l.iter().map(|c| c.user_id).collect::<Vec<_>>()).collect::<Vec<_>>()
        };
        assert_eq!(read(0), [vec![5, 4, 3], vec![]], "newest first, capped");
        note(6, 1_450);
        assert_eq!(read(0), [vec![6, 5], vec![]], "older than the window dropped");
        assert_eq!(read(460), [vec![6, 5], vec![]]);
        assert_eq!(read(1_000), [vec![6], vec![]]);
    }
}
