//! How the service's failures reach the user actors: a store or cache error as the actor
//! layer's `BackendError`, with the kind that decides what the actor does (retire on an
//! unknown outcome or a lost fence, reload on a conflict, 503 when overloaded).

use summoner_actors::{BackendError, FailureKind};

use crate::cache::CacheError;
use crate::storage::StoreError;

/// A store error as the actors see it.
pub fn storage_error(e: StoreError) -> BackendError {
    let kind = match e {
        StoreError::OutcomeUnknown(_) => FailureKind::OutcomeUnknown,
        StoreError::Fenced(_) => FailureKind::Superseded,
        StoreError::Conflict(_) => FailureKind::Conflict,
        StoreError::Overloaded(_) => FailureKind::Overloaded,
        StoreError::Timeout(_) | StoreError::Database(..) | StoreError::NotFound(_) => FailureKind::Failed,
    };
    BackendError::of(kind, "storage", e)
}

/// A cache error as the actors see it: the service is unavailable (503).
pub fn cache_error(e: CacheError) -> BackendError {
    BackendError::unavailable("cache", e)
}
