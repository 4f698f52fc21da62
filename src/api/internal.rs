//! The internal listener's word between nodes (beside `POST /internal/api`, in `api/mod.rs`):
//! `POST /internal/delivered` (users whose inboxes got deliveries: their live actors here read
//! them) and `POST /internal/nudge` (rows for a courier this node holds were committed on
//! another node: it reads its table now). Both need the cluster's secret; both are best
//! effort (a courier's sweep makes a lost word good).

use actix_web::{HttpRequest, HttpResponse, web};
use summoner_actors::Refresh;

use crate::api::ApiState;
use crate::api::error::not_a_peer;
use crate::service::routing::SECRET_HEADER;

/// Mounts the internal listener's routes.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/internal/api", web::post().to(super::internal_endpoint))
        .route("/internal/delivered", web::post().to(delivered))
        .route("/internal/nudge", web::post().to(nudge));
}

fn from_peer(req: &HttpRequest, state: &ApiState) -> bool {
    let presented = req.headers().get(SECRET_HEADER).and_then(|v| v.to_str().ok());
    presented.is_some_and(|s| state.routing.is_peer(s))
}

/// Most users one word names.
const MOST_USERS: usize = 10_000;

async fn delivered(req: HttpRequest, body: web::Bytes, state: web::Data<ApiState>) -> HttpResponse {
    if !from_peer(&req, &state) {
        return not_a_peer();
    }
    let text = String::from_utf8_lossy(&body);
    let users: Vec<u64> = text.split(',').filter_map(|u| u.trim().parse().ok()).take(MOST_USERS).collect();
    for user in users {
        // Bounded by the actor's mailbox: a busy actor skips this word, and the courier's
        // sweep tells it again while its deliveries wait.
        if let Some(actor) = state.directory.live(user) {
            let _ = actor.try_send(Refresh::Delivered);
        }
    }
    HttpResponse::NoContent().finish()
}

async fn nudge(req: HttpRequest, body: web::Bytes, state: web::Data<ApiState>) -> HttpResponse {
    if !from_peer(&req, &state) {
        return not_a_peer();
    }
    let name = String::from_utf8_lossy(&body).trim().to_owned();
    if !name.is_empty() && name.len() <= 191 {
        state.routing.nudged(name);
    }
    HttpResponse::NoContent().finish()
}
