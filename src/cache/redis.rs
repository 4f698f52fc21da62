//! `RedisCache`: the cache over Redis shards, one deadpool-redis pool per shard.
//!
//! Each call builds at most one pipeline per shard it touches and sends them at once, so
//! a call costs one network round trip per shard (one for everything a request needs, as
//! the key scheme puts a session's keys on one shard). Every call is bounded by the
//! configured timeout, covering the wait for a connection, connecting and the answer.
//!
//! A shard that failed to answer is left alone for a cool-down (`redis.cooldown_ms`):
//! calls to it fail at once meanwhile, so an unreachable Redis costs requests a fast 503
//! rather than a timeout each.
//!
//! Connections are multiplexed: a caller takes a clone of a pooled connection and returns
//! the pooled one at once, so many callers' pipelines share a socket. When a connection
//! fails, the shard's pooled connections are dropped and the next calls reconnect, so
//! after an outage service returns by itself. A pooled connection is pinged only when it
//! sat idle (deadpool-redis pings on every check-out, which would double the round trips).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, Pool, RecycleResult};
use deadpool_redis::redis::aio::MultiplexedConnection;
use deadpool_redis::redis::{self, FromRedisValue, Pipeline, RedisError};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, try_join_all};
use prost::Message;
use summoner_actors::in_flight::{self, Stage};
use summoner_actors::{TokenHash, UserId};
use summoner_proto::api::{FriendCard, FriendSnapshot};
use summoner_proto::cache::{CachedReply, SessionRecord};

use crate::cache::keys::{self, Keys};
use crate::cache::{
    Activity, Cache, CacheError, CacheResult, ENTRY_TTL, FoundSession, Traffic, decode, decode_cards, ttl_until,
};

/// A pooled connection idle longer than this is pinged before use.
const PING_IF_IDLE: Duration = Duration::from_secs(5);

/// deadpool-redis's manager, minus the ping on every check-out.
pub struct FreshManager(deadpool_redis::Manager);

impl managed::Manager for FreshManager {
    type Type = MultiplexedConnection;
    type Error = RedisError;

    async fn create(&self) -> Result<MultiplexedConnection, RedisError> {
        self.0.create().await
    }

    async fn recycle(&self, conn: &mut MultiplexedConnection, metrics: &Metrics) -> RecycleResult<RedisError> {
        if metrics.last_used() < PING_IF_IDLE {
            return Ok(());
        }
        self.0.recycle(conn, metrics).await
    }
}

/// Settings of a [`RedisCache`].
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// One URL per shard, in shard order (the order is part of the placement).
    pub urls: Vec<String>,
    /// Connections per shard.
    pub pool_size: usize,
    /// Bound of every call.
    pub timeout: Duration,
    /// Prefix of every key ([`keys`]).
    pub key_prefix: String,
    /// After a shard failed to answer, calls to it fail at once for this long instead of
    /// each waiting for the timeout (zero: never).
    pub cooldown: Duration,
}

#[derive(Default)]
struct Counters {
    round_trips: AtomicU64,
    commands: AtomicU64,
}

struct Shard {
    pool: Pool<FreshManager>,
    /// The URL without its password, for errors.
    name: String,
    /// `redis-<index>`, the shard's metric label.
    label: String,
    /// Until when calls fail at once after the shard failed to answer (cool-down).
    down_until: Mutex<Option<Instant>>,
}

impl Shard {
    fn cooling_down(&self) -> bool {
        let down_until = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        down_until.is_some_and(|until| Instant::now() < until)
    }

    fn failed(&self, cooldown: Duration) {
        if !cooldown.is_zero() {
            *self.down_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + cooldown);
        }
    }
}

/// The cache over Redis shards.
#[derive(Clone)]
pub struct RedisCache {
    shards: Arc<Vec<Shard>>,
    timeout: Duration,
    cooldown: Duration,
    keys: Keys,
    counters: Arc<Counters>,
}

/// Why the cache could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum RedisSetupError {
    #[error("redis shard {0}: {1}")]
    Url(String, RedisError),
    #[error("redis shard {0}: {1}")]
    Pool(String, String),
}

