//! What a hung or slow server is doing, without a debugger: `GET /admin/requests` (every
//! request in flight, oldest first: its age, user, operation and the stage it waits in)
//! and `GET /admin/shards` (each shard's group-commit queue: depth, the age of its oldest
//! job, batches so far), and the deliveries couriers could not carry: `GET /admin/dead-letters`
//! (each outbox's, oldest first, with why) and `POST /admin/dead-letters/requeue?outbox=game-1`
//! (back in their outbox once the cause is mended). The page (`admin/page.rs`) shows the
//! requests and the shards; the dead letters are JSON only.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use summoner_actors::{InFlight, InFlightView, Stage};

use crate::admin::error::AdminResult;
use crate::admin::{AdminState, authorize};
use crate::storage::queue_gauge::QueueView;

/// One request in flight.
#[derive(Debug, Serialize)]
pub struct RequestView {
    pub id: u64,
    pub user_id: Option<u64>,
    pub op: &'static str,
    pub stage: &'static str,
    /// The game shard (persistence) or Redis shard (redis) it waits on, when known.
    pub shard: Option<i32>,
    pub age_ms: f64,
    /// Past the request timeout.
    pub overdue: bool,
}

impl From<InFlightView> for RequestView {
    fn from(v: InFlightView) -> Self {
        Self {
            id: v.id,
            user_id: v.user,
            op: v.op,
            stage: v.stage.as_str(),
            shard: v.shard,
            age_ms: v.age.as_secs_f64() * 1000.0,
            overdue: v.overdue,
        }
    }
}

/// Every request in flight, and how many wait in each stage.
#[derive(Debug, Serialize)]
pub struct RequestsView {
    pub in_flight: usize,
    pub by_stage: Vec<(&'static str, usize)>,
    pub requests: Vec<RequestView>,
}

/// The requests view, at most `limit` requests (the oldest).
pub fn requests(in_flight: &InFlight, limit: usize) -> RequestsView {
    let views = in_flight.views();
    // Counted from the same reading as the list, so the two agree.
    let by_stage =
        Stage::ALL.iter().map(|stage| (stage.as_str(), views.iter().filter(|v| v.stage == *stage).count())).collect();
    RequestsView { in_flight: views.len(), by_stage, requests: views.into_iter().take(limit).map(Into::into).collect() }
}

/// The query of `GET /admin/requests`.
#[derive(Debug, serde::Deserialize)]
pub struct RequestsQuery {
    limit: Option<usize>,
}

/// Requests listed at most, unless asked.
const REQUESTS_LIMIT: usize = 200;

pub async fn list_requests(
    req: HttpRequest,
    query: web::Query<RequestsQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(requests(&state.in_flight, query.limit.unwrap_or(REQUESTS_LIMIT))))
}

/// The shards' queues.
pub fn shards(state: &AdminState) -> Vec<QueueView> {
    state.operators.shard_queues()
}

pub async fn list_shards(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "shards": shards(&state) })))
}

/// The query of `GET /admin/dead-letters`.
#[derive(Debug, serde::Deserialize)]
pub struct DeadLettersQuery {
    limit: Option<usize>,
}

/// Dead letters listed at most per outbox, unless asked.
const DEAD_LETTERS_LIMIT: usize = 100;

pub async fn list_dead_letters(
    req: HttpRequest,
    query: web::Query<DeadLettersQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    authorize(&req, &state)?;
    let limit = query.limit.unwrap_or(DEAD_LETTERS_LIMIT).clamp(1, 10_000);
    let letters = state.operators.dead_letters(limit).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "dead_letters": letters })))
}

/// The query of `POST /admin/dead-letters/requeue`.
#[derive(Debug, serde::Deserialize)]
pub struct RequeueQuery {
    outbox: String,
}

pub async fn requeue_dead_letters(
    req: HttpRequest,
    query: web::Query<RequeueQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    authorize(&req, &state)?;
    let requeued = state.operators.requeue_dead_letters(&query.outbox).await?;
    Ok(HttpResponse::Ok().body(format!("{requeued} dead letters put back in outbox {}\n", query.outbox)))
}
