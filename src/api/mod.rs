//! The HTTP transport: `POST /api`, and `POST /internal/api` for requests other nodes
//! forward. Thin by design: read and decode the body, find the caller's user, send it to the
//! node that serves the user (`crate::service::routing`) or to its actor here, map failures
//! to statuses ([`error`]). One tracing span per request records operation, user, seq,
//! status and duration.

pub mod body;
pub mod connections;
pub mod decode;
pub mod error;
pub mod internal;
pub mod rate_limits;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use prost::Message;
use summoner_actors::in_flight::{Tracked, traced};
use summoner_actors::{AskError, Call, CallError, Directory, InFlight, Stage};
use summoner_proto::api::{ErrorCode, LoginRes, Request, Response, request::Payload, response};
use tokio::sync::Semaphore;
use tracing::Instrument;
use tracing::field::Empty;

use crate::api::error::{ApiError, PROTOBUF};
use crate::api::rate_limits::RateLimits;
use crate::service::accounts::AccountError;
use crate::service::accounts::{Account, Accounts};
use crate::service::backend::GameBackend;
use crate::service::routing::{
    DEADLINE_HEADER, ForwardError, Forwarded, HAND_OVER_HEADER, RELEASED_HEADER, ROUTE_HEADER, Route, Routing,
    SECRET_HEADER,
};
use crate::service::sessions::{FoundIn, LookupError, SessionOwner, Sessions};
use crate::service::tokens::{TOKEN_BYTES, hash_token};

/// What the endpoint needs, shared by every HTTP worker.
pub struct ApiState {
    pub directory: Arc<Directory<GameBackend>>,
    pub accounts: Accounts,
    /// Whose session a token is, when no live actor holds it.
    pub sessions: Sessions,
    /// Which node serves a user, and forwarding there.
    pub routing: Routing,
    /// Server-wide admission: one permit per request in flight.
    pub admission: Arc<Semaphore>,
    /// Every request in flight and the stage it waits in.
    pub in_flight: Arc<InFlight>,
    pub max_body_bytes: usize,
    /// Longest a body may take to arrive.
    pub body_timeout: Duration,
    pub rate_limits: RateLimits,
    /// Connections (and behind trusted proxies, requests) per client address.
    pub connections: Arc<connections::ConnectionCaps>,
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
    // A request with a routing key reached this node because the load balancer hashes the
    // key here: this node is where the user's requests go.
    let keyed = req.headers().get(ROUTE_HEADER).is_some_and(|v| !v.is_empty());
    let from = Hop::Client(Instant::now() + state.request_timeout, keyed);
    handle(req, payload, state, from).await
}

/// `POST /internal/api` on the internal listener: a request another node forwarded, with
/// the cluster's secret and what is left of its time. It is served here or refused, never
/// forwarded again.
pub async fn internal_endpoint(req: HttpRequest, payload: web::Payload, state: web::Data<ApiState>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if !header(SECRET_HEADER).is_some_and(|s| state.routing.is_peer(s)) {
        return error::not_a_peer();
    }
    let remaining = header(DEADLINE_HEADER).and_then(|v| v.parse::<u64>().ok()).map(Duration::from_millis);
    let within = remaining.unwrap_or(state.request_timeout).min(state.request_timeout);
    // The node asking for the user, unless it is stopping (it would take no user).
    let node = state.routing.node();
    let asker = header(HAND_OVER_HEADER).and_then(|v| v.parse::<u16>().ok());
    let hand_over = asker.and_then(|id| node.peer(id)).is_some_and(|p| !p.draining);
    handle(req, payload, state, Hop::Forwarded(Instant::now() + within, hand_over)).await
}

/// Where a request came from, and when its time is up: every wait of it (its actor, a
/// forward, a second try) takes from the same time.
#[derive(Debug, Clone, Copy)]
enum Hop {
    /// From a client (through a load balancer, maybe): routed, and forwarded if need be;
    /// with whether it carried a routing key.
    Client(Instant, bool),
    /// From another node, with the deadline it gave: served here or refused; with whether
    /// that node asks for the user (see [`HAND_OVER_HEADER`]).
    Forwarded(Instant, bool),
}

impl Hop {
    /// What is left of the request's time.
    fn remaining(self) -> Duration {
        let (Hop::Client(deadline, _) | Hop::Forwarded(deadline, _)) = self;
        deadline.saturating_duration_since(Instant::now())
    }

    /// Whether a node forwarding this request should ask the owner for the user.
    fn keyed(self) -> bool {
        matches!(self, Hop::Client(_, true))
    }
}

/// What a request was answered with.
enum Served {
    /// An encoded `Response` made here (200).
    Answer(Vec<u8>),
    /// An encoded `Response` made here (200), after which the user's actor (which held the
    /// user at this owner epoch) retired for the node that forwarded the request to take the
    /// user over.
    HandedOver(Vec<u8>, i64),
    /// The answer of the node that owns the user, as it gave it.
    Relayed(Forwarded),
}

