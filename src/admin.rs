//! Admin endpoints, behind the bearer token from config (`admin.token`):
//! `GET /admin/gamedata` (the version in force) and `POST /admin/gamedata/reload`.
//!
//! Answers are plain text for operators and scripts: 200 done, 401 without the token,
//! 422 when a new game-data version is refused (the old one keeps serving).

use std::sync::Arc;

use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::game::catalog::{Catalog, Reloaded};

/// What the admin endpoints need.
pub struct AdminState {
    pub token: String,
    pub catalog: Arc<Catalog>,
}

/// Compares without leaking, through timing, how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(req: &HttpRequest, state: &AdminState) -> bool {
    if state.token.is_empty() {
        return false;
    }
    let presented =
        req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    presented.is_some_and(|token| same(token.trim().as_bytes(), state.token.as_bytes()))
}

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((WWW_AUTHENTICATE, "Bearer"))
        .body("admin requests need Authorization: Bearer <admin.token>\n")
}

/// Mounts the admin routes.
pub fn routes(config: &mut web::ServiceConfig) {
    config.route("/admin/gamedata", web::get().to(gamedata)).route("/admin/gamedata/reload", web::post().to(reload));
}

async fn gamedata(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let data = state.catalog.current();
    HttpResponse::Ok().body(format!("version {} content {}\n", data.version, data.content_hash))
}

async fn reload(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let catalog = state.catalog.clone();
    // Reading and checking the files is blocking work; keep it off the HTTP worker.
    match web::block(move || catalog.reload()).await {
        Ok(Ok(Reloaded::Swapped { from, to, content_hash })) => {
            HttpResponse::Ok().body(format!("reloaded: version {from} -> {to} content {content_hash}\n"))
        }
        Ok(Ok(Reloaded::Unchanged { version })) => {
            HttpResponse::Ok().body(format!("unchanged: version {version} is already in force\n"))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "game data reload refused");
            HttpResponse::UnprocessableEntity().body(format!("refused: {e}\n"))
        }
        Err(e) => HttpResponse::InternalServerError().body(format!("reload failed: {e}\n")),
    }
}
