//! The admin page's sessions, kept on the server. Signing in makes a random id that the
//! page's cookie carries; the server keeps its digest with an expiry and a digest of the token
//! it was opened with. Signing out forgets it at once, so a copied cookie is worth nothing
//! after; a session opened under another token (the token changed) and one past its expiry are
//! refused. At most [`MAX_SESSIONS`] are kept (the oldest go first). Sessions live in the
//! process: a restart ends them all.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// How long a page session lasts.
pub const PAGE_SESSION_SECS: u64 = 12 * 3600;
/// Page sessions kept at most.
pub const MAX_SESSIONS: usize = 1_000;

fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

struct Open {
    expires_at: u64,
    token: [u8; 32],
    /// The name the person signed in under: who the operator audit log says acted.
    operator: String,
}

/// The page sessions open now.
#[derive(Default)]
pub struct PageSessions(Mutex<HashMap<[u8; 32], Open>>);

impl PageSessions {
    /// Opens a session for `operator`, who presented `token`; answers the cookie's value.
    pub fn open(&self, token: &str, operator: &str) -> Result<String, getrandom::Error> {
        let mut id = [0u8; 32];
        getrandom::fill(&mut id)?;
        let now = unix_secs();
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        open.retain(|_, s| s.expires_at > now);
        if open.len() >= MAX_SESSIONS
            && let Some(oldest) = open.iter().min_by_key(|(_, s)| s.expires_at).map(|(k, _)| *k)
        {
            open.remove(&oldest);
        }
        let session = Open {
            expires_at: now + PAGE_SESSION_SECS,
            token: digest(token.as_bytes()),
            operator: operator.to_owned(),
        };
        open.insert(digest(&id), session);
        Ok(hex::encode(id))
    }

    /// Whether the cookie `value` names a session open now under `token`.
    pub fn valid(&self, value: &str, token: &str) -> bool {
        let Some(key) = Self::key(value) else { return false };
        let open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        open.get(&key).is_some_and(|s| s.expires_at > unix_secs() && s.token == digest(token.as_bytes()))
    }

    /// The operator of the session cookie `value` names, if it is open now under `token`.
    pub fn operator(&self, value: &str, token: &str) -> Option<String> {
        let key = Self::key(value)?;
        let open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let session = open.get(&key).filter(|s| s.expires_at > unix_secs() && s.token == digest(token.as_bytes()))?;
        Some(session.operator.clone())
    }

    /// Ends the session of cookie `value` (sign-out).
    pub fn close(&self, value: &str) {
        if let Some(key) = Self::key(value) {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
        }
    }

    fn key(value: &str) -> Option<[u8; 32]> {
        let id: [u8; 32] = hex::decode(value).ok()?.try_into().ok()?;
        Some(digest(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_session_or_one_of_another_token_is_refused() {
        let sessions = PageSessions::default();
        let cookie = sessions.open("token-a", "mina").unwrap();
        assert!(sessions.valid(&cookie, "token-a"));
        assert_eq!(sessions.operator(&cookie, "token-a").as_deref(), Some("mina"));
        assert_eq!(sessions.operator(&cookie, "token-b"), None);
        assert!(!sessions.valid(&cookie, "token-b"), "the token changed");
        assert!(!sessions.valid("00", "token-a") && !sessions.valid("zz", "token-a"));
        sessions.close(&cookie);
        assert!(!sessions.valid(&cookie, "token-a"), "signed out");
    }

    #[test]
    fn no_more_than_the_bound_are_kept() {
        let sessions = PageSessions::default();
        for _ in 0..=MAX_SESSIONS {
            sessions.open("t", "op").unwrap();
        }
        assert_eq!(sessions.0.lock().unwrap().len(), MAX_SESSIONS);
        assert!(sessions.valid(&sessions.open("t", "op").unwrap(), "t"), "a new one is always kept");
    }
}
