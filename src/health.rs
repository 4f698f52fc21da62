//! Probes for load balancers and orchestrators.
//!
//! On the public listener: `GET /healthz` (the process serves HTTP) and `GET /readyz`
//! ("ready" or 503 "not ready", without saying what failed), whose answer is reused for
//! [`READY_FOR`] so a flood of probes costs one round of pings, not one per probe.
//! On the admin listener: `GET /readyz` pings every database and cache shard now and names
//! the first that does not answer. None needs a token.

use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use tokio::sync::Mutex;

use crate::api::ApiState;

/// How long a readiness answer on the public listener is reused.
pub const READY_FOR: Duration = Duration::from_secs(1);

/// The last readiness check and when it was made.
#[derive(Default)]
pub struct Readiness {
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Readiness {
    /// The readiness of `state`'s storage and cache, checked again when the last check is
    /// older than [`READY_FOR`]. Concurrent callers wait for one check rather than each
    /// making their own.
    pub async fn cached(&self, state: &ApiState) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, outcome)) = &*last
            && at.elapsed() < READY_FOR
        {
            return outcome.clone();
        }
        let outcome = check(state).await;
        *last = Some((Instant::now(), outcome.clone()));
        outcome
    }
}

/// Whether this node takes requests (not stopping, its lease held), then pings the store
/// (every database) and the cache (every shard) now.
pub async fn check(state: &ApiState) -> Result<(), String> {
    let node = state.routing.node();
    if node.stopping() {
        return Err(format!("node {} is stopping", node.id));
    }
    if !node.serving() {
        return Err(format!("node {}'s lease is not renewed", node.id));
    }
    state.directory.backend().ping().await
}

/// Mounts the public probes.
pub fn public_routes(config: &mut web::ServiceConfig) {
    config.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(public_readyz));
}

/// Mounts the detailed readiness probe of the admin listener.
pub fn admin_routes(config: &mut web::ServiceConfig) {
    config.route("/readyz", web::get().to(detailed_readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok\n")
}

async fn public_readyz(state: web::Data<ApiState>, readiness: web::Data<Readiness>) -> HttpResponse {
    match readiness.cached(&state).await {
        Ok(()) => HttpResponse::Ok().body("ready\n"),
        Err(_) => HttpResponse::ServiceUnavailable().body("not ready\n"),
    }
}

async fn detailed_readyz(state: web::Data<ApiState>) -> HttpResponse {
    match check(&state).await {
        Ok(()) => HttpResponse::Ok().body("ready\n"),
        Err(e) => HttpResponse::ServiceUnavailable().body(format!("not ready: {e}\n")),
    }
}
