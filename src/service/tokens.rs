//! Session tokens and other server-made randomness from the operating system's CSPRNG.

use sha2::{Digest, Sha256};
use summoner_actors::TokenHash;

/// Bytes in a session token: 256 bits.
pub const TOKEN_BYTES: usize = 32;

/// The OS random source failed (practically never; the server cannot run without it).
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(String);

/// A new 256-bit session token.
pub fn new_token() -> Result<[u8; TOKEN_BYTES], RandomError> {
    let mut token = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut token).map_err(|e| RandomError(e.to_string()))?;
    Ok(token)
}

/// 256 random bits from the operating system's generator (a user's stream key).
pub fn random_key() -> Result<[u8; 32], RandomError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| RandomError(e.to_string()))?;
    Ok(key)
}

/// A random 63-bit number (positive in a signed 64-bit column).
pub fn random_u63() -> Result<u64, RandomError> {
    getrandom::u64().map(|v| v >> 1).map_err(|e| RandomError(e.to_string()))
}

/// What marks a sign-in id stored as its hash.
pub const HASHED_PREFIX: &str = "sha256:";

/// The form a device id is stored and looked up in: its SHA-256, never the id itself, so
/// whoever reads the accounts table cannot sign in as the device. Device ids are random
/// secrets made on the device (a UUID or longer), so an unsalted hash of them cannot be
/// reversed by guessing; a client that used a guessable id would gain nothing from a salt.
pub fn device_key(device_id: &str) -> String {
    format!("{HASHED_PREFIX}{}", hex::encode(Sha256::digest(device_id.as_bytes())))
}

/// Device ids stored as themselves, before they were hashed, are hashed at migration.
pub const DEVICE_REKEY: crate::storage::db_store::Rekey =
    crate::storage::db_store::Rekey { provider: "device", prefix: HASHED_PREFIX, key: device_key };

/// Whether two secrets are the same, compared without leaking through timing how much of a
/// guess was right, or its length: the digests compared are always 32 bytes.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The hash under which a token is stored and indexed.
pub fn hash_token(token: &[u8]) -> TokenHash {
    TokenHash(Sha256::digest(token).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_keys_are_hashes_that_never_show_the_id() {
        let key = device_key("device-1234");
        assert!(key.starts_with(HASHED_PREFIX) && key.len() == HASHED_PREFIX.len() + 64);
        assert!(!key.contains("device-1234"));
        assert_eq!(key, device_key("device-1234"));
        assert_ne!(key, device_key("device-1235"));
    }

    #[test]
    fn tokens_differ_and_hash_to_32_bytes() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(hash_token(&a), hash_token(&a));
    }
}