impl RedisCache {
    /// Pools for every shard. Connects lazily: a Redis that is down at start-up makes
    /// requests fail with `UNAVAILABLE` until it answers, not the start.
    pub fn new(settings: &RedisSettings) -> Result<Self, RedisSetupError> {
        let shards = settings
            .urls
            .iter()
            .enumerate()
            .map(|(index, url)| {
                let name = crate::urls::redact(url);
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(settings.timeout))
                    .set_response_timeout(Some(settings.timeout));
                let manager = deadpool_redis::Manager::new_with_config(url.as_str(), config)
                    .map_err(|e| RedisSetupError::Url(name.clone(), e))?;
                let pool = Pool::builder(FreshManager(manager))
                    .max_size(settings.pool_size.max(1))
                    .runtime(deadpool::Runtime::Tokio1)
                    .wait_timeout(Some(settings.timeout))
                    .create_timeout(Some(settings.timeout))
                    .recycle_timeout(Some(settings.timeout))
                    .build()
                    .map_err(|e| RedisSetupError::Pool(name.clone(), e.to_string()))?;
                Ok(Shard { pool, name, label: format!("redis-{index}"), down_until: Mutex::new(None) })
            })
            .collect::<Result<Vec<_>, RedisSetupError>>()?;
        Ok(Self {
            shards: Arc::new(shards),
            timeout: settings.timeout,
            cooldown: settings.cooldown,
            keys: Keys::new(&settings.key_prefix),
            counters: Arc::default(),
        })
    }

    /// How many shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Sends `pipe` to shard `shard` as one round trip and reads its answer.
    async fn run<T: FromRedisValue + Send + 'static>(
        &self,
        what: &str,
        shard: usize,
        pipe: Pipeline,
    ) -> CacheResult<T> {
        let shard_ref = &self.shards[shard];
        let unavailable = |e: String| CacheError::Unavailable(format!("{what} (redis {})", shard_ref.name), e);
        // A shard that just failed is most likely still down: answer at once rather than
        // have every request wait for the timeout (a black-holed Redis would hold each one).
        if shard_ref.cooling_down() {
            return Err(unavailable("the shard failed moments ago; not retried yet".into()));
        }
        let _stage = in_flight::enter(Stage::Redis, i32::try_from(shard).ok());
        let started = std::time::Instant::now();
        self.counters.round_trips.fetch_add(1, Ordering::Relaxed);
        self.counters.commands.fetch_add(pipe.len() as u64, Ordering::Relaxed);
        // Errors carry whether the shard itself failed (no connection, no answer) rather
        // than one command (a Redis error reply): only the former starts a cool-down.
        let call = async {
            // A multiplexed connection carries many callers' pipelines at once: take a
            // clone and give the pooled one back at once, so callers are not limited to
            // one in flight per pooled connection.
            let mut conn = {
                let pooled = shard_ref.pool.get().await.map_err(|e| (unavailable(e.to_string()), true))?;
                MultiplexedConnection::clone(&pooled)
            };
            pipe.query_async::<T>(&mut conn).await.map_err(|e| {
                let down = e.is_io_error() || e.is_connection_dropped() || e.is_timeout();
                if down {
                    // The socket died, and the shard's other connections most likely with
                    // it: drop them all; the next calls connect afresh.
                    shard_ref.pool.retain(|_, _| false);
                }
                (unavailable(e.to_string()), down)
            })
        };
        let result = match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err((CacheError::Timeout(format!("{what} (redis {})", shard_ref.name)), true)),
        };
        crate::metrics::METRICS
            .redis_seconds
            .with_label_values(&[shard_ref.label.as_str()])
            .observe(started.elapsed().as_secs_f64());
        result.map_err(|(error, down)| {
            if down {
                shard_ref.failed(self.cooldown);
            }
            error
        })
    }

    fn token_shard(&self, token: &TokenHash) -> usize {
        keys::token_shard(token, self.shards.len())
    }

    fn key_shard(&self, key: &str) -> usize {
        keys::key_shard(key, self.shards.len())
    }
}

