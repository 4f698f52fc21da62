//! The key scheme and the placement of keys on shards.
//!
//! | key | value | TTL | shard |
//! |---|---|---|---|
//! | `{p}:s:{token}` | `SessionRecord` | until the session expires | token |
//! | `{p}:r:{token}` | `CachedReply` (the session's last reply no database holds) | 3600 s | token |
//! | `{p}:f:{bucket}` | sorted set of user ids, scored by last activity (ms) | 2 × window | every shard: the players whose session lives there |
//! | `{p}:fc:{bucket}` | hash: user id → `FriendCard` of the players in `{p}:f:{bucket}` | 2 × window | as `{p}:f:{bucket}` |
//! | `{p}:p:{user}` | `FriendSnapshot` | 3600 s | key |
//! | `{p}:c:{name}` | bytes (server cache) | set by the writer | key |
//!
//! `{p}` is the configured prefix (`redis.key_prefix`, default `sm`), so deployments can
//! share a Redis. `{token}` is the lowercase hex SHA-256 of the session token (the token
//! itself is never stored). Values are protobuf (`proto/cache.proto`, `proto/api.proto`).
//!
//! Placement: *token* keys go to shard `u64::from_be_bytes(sha256(token)[0..8]) % n`, so a
//! session and its reply share a shard and one pipeline reads both; so does the level bucket
//! entry of the session's player, so Login and a renewal are one pipeline, and a
//! recommendation reads its player's own shard (each shard's buckets sample the active
//! players evenly, as tokens are uniform). Every other *key* goes to shard
//! `u64::from_be_bytes(sha256(key)[0..8]) % n`. SHA-256 is fixed by its standard, so
//! every process and version places a key alike. Changing the shard count moves keys:
//! sessions on a moved shard end (their users log in again); nothing durable is lost.

use sha2::{Digest, Sha256};
use summoner_actors::{TokenHash, UserId};

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "sm";

/// Makes the keys of one deployment (one prefix).
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Default for Keys {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

impl Keys {
    /// Keys under `prefix`.
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }

    /// The key of a session.
    pub fn session(&self, token: &TokenHash) -> String {
        format!("{}:s:{}", self.prefix, hex::encode(token.0))
    }

    /// The key of a session's cached reply.
    pub fn reply(&self, token: &TokenHash) -> String {
        format!("{}:r:{}", self.prefix, hex::encode(token.0))
    }

    /// The key of a level bucket of recently active players.
    pub fn active_bucket(&self, bucket: u32) -> String {
        format!("{}:f:{bucket}", self.prefix)
    }

    /// The key of the cards of a level bucket's players.
    pub fn active_cards(&self, bucket: u32) -> String {
        format!("{}:fc:{bucket}", self.prefix)
    }

    /// The key of a user's friend snapshot.
    pub fn snapshot(&self, user: UserId) -> String {
        format!("{}:p:{user}", self.prefix)
    }

    /// The key of a server-cache entry.
    pub fn server(&self, name: &str) -> String {
        format!("{}:c:{name}", self.prefix)
    }
}

/// The shard of every key of a session.
pub fn token_shard(token: &TokenHash, shards: usize) -> usize {
    reduce(&token.0, shards)
}

/// The shard of a key that belongs to no session.
pub fn key_shard(key: &str, shards: usize) -> usize {
    reduce(&Sha256::digest(key.as_bytes()), shards)
}

fn reduce(hash: &[u8], shards: usize) -> usize {
    let mut head = [0u8; 8];
    head.copy_from_slice(&hash[..8]);
    (u64::from_be_bytes(head) % shards.max(1) as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_is_fixed_by_the_hash_not_the_process() {
        // Pinned values: a change here moves every key in every deployment.
        let token = TokenHash([7; 32]);
        assert_eq!(Keys::default().session(&token), format!("sm:s:{}", "07".repeat(32)));
        assert_eq!(token_shard(&token, 2), (0x0707_0707_0707_0707u64 % 2) as usize);
        assert_eq!(token_shard(&token, 3), (0x0707_0707_0707_0707u64 % 3) as usize);
        let digest = Sha256::digest(b"sm:f:3");
        let head = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        assert_eq!(key_shard("sm:f:3", 5), (head % 5) as usize);
    }

    #[test]
    fn a_session_and_its_reply_share_a_shard_and_sessions_spread() {
        let mut seen = [0usize; 4];
        for i in 0..400u32 {
            let token = TokenHash(Sha256::digest(i.to_be_bytes()).into());
            let shard = token_shard(&token, 4);
            seen[shard] += 1;
            assert_ne!(Keys::default().session(&token), Keys::default().reply(&token));
        }
        assert!(seen.iter().all(|&n| n > 60), "uneven spread: {seen:?}");
    }
}
