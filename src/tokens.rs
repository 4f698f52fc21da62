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

/// A random 63-bit number (positive in a signed 64-bit column).
pub fn random_u63() -> Result<u64, RandomError> {
    getrandom::u64().map(|v| v >> 1).map_err(|e| RandomError(e.to_string()))
}

/// The hash under which a token is stored and indexed.
pub fn hash_token(token: &[u8]) -> TokenHash {
    TokenHash(Sha256::digest(token).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_hash_to_32_bytes() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(hash_token(&a), hash_token(&a));
    }
}
