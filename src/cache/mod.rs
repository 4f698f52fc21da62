//! The cache: what must outlive a user's actor or be shared between server nodes, but is
//! not durable game data. Sessions (token → user), the last reply of a session that no
//! database holds, recently active players bucketed by level (friend recommendations),
//! friend snapshots, and a server cache for shared read-mostly data.
//!
//! [`Cache`] is the interface; [`redis::RedisCache`] implements it over Redis shards
//! (pipelined: one round trip per shard touched), [`local::LocalCache`] in process for the
//! embedded default. [`keys`] owns the key scheme and the placement of keys on shards.
//!
//! Error policy: a cache failure is a [`CacheError`]; requests that need the cache answer
//! 503 `UNAVAILABLE` (retryable, nothing applied). Nothing durable lives only here: a lost
//! session entry is found again in the database ([`crate::service::sessions`]); a lost kept reply
//! means a retried read is answered afresh.

pub mod behind;
pub mod keys;
pub mod local;
pub mod redis;

use std::time::Duration;

use futures_util::future::BoxFuture;
use summoner_actors::{TokenHash, UserId};
use summoner_proto::api::{FriendCard, FriendSnapshot};
use summoner_proto::cache::{CachedReply, SessionRecord};

/// How long a cached reply and a friend snapshot are kept.
pub const ENTRY_TTL: Duration = Duration::from_secs(3600);

/// A cache failure, with what was being done.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CacheError {
    #[error("{0}: timed out")]
    Timeout(String),
    #[error("{0}: {1}")]
    Unavailable(String, String),
    #[error("{0}: unreadable entry: {1}")]
    Corrupt(String, String),
}

/// Result of a cache call.
pub type CacheResult<T> = Result<T, CacheError>;

/// What the cache knows of a session token: the session and the session's cached reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FoundSession {
    pub session: Option<SessionRecord>,
    pub reply: Option<CachedReply>,
}

/// A player seen active, for friend recommendations: kept in level bucket `bucket`;
/// entries older than `window_ms` are dropped and at most `cap` kept per bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub bucket: u32,
    pub card: FriendCard,
    pub window_ms: i64,
    pub cap: usize,
}

/// Counters of what a cache sent over the network, for benchmarks and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Network round trips (one per pipeline sent to one shard).
    pub round_trips: u64,
    /// Commands sent.
    pub commands: u64,
}

/// The cache interface. Every call has a timeout inside the implementation.
pub trait Cache: Send + Sync + 'static {
    /// The session of `token` and its cached reply, in one round trip.
    fn find_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<FoundSession>>;

    /// Stores `record` under `token` until the session expires and, with `activity`, notes
    /// the player in their level bucket on the same shard: one round trip. The entries of
    /// `replaced` (the session this one replaces) go too when they share that shard; else
    /// they are left to expire, or to be dropped when next presented ([`Self::end_session`]).
    fn put_session(
        &self,
        token: TokenHash,
        record: SessionRecord,
        now_ms: i64,
        replaced: Option<TokenHash>,
        activity: Option<Activity>,
    ) -> BoxFuture<'static, CacheResult<()>>;

    /// Removes a session and its cached reply (Logout).
    fn end_session(&self, token: TokenHash) -> BoxFuture<'static, CacheResult<()>>;

    /// Keeps the last reply of the session `token` for [`ENTRY_TTL`].
    fn keep_reply(&self, token: TokenHash, reply: CachedReply) -> BoxFuture<'static, CacheResult<()>>;

    /// Players active since `since_ms` in each of `buckets` (bucket, at most how many), most
    /// recent first, as noted on the shard of `token`: one round trip. Each shard holds the
    /// players whose sessions live there, so any shard's buckets are a fair sample.
    fn recent_active(
        &self,
        token: TokenHash,
        buckets: Vec<(u32, usize)>,
        since_ms: i64,
    ) -> BoxFuture<'static, CacheResult<Vec<Vec<FriendCard>>>>;

    /// A user's friend snapshot, if cached.
    fn snapshot(&self, user: UserId) -> BoxFuture<'static, CacheResult<Option<FriendSnapshot>>>;

    /// The friend snapshots cached of `users` (those not cached are left out), in no
    /// particular order. Redis reads them in one round trip per shard holding any, and
    /// leaves out (with a warning) an entry that does not decode and a shard that failed
    /// while another answered; it fails only when none did.
    fn snapshots(&self, users: Vec<UserId>) -> BoxFuture<'static, CacheResult<Vec<FriendSnapshot>>> {
        let reads: Vec<_> = users.into_iter().map(|u| self.snapshot(u)).collect();
        Box::pin(async move {
            let mut found = Vec::new();
            for read in futures_util::future::join_all(reads).await {
                found.extend(read?);
            }
            Ok(found)
        })
    }

    /// Caches a user's friend snapshot for [`ENTRY_TTL`].
    fn put_snapshot(&self, snapshot: FriendSnapshot) -> BoxFuture<'static, CacheResult<()>>;

    /// Caches a snapshot read from the database unless one is cached already: a snapshot
    /// the owner published meanwhile is newer than this read and must win.
    fn fill_snapshot(&self, snapshot: FriendSnapshot) -> BoxFuture<'static, CacheResult<()>>;

    /// Drops from level buckets `buckets` the players last active before `before_ms` (a
    /// bucket nobody joins keeps them otherwise until it expires); answers how many.
    fn trim_active(&self, buckets: Vec<u32>, before_ms: i64) -> BoxFuture<'static, CacheResult<u64>>;

    /// Forgets what is cached of a user whose account is erased: their snapshot, and their
    /// entries in level buckets `buckets` on every shard.
    fn forget_user(&self, user: UserId, buckets: Vec<u32>) -> BoxFuture<'static, CacheResult<()>>;

    /// A server-cache entry (shared read-mostly data, e.g. notices), if present.
    fn server_get(&self, name: &str) -> BoxFuture<'static, CacheResult<Option<Vec<u8>>>>;

    /// Sets a server-cache entry for `ttl`.
    fn server_put(&self, name: &str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'static, CacheResult<()>>;

    /// Checks that every shard answers; the error names the first that does not.
    fn ping(&self) -> BoxFuture<'static, CacheResult<()>>;

    /// What this cache sent so far (zero for the in-process cache).
    fn traffic(&self) -> Traffic {
        Traffic::default()
    }
}

impl FoundSession {
    /// Decodes the stored session and reply entries of one token.
    pub(crate) fn decode(session: Option<&[u8]>, reply: Option<&[u8]>) -> CacheResult<Self> {
        Ok(Self { session: decode("session", session)?, reply: decode("cached reply", reply)? })
    }
}

/// Decodes a stored value (`what` names it in the error); None stays None.
pub(crate) fn decode<M: prost::Message + Default>(what: &str, bytes: Option<&[u8]>) -> CacheResult<Option<M>> {
    bytes.map(|b| M::decode(b).map_err(|e| CacheError::Corrupt(what.to_owned(), e.to_string()))).transpose()
}

/// Decodes the members of a level bucket.
pub(crate) fn decode_cards<'a>(members: impl IntoIterator<Item = &'a [u8]>) -> CacheResult<Vec<FriendCard>> {
    members.into_iter().map(|m| Ok(decode("card", Some(m))?.unwrap_or_default())).collect()
}

/// Milliseconds left until `expires_at_ms`, at least 1 (a TTL of 0 is refused by Redis).
pub fn ttl_until(expires_at_ms: i64, now_ms: i64) -> u64 {
    u64::try_from(expires_at_ms - now_ms).unwrap_or(0).max(1)
}
