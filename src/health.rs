//! Probes for load balancers and orchestrators: `GET /healthz` (the process serves HTTP) and
//! `GET /readyz` (every database and cache shard answers within its timeout; 503 naming
//! the first that does not). Both are cheap and need no token.

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
    let backend = state.directory.backend();
    let checked = match backend.store().ping().await {
        Ok(()) => backend.cache().ping().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match checked {
        Ok(()) => HttpResponse::Ok().body("ready\n"),
        Err(e) => HttpResponse::ServiceUnavailable().body(format!("not ready: {e}\n")),
    }
}
