//! The HTTP transport: `POST /api`. Thin by design: read and decode the body, find the
//! caller's actor, map failures to statuses ([`error`]). One tracing span per request
//! records operation, user, seq, status and duration.

pub mod body;
pub mod decode;
pub mod error;
pub mod rate_limits;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use prost::Message;
use summoner_actors::in_flight::{Tracked, traced};
use summoner_actors::{Call, Directory, InFlight, Stage};
use summoner_proto::api::{Request, Response, request::Payload, response};
use tokio::sync::Semaphore;
use tracing::Instrument;
use tracing::field::Empty;

use crate::api::error::{ApiError, PROTOBUF};
use crate::api::rate_limits::RateLimits;
use crate::service::accounts::Accounts;
use crate::service::backend::GameBackend;
use crate::service::sessions::{FoundIn, SessionOwner, Sessions};
use crate::service::tokens::{TOKEN_BYTES, hash_token};

/// What the endpoint needs, shared by every HTTP worker.
pub struct ApiState {
    pub directory: Arc<Directory<GameBackend>>,
    pub accounts: Accounts,
    /// Whose session a token is, when no live actor holds it.
    pub sessions: Sessions,
    /// Server-wide admission: one permit per request in flight.
    pub admission: Arc<Semaphore>,
    /// Every request in flight and the stage it waits in.
    pub in_flight: Arc<InFlight>,
    pub max_body_bytes: usize,
    /// Longest a body may take to arrive.
    pub body_timeout: Duration,
    pub rate_limits: RateLimits,
    pub request_timeout: Duration,
    pub retry_after_secs: u32,
}

impl ApiState {
    fn now_ms(&self) -> i64 {
        self.directory.clock().now_ms()
    }
}

/// `POST /api`.
pub async fn endpoint(req: HttpRequest, payload: web::Payload, state: web::Data<ApiState>) -> HttpResponse {
    let started = Instant::now();
    let span = tracing::info_span!("request", op = Empty, user.id = Empty, seq = Empty);
    let mut seen = Seen { seq: 0, op: "none" };
    // Shared with the user's actor, which keeps the request in view while it works on it.
    let tracked = Arc::new(state.in_flight.begin(state.request_timeout));
    let probe = tracked.probe().clone();
    let result =
        traced(Some(probe), serve(&req, payload, &state, &span, &mut seen, &tracked)).instrument(span.clone()).await;
    drop(tracked);
    let response = match result {
        Ok(bytes) => HttpResponse::Ok().content_type(PROTOBUF).body(bytes),
        Err(e) => e.to_http(seen.seq, state.now_ms(), state.retry_after_secs),
    };
    let elapsed = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    tracing::info!(parent: &span, status, duration_ms = elapsed * 1000.0, "request");
    let metrics = &*crate::metrics::METRICS;
    metrics.requests.with_label_values(&[seen.op, status_label(status)]).inc();
    metrics.request_seconds.with_label_values(&[seen.op]).observe(elapsed);
    response
}

/// What the endpoint learned of a request, for its log line and metrics.
struct Seen {
    seq: u64,
    /// The operation's name; "none" when the body never decoded.
    op: &'static str,
}

/// Status codes as metric labels (a fixed set, so label values stay few).
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        400 => "400",
        401 => "401",
        408 => "408",
        413 => "413",
        429 => "429",
        415 => "415",
        500 => "500",
        503 => "503",
        _ => "other",
    }
}

async fn serve(
    req: &HttpRequest,
    payload: web::Payload,
    state: &ApiState,
    span: &tracing::Span,
    seen: &mut Seen,
    tracked: &Arc<Tracked>,
) -> Result<Vec<u8>, ApiError> {
    let probe = tracked.probe();
    let _permit = state.admission.try_acquire().map_err(|_| ApiError::Overloaded)?;
    body::check_content_type(req)?;
    let bytes = body::read_body_within(req, payload, state.max_body_bytes, state.body_timeout).await?;
    let request = decode::decode_request(&bytes)?;
    seen.seq = request.seq;
    let Some(op) = &request.payload else {
        return Err(ApiError::UnknownOperation);
    };
    seen.op = decode::operation(op);
    probe.set_op(seen.op);
    probe.set_stage(Stage::Handler, None);
    span.record("op", seen.op);
    span.record("seq", request.seq);
    if matches!(op, Payload::Register(_) | Payload::Login(_)) {
        state.rate_limits.sign_in(state.rate_limits.client_address(req)).map_err(ApiError::RateLimited)?;
    }
    let answer = match op {
        Payload::Register(r) => response::Payload::Register(state.accounts.register(r).await?),
        Payload::Login(r) => {
            let (user, res) = state.accounts.login(r).await?;
            span.record("user.id", user);
            probe.set_user(user);
            response::Payload::Login(res)
        }
        _ => return call_actor(state, request, span, tracked, req).await,
    };
    let response =
        Response { seq: seen.seq, server_time_ms: state.now_ms(), payload: Some(answer), ..Default::default() };
    Ok(response.encode_to_vec())
}

/// Hands a session request to the user's actor; answers its encoded `Response`.
async fn call_actor(
    state: &ApiState,
    request: Request,
    span: &tracing::Span,
    tracked: &Arc<Tracked>,
    req: &HttpRequest,
) -> Result<Vec<u8>, ApiError> {
    let probe = tracked.probe();
    if request.session_token.len() != TOKEN_BYTES {
        return Err(ApiError::Unauthenticated);
    }
    let token_hash = hash_token(&request.session_token);
    // From here on only the hash travels: nothing downstream can log the token by accident.
    let mut request = request;
    request.session_token.clear();
    let directory = &state.directory;
    let owner = match directory.user_for_token(&token_hash) {
        // No cache round trip.
        Some(user) => {
            state.rate_limits.user(user).map_err(ApiError::RateLimited)?;
            SessionOwner { user, kept_reply: None, found_in: FoundIn::Directory }
        }
        None => {
            // A token this process does not hold costs a cache and maybe a database read.
            // The client's address is read only here (behind proxies it parses a header).
            state.rate_limits.lookup(state.rate_limits.client_address(req)).map_err(ApiError::RateLimited)?;
            let owner = state
                .sessions
                .find_owner(token_hash)
                .await
                .map_err(|e| ApiError::Internal(format!("{e}; retry")))?
                .ok_or(ApiError::Unauthenticated)?;
            // Refused before the token is indexed: an index entry is for a user who gets an actor.
            state.rate_limits.user(owner.user).map_err(ApiError::RateLimited)?;
            directory.remember_token(token_hash, owner.user);
            owner
        }
    };
    let user = owner.user;
    span.record("user.id", user);
    probe.set_user(user);
    probe.set_stage(Stage::Mailbox, None);
    let answer = directory
        .ask(user, state.request_timeout, || Call {
            token_hash,
            request: request.clone(),
            cached: owner.kept_reply.clone(),
            unindexed: owner.found_in == FoundIn::Database,
            probe: Some(tracked.clone()),
        })
        .await;
    match answer {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let e = ApiError::from(e);
            if matches!(e, ApiError::Unauthenticated) {
                directory.forget_token(&token_hash);
                if owner.found_in == FoundIn::Cache {
                    // The cache still names a session the user's actor refused (replaced by a
                    // later login whose session lives on another shard, or never stored).
                    state.sessions.forget(token_hash).await;
                }
            }
            Err(e)
        }
    }
}