/// Notes a player in a level bucket (KEYS[1], user ids scored by activity) and its cards
/// (KEYS[2], user id → card): one entry per player, however often noted. Drops players
/// older than the window and all but the newest `cap`, from both, and lets both expire when
/// nobody is noted for two windows. ARGV: user id, active at, card, window start, cap, TTL.
const NOTE_ACTIVE: &str = r"
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
local extra = redis.call('ZCARD', KEYS[1]) - #gone - tonumber(ARGV[5])
if extra > 0 then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[4], '+inf', 'LIMIT', 0, extra)) do
    gone[#gone + 1] = id
  end
end
for i = 1, #gone, 500 do
  local part = {unpack(gone, i, math.min(i + 499, #gone))}
  redis.call('ZREM', KEYS[1], unpack(part))
  redis.call('HDEL', KEYS[2], unpack(part))
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 0
";

/// The cards of the newest players of a level bucket (KEYS as [`NOTE_ACTIVE`]) active since
/// ARGV[1], at most ARGV[2] of them, newest first.
const RECENT_ACTIVE: &str = r"
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(ids))
";

/// Notes `activity` in its level bucket (see [`NOTE_ACTIVE`]).
fn note_active(pipe: &mut Pipeline, keys: &Keys, activity: &Activity) {
    let card = &activity.card;
    pipe.cmd("EVAL")
        .arg(NOTE_ACTIVE)
        .arg(2)
        .arg(keys.active_bucket(activity.bucket))
        .arg(keys.active_cards(activity.bucket))
        .arg(card.user_id)
        .arg(card.active_at_ms)
        .arg(card.encode_to_vec())
        .arg(card.active_at_ms - activity.window_ms)
        .arg(activity.cap.max(1))
        .arg(activity.window_ms.saturating_mul(2).max(1))
        .ignore();
}

/// Drops from a level bucket (KEYS as [`NOTE_ACTIVE`]) the players active before ARGV[1];
/// answers how many.
const TRIM_ACTIVE: &str = r"
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for i = 1, #gone, 500 do
  local part = {unpack(gone, i, math.min(i + 499, #gone))}
  redis.call('ZREM', KEYS[1], unpack(part))
  redis.call('HDEL', KEYS[2], unpack(part))
end
return #gone
";

/// `SET key value PX ttl` on `pipe`.
fn set_px(pipe: &mut Pipeline, key: String, value: Vec<u8>, ttl_ms: u64) {
    pipe.cmd("SET").arg(key).arg(value).arg("PX").arg(ttl_ms).ignore();
}

impl Cache for RedisCache {
    fn find_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<FoundSession>> {
        let this = self.clone();
        async move {
            let mut pipe = redis::pipe();
            pipe.get(this.keys.session(&token)).get(this.keys.reply(&token));
            let (session, reply): (Option<Vec<u8>>, Option<Vec<u8>>) =
                this.run("look up a session", this.token_shard(&token), pipe).await?;
            FoundSession::decode(session.as_deref(), reply.as_deref())
        }
        .boxed()
    }

    fn put_session(
        &self,
        token: TokenHash,
        record: SessionRecord,
        now_ms: i64,
        replaced: Option<TokenHash>,
        activity: Option<Activity>,
    ) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        async move {
            let shard = this.token_shard(&token);
            let mut pipe = redis::pipe();
            set_px(
                &mut pipe,
                this.keys.session(&token),
                record.encode_to_vec(),
                ttl_until(record.expires_at_ms, now_ms),
            );
            if let Some(old) = replaced.filter(|old| this.token_shard(old) == shard) {
                pipe.del(this.keys.session(&old)).ignore().del(this.keys.reply(&old)).ignore();
            }
            if let Some(activity) = activity {
                note_active(&mut pipe, &this.keys, &activity);
            }
            this.run("store a session", shard, pipe).await
        }
        .boxed()
    }

    fn end_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        async move {
            let mut pipe = redis::pipe();
            pipe.del(this.keys.session(&token)).ignore().del(this.keys.reply(&token)).ignore();
            this.run("end a session", this.token_shard(&token), pipe).await
        }
        .boxed()
    }

    fn keep_reply(&self, token: TokenHash, reply: CachedReply) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        async move {
            let mut pipe = redis::pipe();
            set_px(&mut pipe, this.keys.reply(&token), reply.encode_to_vec(), ENTRY_TTL.as_millis() as u64);
            this.run("keep a reply", this.token_shard(&token), pipe).await
        }
        .boxed()
    }

    fn recent_active(
        &self,
        token: TokenHash,
        buckets: Vec<(u32, usize)>,
        since_ms: i64,
    ) -> BoxFuture<'static, CacheResult<Vec<Vec<FriendCard>>>> {
        let this = self.clone();
        async move {
            let mut pipe = redis::pipe();
            for (bucket, limit) in &buckets {
                pipe.cmd("EVAL")
                    .arg(RECENT_ACTIVE)
                    .arg(2)
                    .arg(this.keys.active_bucket(*bucket))
                    .arg(this.keys.active_cards(*bucket))
                    .arg(since_ms)
                    .arg(*limit);
            }
            let lists: Vec<Vec<Option<Vec<u8>>>> =
                this.run("read active players", this.token_shard(&token), pipe).await?;
            // A card missing from the hash (only if the keys were edited outside these
            // scripts) is skipped.
            lists.iter().map(|cards| decode_cards(cards.iter().flatten().map(Vec::as_slice))).collect()
        }
        .boxed()
    }

    fn snapshot(&self, user: UserId) -> BoxFuture<'static, CacheResult<Option<FriendSnapshot>>> {
        let this = self.clone();
        async move {
            let key = this.keys.snapshot(user);
            let mut pipe = redis::pipe();
            pipe.get(&key);
            let (bytes,): (Option<Vec<u8>>,) = this.run("read a snapshot", this.key_shard(&key), pipe).await?;
            decode("snapshot", bytes.as_deref())
        }
        .boxed()
    }

    fn snapshots(&self, users: Vec<UserId>) -> BoxFuture<'static, CacheResult<Vec<FriendSnapshot>>> {
        let this = self.clone();
        async move {
            let mut by_shard: Vec<Vec<String>> = vec![Vec::new(); this.shards.len()];
            for user in users {
                let key = this.keys.snapshot(user);
                by_shard[this.key_shard(&key)].push(key);
            }
            let reads = by_shard.into_iter().enumerate().filter(|(_, keys)| !keys.is_empty()).map(|(shard, keys)| {
                let this = this.clone();
                async move {
                    let mut pipe = redis::pipe();
                    pipe.mget(keys);
                    let (found,): (Vec<Option<Vec<u8>>>,) = this.run("read snapshots", shard, pipe).await?;
                    // An entry that does not decode is as good as missing: its reader falls back.
                    let decoded = found.iter().flatten().filter_map(|bytes| {
                        decode::<FriendSnapshot>("snapshot", Some(bytes.as_slice()))
                            .inspect_err(|e| tracing::warn!(error = %e, "a cached friend snapshot read as missing"))
                            .ok()
                            .flatten()
                    });
                    Ok::<_, CacheError>(decoded.collect::<Vec<_>>())
                }
            });
            // What the shards that answered hold; only when none did is it an error (the
            // callers read the missing ones elsewhere).
            let (mut found, mut failed, mut answered) = (Vec::new(), None, false);
            for shard in futures_util::future::join_all(reads).await {
                match shard {
                    Ok(snapshots) => {
                        answered = true;
                        found.extend(snapshots);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "friend snapshots of a Redis shard read elsewhere");
                        failed = Some(e);
                    }
                }
            }
            match failed {
                Some(e) if !answered => Err(e),
                _ => Ok(found),
            }
        }
        .boxed()
    }

    fn put_snapshot(&self, snapshot: FriendSnapshot) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        async move {
            let key = this.keys.snapshot(snapshot.user_id);
            let shard = this.key_shard(&key);
            let mut pipe = redis::pipe();
            set_px(&mut pipe, key, snapshot.encode_to_vec(), ENTRY_TTL.as_millis() as u64);
            this.run("store a snapshot", shard, pipe).await
        }
        .boxed()
    }

    fn fill_snapshot(&self, snapshot: FriendSnapshot) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        async move {
            let key = this.keys.snapshot(snapshot.user_id);
            let shard = this.key_shard(&key);
            let mut pipe = redis::pipe();
            let ttl = ENTRY_TTL.as_millis() as u64;
            pipe.cmd("SET").arg(key).arg(snapshot.encode_to_vec()).arg("PX").arg(ttl).arg("NX").ignore();
            this.run("fill a snapshot", shard, pipe).await
        }
        .boxed()
    }

    fn server_get(&self, name: &str) -> BoxFuture<'static, CacheResult<Option<Vec<u8>>>> {
        let this = self.clone();
        let key = this.keys.server(name);
        async move {
            let mut pipe = redis::pipe();
            pipe.get(&key);
            let (bytes,): (Option<Vec<u8>>,) = this.run("read the server cache", this.key_shard(&key), pipe).await?;
            Ok(bytes)
        }
        .boxed()
    }

    fn server_put(&self, name: &str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        let key = this.keys.server(name);
        async move {
            let shard = this.key_shard(&key);
            let mut pipe = redis::pipe();
            set_px(&mut pipe, key, value, (ttl.as_millis() as u64).max(1));
            this.run("write the server cache", shard, pipe).await
        }
        .boxed()
    }

    fn forget_user(&self, user: UserId, buckets: Vec<u32>) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        async move {
            let snapshot = this.keys.snapshot(user);
            let snapshot_shard = this.key_shard(&snapshot);
            // Every shard holds every bucket: one pipeline per shard with anything to forget.
            let forgets = (0..this.shards.len()).filter_map(|shard| {
                let mut pipe = redis::pipe();
                if shard == snapshot_shard {
                    pipe.del(&snapshot).ignore();
                }
                for bucket in &buckets {
                    pipe.zrem(this.keys.active_bucket(*bucket), user).ignore();
                    pipe.hdel(this.keys.active_cards(*bucket), user).ignore();
                }
                (!pipe.is_empty()).then(|| this.run::<()>("forget an erased user", shard, pipe))
            });
            try_join_all(forgets).await.map(drop)
        }
        .boxed()
    }

    fn trim_active(&self, buckets: Vec<u32>, before_ms: i64) -> BoxFuture<'static, CacheResult<u64>> {
        let this = self.clone();
        async move {
            if buckets.is_empty() {
                return Ok(0);
            }
            // Every shard holds every bucket (of the players whose sessions live there): one
            // pipeline per shard, a script per bucket (atomic per bucket).
            let trims = (0..this.shards.len()).map(|shard| {
                let mut pipe = redis::pipe();
                for bucket in &buckets {
                    pipe.cmd("EVAL")
                        .arg(TRIM_ACTIVE)
                        .arg(2)
                        .arg(this.keys.active_bucket(*bucket))
                        .arg(this.keys.active_cards(*bucket))
                        .arg(before_ms);
                }
                this.run::<Vec<u64>>("trim level buckets", shard, pipe)
            });
            let counts = try_join_all(trims).await?;
            Ok(counts.iter().flatten().sum())
        }
        .boxed()
    }

    fn ping(&self) -> BoxFuture<'static, CacheResult<()>> {
        let this = self.clone();
        async move {
            try_join_all((0..this.shards.len()).map(|shard| {
                let mut pipe = redis::pipe();
                pipe.cmd("PING").ignore();
                this.run::<()>("ping", shard, pipe)
            }))
            .await
            .map(|_| ())
        }
        .boxed()
    }

    fn traffic(&self) -> Traffic {
        Traffic {
            round_trips: self.counters.round_trips.load(Ordering::Relaxed),
            commands: self.counters.commands.load(Ordering::Relaxed),
        }
    }
}
