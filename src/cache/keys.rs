//! The key scheme and the placement of keys on shards.
//!
//! | key | value | TTL | shard |
//! |---|---|---|---|
//! | `sm:s:{token}` | `SessionRecord` | until the session expires | token |
//! | `sm:r:{token}` | `CachedReply` (the session's last reply no database holds) | 3600 s | token |
//! | `sm:f:{bucket}` | sorted set of `FriendCard`, scored by last activity (ms) | 2 × window | key |
//! | `sm:p:{user}` | `FriendSnapshot` | 3600 s | key |
//! | `sm:c:{name}` | bytes (server cache) | set by the writer | key |
//!
//! `{token}` is the lowercase hex SHA-256 of the session token (the token itself is never
//! stored). Values are protobuf (`proto/cache.proto`, `proto/api.proto`).
//!
//! Placement: *token* keys go to shard `u64::from_be_bytes(sha256(token)[0..8]) % n`, so a
//! session and its reply share a shard and one pipeline reads both; every other key goes to
//! shard `u64::from_be_bytes(sha256(key)[0..8]) % n`. SHA-256 is fixed by its standard, so
//! every process and version places a key alike. Changing the shard count moves keys:
//! sessions on a moved shard end (their users log in again); nothing durable is lost.

use sha2::{Digest, Sha256};
use summoner_actors::{TokenHash, UserId};

/// The key of a session.
pub fn session(token: &TokenHash) -> String {
    format!("sm:s:{}", hex(&token.0))
}

/// The key of a session's cached reply.
pub fn reply(token: &TokenHash) -> String {
    format!("sm:r:{}", hex(&token.0))
}

/// The key of a level bucket of recently active players.
pub fn active_bucket(bucket: u32) -> String {
    format!("sm:f:{bucket}")
}

/// The key of a user's friend snapshot.
pub fn snapshot(user: UserId) -> String {
    format!("sm:p:{user}")
}

/// The key of a server-cache entry.
pub fn server(name: &str) -> String {
    format!("sm:c:{name}")
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

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_is_fixed_by_the_hash_not_the_process() {
        // Pinned values: a change here moves every key in every deployment.
        let token = TokenHash([7; 32]);
        assert_eq!(session(&token), format!("sm:s:{}", "07".repeat(32)));
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
            let token = TokenHash(*Sha256::digest(i.to_be_bytes()).as_ref());
            let shard = token_shard(&token, 4);
            seen[shard] += 1;
            assert_ne!(session(&token), reply(&token));
        }
        assert!(seen.iter().all(|&n| n > 60), "uneven spread: {seen:?}");
    }
}
