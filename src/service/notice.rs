//! The operator's notice ("maintenance at 04:00 UTC"): set through the admin endpoint,
//! shown to every player in the Login answer, on every node.
//!
//! It lives in the server cache (`{prefix}:c:notice`, shared by all nodes through Redis)
//! and each node keeps a copy for [`LOCAL_COPY_MS`], so Logins read the cache at most once
//! per node per few seconds: read-mostly data, as the server cache is for.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use summoner_actors::Clock;

use crate::cache::{Cache, CacheError};

/// The server-cache entry.
const ENTRY: &str = "notice";
/// How long a node trusts its copy.
pub const LOCAL_COPY_MS: i64 = 5_000;
/// Longest notice accepted, in characters.
pub const MAX_CHARS: usize = 1_000;
/// Longest a notice may stay up.
pub const MAX_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Why a notice was refused.
#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("a notice has at most {MAX_CHARS} characters and no control characters but line breaks")]
    Invalid,
    #[error("a notice stays up between 1 second and 30 days")]
    BadTtl,
    #[error(transparent)]
    Cache(#[from] CacheError),
}

struct Copy {
    text: String,
    read_at_ms: i64,
}

/// This node's view of the notice.
pub struct NoticeBoard {
    cache: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
    copy: Mutex<Option<Copy>>,
}

impl NoticeBoard {
    /// A board over the server cache of `cache`.
    pub fn new(cache: Arc<dyn Cache>, clock: Arc<dyn Clock>) -> Self {
        Self { cache, clock, copy: Mutex::new(None) }
    }

    fn copy(&self) -> MutexGuard<'_, Option<Copy>> {
        // One assignment per critical section: a poisoned lock still holds a whole value.
        self.copy.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The notice now ("" when none), from this node's copy if recent enough.
    pub async fn current(&self) -> Result<String, CacheError> {
        let now = self.clock.now_ms();
        if let Some(copy) = self.copy().as_ref().filter(|c| now - c.read_at_ms < LOCAL_COPY_MS) {
            return Ok(copy.text.clone());
        }
        let bytes = self.cache.server_get(ENTRY).await?.unwrap_or_default();
        // Only `set` writes the entry, and it writes UTF-8; anything else reads as no notice.
        let text = String::from_utf8(bytes).unwrap_or_default();
        *self.copy() = Some(Copy { text: text.clone(), read_at_ms: now });
        Ok(text)
    }

    /// Puts up `text` for `ttl` on every node ("" takes the notice down).
    pub async fn set(&self, text: &str, ttl: Duration) -> Result<(), NoticeError> {
        let text = text.trim();
        if text.chars().count() > MAX_CHARS || text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(NoticeError::Invalid);
        }
        if ttl.is_zero() || ttl > MAX_TTL {
            return Err(NoticeError::BadTtl);
        }
        self.cache.server_put(ENTRY, text.as_bytes().to_vec(), ttl).await?;
        *self.copy() = Some(Copy { text: text.to_owned(), read_at_ms: self.clock.now_ms() });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use summoner_actors::ManualClock;

    use super::*;
    use crate::cache::local::LocalCache;

    #[test]
    fn a_notice_is_shared_through_the_cache_and_copied_for_a_few_seconds() {
        let clock = Arc::new(ManualClock::new());
        let cache: Arc<dyn Cache> = Arc::new(LocalCache::new(clock.clone()));
        let (a, b) = (NoticeBoard::new(cache.clone(), clock.clone()), NoticeBoard::new(cache, clock.clone()));
        let now = |f: futures_util::future::BoxFuture<'_, Result<String, CacheError>>| {
            f.now_or_never().expect("in process").expect("no error")
        };
        assert_eq!(now(a.current().boxed()), "");
        b.set(" maintenance at 04:00 ", Duration::from_secs(60)).now_or_never().unwrap().unwrap();
        assert_eq!(now(b.current().boxed()), "maintenance at 04:00");
        assert_eq!(now(a.current().boxed()), "", "a's copy is a few seconds old at most");
        clock.advance_ms(LOCAL_COPY_MS);
        assert_eq!(now(a.current().boxed()), "maintenance at 04:00");
        clock.advance_ms(60_000);
        assert_eq!(now(a.current().boxed()), "", "expired with its TTL");
        assert!(matches!(b.set("a\u{7}b", Duration::from_secs(1)).now_or_never().unwrap(), Err(NoticeError::Invalid)));
        let long = "x".repeat(MAX_CHARS + 1);
        assert!(matches!(b.set(&long, Duration::from_secs(1)).now_or_never().unwrap(), Err(NoticeError::Invalid)));
        assert!(matches!(b.set("x", Duration::ZERO).now_or_never().unwrap(), Err(NoticeError::BadTtl)));
    }
}