async fn handle(req: HttpRequest, payload: web::Payload, state: web::Data<ApiState>, hop: Hop) -> HttpResponse {
    let started = Instant::now();
    let span = tracing::info_span!("request", op = Empty, user.id = Empty, seq = Empty);
    let mut seen = Seen { seq: 0, op: "none" };
    // Shared with the user's actor, which keeps the request in view while it works on it.
    let tracked = Arc::new(state.in_flight.begin(hop.remaining()));
    let probe = tracked.probe().clone();
    let result = traced(Some(probe), serve(&req, payload, &state, &span, &mut seen, &tracked, hop))
        .instrument(span.clone())
        .await;
    drop(tracked);
    let response = match result {
        Ok(Served::Answer(bytes)) => HttpResponse::Ok().content_type(PROTOBUF).body(bytes),
        Ok(Served::HandedOver(bytes, epoch)) => {
            HttpResponse::Ok().content_type(PROTOBUF).insert_header((RELEASED_HEADER, epoch.to_string())).body(bytes)
        }
        Ok(Served::Relayed(answer)) => error::relay(answer),
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
    hop: Hop,
) -> Result<Served, ApiError> {
    let probe = tracked.probe();
    let _permit = state.admission.try_acquire().map_err(|_| ApiError::Overloaded)?;
    let _counted = match hop {
        Hop::Client(..) => {
            let peer = req.peer_addr().map(|a| a.ip());
            let client = peer.filter(|ip| state.connections.is_trusted(*ip)).and(state.rate_limits.client_address(req));
            state.connections.count_request(peer, client).map_err(|_| ApiError::RateLimited(Duration::from_secs(1)))?
        }
        Hop::Forwarded(..) => None,
    };
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
    if matches!(op, Payload::Register(_) | Payload::Login(_)) && matches!(hop, Hop::Client(..)) {
        state.rate_limits.sign_in(state.rate_limits.client_address(req)).map_err(ApiError::RateLimited)?;
    }
    // Register touches no user's actor, but mints ids with this node's id: like the rest,
    // only while this node's lease surely holds (the id is this process's).
    if !state.routing.node().serving() {
        return Err(ApiError::Moved("this node's lease is not renewed yet; retry".into()));
    }
    let answer = match op {
        Payload::Register(r) => response::Payload::Register(state.accounts.register(r).await?),
        Payload::Login(r) => {
            let (user, registered, signed_up) = match state.accounts.account_or_sign_up(r).await? {
                Account::Registered { user, now } => (user, now, None),
                Account::SignedUp(user, res) => (user, true, Some(*res)),
            };
            span.record("user.id", user);
            probe.set_user(user);
            let res = match signed_up {
                // A new user's actor is this node's already: nothing to route.
                Some(res) => res,
                None => {
                    if let Some(relayed) = elsewhere(state, user, &bytes, hop, false).await? {
                        return Ok(Served::Relayed(relayed));
                    }
                    match state.accounts.open_for(user, r).await {
                        // As in `call_actor`: to the owner, else once more here.
                        Err(AccountError::Actor(AskError::Call(CallError::Moved(_)))) => {
                            if let Some(relayed) = elsewhere(state, user, &bytes, hop, true).await? {
                                return Ok(Served::Relayed(relayed));
                            }
                            state.accounts.open_for(user, r).await?
                        }
                        opened => opened?,
                    }
                }
            };
            let res = LoginRes { registered, ..res };
            if !state.routing.node().serving() {
                // As in `call_actor`: the session may rest on a state another node changed.
                return Err(ApiError::Internal("this node's lease lapsed while the login ran; log in again".into()));
            }
            let response = Response {
                seq: seen.seq,
                server_time_ms: state.now_ms(),
                payload: Some(response::Payload::Login(res)),
                ..Default::default()
            };
            return Ok(hand_over(state, user, hop, response.encode_to_vec()).await);
        }
        _ => return call_actor(state, request, span, tracked, req, &bytes, hop).await,
    };
    let response =
        Response { seq: seen.seq, server_time_ms: state.now_ms(), payload: Some(answer), ..Default::default() };
    Ok(Served::Answer(response.encode_to_vec()))
}

/// The answer of the node that serves `user`, when that is another node: a request from a
/// client whose user is not live here goes where routing says (`again`: after this node's
/// activation found another owner, whatever the directory says).
async fn elsewhere(
    state: &ApiState,
    user: u64,
    body: &[u8],
    hop: Hop,
    again: bool,
) -> Result<Option<Forwarded>, ApiError> {
    if matches!(hop, Hop::Forwarded(..)) || (!again && state.directory.live(user).is_some()) {
        return Ok(None);
    }
    // Twice at most: a peer found gone is routed around at once.
    for _ in 0..2 {
        let Route::To(peer) = state.routing.route(user).await else { return Ok(None) };
        tracing::debug!(user.id = user, node = peer.id, "forwarded to the node that serves the user");
        match state.routing.forward(&peer, user, body.to_vec(), hop.remaining(), hop.keyed()).await {
            Ok(answer) => return Ok(Some(answer)),
            Err(ForwardError::Gone(..)) => continue,
            // Delivered but not answered: the owner may have applied it; the same seq again
            // gets it applied once, or its stored answer.
            Err(e @ ForwardError::Unanswered(..)) => return Err(ApiError::Internal(format!("{e}; retry"))),
            Err(e) => return Err(ApiError::Moved(format!("{e}; retry"))),
        }
    }
    Ok(None)
}

/// A request served here for a node that asked for its user: the user's actor retires after
/// answering (its writes are durable, as every answer's are), so that node's activation takes
/// the user over on the next request instead of forwarding every one here.
async fn hand_over(state: &ApiState, user: u64, hop: Hop, bytes: Vec<u8>) -> Served {
    if !matches!(hop, Hop::Forwarded(_, true)) || !state.directory.passivate(user).await {
        return Served::Answer(bytes);
    }
    // The epoch the retired actor held, as the row says now: the asking node may take the
    // user from this node at that epoch only (not after a later activation here).
    match state.routing.own_epoch(user).await {
        Some(epoch) => {
            tracing::debug!(user.id = user, "handed over to the node the load balancer sends the user to");
            Served::HandedOver(bytes, epoch)
        }
        None => Served::Answer(bytes),
    }
}

/// Hands a session request to the user's actor; answers its encoded `Response`.
async fn call_actor(
    state: &ApiState,
    request: Request,
    span: &tracing::Span,
    tracked: &Arc<Tracked>,
    req: &HttpRequest,
    body: &[u8],
    hop: Hop,
) -> Result<Served, ApiError> {
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
            if matches!(hop, Hop::Client(..)) {
                state.rate_limits.lookup(state.rate_limits.client_address(req)).map_err(ApiError::RateLimited)?;
            }
            let owner = state
                .sessions
                .find_owner(token_hash)
                .await
                .map_err(|e| match e {
                    LookupError::OverBudget => ApiError::Overloaded,
                    LookupError::Store(e) => ApiError::Internal(format!("{e}; retry")),
                })?
                .ok_or(ApiError::Unauthenticated)?;
            // Refused before the token is indexed: an index entry is for a user who gets an actor.
            state.rate_limits.user(owner.user).map_err(ApiError::RateLimited)?;
            owner
        }
    };
    let user = owner.user;
    span.record("user.id", user);
    probe.set_user(user);
    if let Some(relayed) = elsewhere(state, user, body, hop, false).await? {
        return Ok(Served::Relayed(relayed));
    }
    // Indexed only where the user's actor will live: a node that forwards keeps no entry
    // (an entry is forgotten when the user's actor retires).
    if owner.found_in != FoundIn::Directory {
        directory.remember_token(token_hash, owner.user);
    }
    probe.set_stage(Stage::Mailbox, None);
    let call = || {
        directory.ask(user, hop.remaining(), || Call {
            token_hash,
            request: request.clone(),
            cached: owner.kept_reply.clone(),
            unindexed: owner.found_in == FoundIn::Database,
            probe: Some(tracked.clone()),
        })
    };
    let mut answer = call().await;
    if let Err(AskError::Call(CallError::Moved(_))) = &answer {
        // This node's activation found another owner, or its commit was fenced: nothing was
        // applied here. The owner serves the request if another node is it; if routing
        // finds none live (an owner this node does not know of yet, or one gone), a fresh
        // activation here takes the user over, once.
        if let Some(relayed) = elsewhere(state, user, body, hop, true).await? {
            // Served elsewhere after all: the entry indexed above is not this node's to keep
            // (the activation that refused never holds the session that would forget it).
            if owner.found_in != FoundIn::Directory {
                directory.forget_token(&token_hash);
            }
            return Ok(Served::Relayed(relayed));
        }
        answer = call().await;
    }
    match answer {
        // The lease lapsed while the request ran (the process was frozen): another node may
        // own the user now, and this answer may rest on state it changed since. A write that
        // committed passed the fence and its stored answer comes back on a retry; a read is
        // made again by the owner.
        Ok(_) if !state.routing.node().serving() => {
            Err(ApiError::Internal("this node's lease lapsed while the request ran; retry with the same seq".into()))
        }
        Ok(answered) => {
            if let Some(code) = answered.fresh_code.filter(|c| *c != 0) {
                // Counted once, when made: a retry's replay of it is not counted again.
                let code = ErrorCode::try_from(code).unwrap_or(ErrorCode::Internal);
                crate::metrics::METRICS.errors.with_label_values(&[code.as_str_name()]).inc();
            }
            Ok(hand_over(state, user, hop, answered.bytes).await)
        }
        Err(AskError::Call(CallError::Moved(m))) => Err(ApiError::Moved(m)),
        Err(e) => {
            // A token whose session ended long ago is remembered as unknown: a client stuck
            // on it costs no more look-ups (within the retry window it is looked up, so the
            // retry of its last request still finds it).
            if matches!(e, AskError::Call(CallError::SessionOver)) {
                state.sessions.refused(token_hash);
            }
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
