//! A login session as the user's actor holds it.
//!
//! The raw token goes to the client once (in the Login answer) and is never stored or
//! logged: the server keeps only its SHA-256 hash, so a leaked database or log cannot be
//! replayed as a session.

use std::fmt;

/// SHA-256 of a session token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    // Even the hash stays out of logs beyond a short prefix: enough to correlate, not to look up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({:02x}{:02x}{:02x}..)", self.0[0], self.0[1], self.0[2])
    }
}

/// One login of one user. A new login replaces it; Logout, DeleteAccount, an operator's kick
/// or inactivity ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Random id of this login; stored replies carry it so that a reply of an earlier
    /// session is never served to a later one.
    pub id: u64,
    pub token_hash: TokenHash,
    /// When the session expires unless renewed by activity (ms since the epoch).
    pub expires_at_ms: i64,
    /// When Logout, DeleteAccount or an operator ended it. An ended session's token answers
    /// only a retry of its last request (with that request's reply, for one session TTL
    /// after the end), so a client whose answer was lost still learns it.
    pub ended_at_ms: Option<i64>,
    /// The seq of the request that ended it when that request may run again on the session
    /// it ended, its answer never stored ([`crate::UserBackend::runs_after_end`]:
    /// DeleteAccount); 0 otherwise (Logout, an operator's kick).
    pub ended_by_seq: u64,
}

impl Session {
    /// Whether the session has expired at `now_ms`.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// This session as ended at `now_ms` by request `seq` (0: not by a request), or as it
    /// first ended: ending it again changes nothing, so its retry window never grows. It
    /// expires then, and keeps its token and id.
    pub fn ended(mut self, now_ms: i64, seq: u64) -> Self {
        if self.ended_at_ms.is_none() {
            self.ended_at_ms = Some(now_ms);
            self.ended_by_seq = seq;
        }
        self.expires_at_ms = self.expires_at_ms.min(self.ended_at_ms.unwrap_or(now_ms));
        self
    }
}
