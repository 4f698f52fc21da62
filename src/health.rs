//! Probes for load balancers and orchestrators: `GET /healthz` (the process serves HTTP) and
//! `GET /readyz` (every database answers within the storage timeout; 503 naming the first
//! that does not). Both are cheap and need no token.

use actix_web::{HttpResponse, web};

use crate::api::ApiState;

/// Mounts the probes.
pub fn routes(config: &mut web::ServiceConfig) {
    config.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok\n")
}

async fn readyz(state: web::Data<ApiState>) -> HttpResponse {
    match state.directory.backend().store().ping().await {
        Ok(()) => HttpResponse::Ok().body("ready\n"),
        Err(e) => HttpResponse::ServiceUnavailable().body(format!("not ready: {e}\n")),
    }
}
