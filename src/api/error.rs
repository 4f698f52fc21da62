//! The error policy of the transport, in one place: which failure becomes which HTTP
//! status and error code. Every error answer carries an encoded `Response` (seq, code,
//! message) so the client can always decode what it got.
//!
//! | status | codes | the client should |
//! |---|---|---|
//! | 200 | game-logic refusals (`INVALID_ARGUMENT`, `NOT_REGISTERED`, `STALE_REQUEST` ...) | show or handle it; nothing changed |
//! | 400 | `MALFORMED_REQUEST`, `UNKNOWN_OPERATION` | fix the client; retrying is useless |
//! | 401 | `UNAUTHENTICATED`, `SESSION_EXPIRED` | log in again |
//! | 413 | `PAYLOAD_TOO_LARGE` | send less |
//! | 415 | `UNSUPPORTED_MEDIA_TYPE` | send `application/x-protobuf` |
//! | 500 | `INTERNAL` | retry with the same seq: it was not applied, or it was and its stored answer comes back; never twice |
//! | 408 | `REQUEST_TIMEOUT` | the body came too slowly; send it again, whole |
//! | 429 | `RATE_LIMITED` | retry with the same seq after `Retry-After` seconds |
//! | 503 | `OVERLOADED`, `UNAVAILABLE` | retry with the same seq after `Retry-After` seconds |
//! | 503 | `MOVED` | another node serves the user now, or this one is not serving yet; nothing was applied: retry with the same seq after `Retry-After` (through the load balancer, which may pick another node) |

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use prost::Message;
use summoner_actors::{AskError, CallError, RouteError};
use summoner_proto::api::{ErrorCode, Response};

use crate::service::accounts::AccountError;

/// Content type of every request and answer body.
pub const PROTOBUF: &str = "application/x-protobuf";

/// A request that gets no game-level answer, or a refusal made at the transport.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Malformed(String),
    #[error("the request has no payload this server knows")]
    UnknownOperation,
    #[error("no valid session token")]
    Unauthenticated,
    #[error("the session expired; log in again")]
    SessionExpired,
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("send the body as application/x-protobuf")]
    UnsupportedMediaType,
    #[error("the server is overloaded; retry later")]
    Overloaded,
    /// Over a rate limit; retry after the given wait.
    #[error("too many requests; retry after {} s", retry_after(*.0))]
    RateLimited(std::time::Duration),
    /// The body did not arrive within the given time.
    #[error("the body did not arrive within {} ms", .0.as_millis())]
    BodyTimeout(std::time::Duration),
    /// A service the request needs (the cache) did not answer; nothing was applied.
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
    /// A game-level refusal (200 + code).
    #[error("{1}")]
    Refused(ErrorCode, String),
    /// Another node serves the user now, or this node does not serve at the moment; nothing
    /// was applied.
    #[error("{0}")]
    Moved(String),
}

impl ApiError {
    /// The HTTP status and error code of this error.
    pub fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Self::Malformed(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest),
            Self::UnknownOperation => (StatusCode::BAD_REQUEST, ErrorCode::UnknownOperation),
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated),
            Self::SessionExpired => (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType),
            Self::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Overloaded),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            Self::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, ErrorCode::RequestTimeout),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            Self::Refused(code, _) => (StatusCode::OK, *code),
            Self::Moved(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Moved),
        }
    }

    /// The answer to send: status, `Response` body, and `Retry-After` for 503.
    pub fn to_http(&self, seq: u64, now_ms: i64, retry_after_secs: u32) -> HttpResponse {
        let (status, code) = self.status_and_code();
        crate::metrics::METRICS.errors.with_label_values(&[code.as_str_name()]).inc();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
        } else if matches!(self, Self::Unavailable(_)) {
            tracing::warn!(error = %self, "request needs a service that is unavailable (the cache, or a sign-in provider)");
        }
        let body = Response {
            seq,
            error: code as i32,
            message: self.to_string(),
            server_time_ms: now_ms,
            ..Default::default()
        }
        .encode_to_vec();
        let mut http = HttpResponse::build(status);
        http.content_type(PROTOBUF);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            http.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        if let Self::RateLimited(wait) = self {
            http.insert_header(("Retry-After", retry_after(*wait)));
        }
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of a slow body is not read: the connection ends with this answer.
            http.force_close();
        }
        http.body(body)
    }
}

/// The answer the owner of the user gave to a forwarded request, relayed as it is: its
/// status (the owner's policy made it), `Retry-After` and body.
pub fn relay(answer: crate::service::routing::Forwarded) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut relayed = HttpResponse::build(status);
    relayed.content_type(PROTOBUF);
    if let Some(wait) = answer.retry_after {
        relayed.insert_header(("Retry-After", wait));
    }
    relayed.body(answer.body)
}

/// The answer to a call on the internal listener that does not show the cluster's secret.
pub fn not_a_peer() -> HttpResponse {
    HttpResponse::Forbidden().body("not a peer of this cluster\n")
}

/// The `Retry-After` seconds of a rate limit's wait: whole seconds, rounded up, at least 1,
/// so a client that waits that long gets through.
pub fn retry_after(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl From<AskError> for ApiError {
    fn from(e: AskError) -> Self {
        match e {
            AskError::Route(RouteError::Overloaded) => Self::Overloaded,
            AskError::Call(CallError::Unauthenticated | CallError::SessionOver) => Self::Unauthenticated,
            AskError::Call(CallError::SessionExpired) => Self::SessionExpired,
            AskError::Call(CallError::Internal(m)) => Self::Internal(m),
            AskError::Call(CallError::Unavailable(m)) => Self::Unavailable(m),
            AskError::Call(CallError::Overloaded(_)) => Self::Overloaded,
            AskError::Call(CallError::Retired) => Self::Internal("the user's actor is restarting; retry".into()),
            AskError::Call(CallError::Moved(m)) => Self::Moved(m),
            AskError::Timeout => Self::Internal("the request timed out; retry with the same seq".into()),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::InvalidCredential(m) => Self::Refused(ErrorCode::InvalidArgument, m),
            AccountError::NotRegistered => Self::Refused(ErrorCode::NotRegistered, e.to_string()),
            AccountError::DeletionPending(_) => Self::Refused(ErrorCode::AccountDeletionPending, e.to_string()),
            AccountError::SignInRefused(m) => Self::Refused(ErrorCode::SignInRefused, m),
            AccountError::ProviderUnavailable(m) => Self::Unavailable(m),
            AccountError::Actor(e) => e.into(),
            AccountError::Overloaded(_) => Self::Overloaded,
            AccountError::Store(e) => Self::Internal(e.to_string()),
            AccountError::Random(e) => Self::Internal(e.to_string()),
        }
    }
}
