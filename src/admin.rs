//! Admin endpoints, behind the bearer token from config (`admin.token`):
//! `GET /admin/gamedata` (the version in force), `POST /admin/gamedata/reload`, and
//! `GET`/`PUT /admin/notice` (the notice Login shows; `PUT` takes the text as the body and
//! `?ttl_secs=` (default a day), an empty body takes it down), and
//! `POST /admin/users/{id}/mail` (an operator's grant: `admin/mail.rs`) and
//! `GET /admin/audit/summon?user=&draw=` (a logged draw replayed: `admin/audit.rs`), and
//! `POST /admin/actors/passivate` (every serving user actor retires, keeping its last answer;
//! one still loading its state reads storage anyway: the next request of each user reads
//! storage again; what the bot swarm's check asks first).
//!
//! Answers are plain text for operators and scripts (grants, audits and passivation answer
//! JSON): 200 done, 401 without the token, 422 when a new game-data version, a notice or a
//! grant is refused (nothing changes), 503 when the cache or storage is unreachable.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};

use summoner_actors::{Directory, InFlight};

use crate::game::backend::GameBackend;
use crate::game::catalog::{Catalog, Reloaded};
use crate::notice::{NoticeBoard, NoticeError};

pub mod actors;
mod audit;
pub mod diagnose;
mod mail;

/// What the admin endpoints need.
pub struct AdminState {
    pub token: String,
    pub catalog: Arc<Catalog>,
    pub notices: Arc<NoticeBoard>,
    /// The user actors (grants tell a live one to read its mailbox again).
    pub directory: Arc<Directory<GameBackend>>,
    /// Every request in flight.
    pub in_flight: Arc<InFlight>,
}

/// The query of `PUT /admin/notice`.
#[derive(Debug, serde::Deserialize)]
struct NoticeQuery {
    ttl_secs: Option<u64>,
}

/// How long a notice stays up unless told.
const NOTICE_TTL: Duration = Duration::from_secs(24 * 3600);

/// Compares without leaking, through timing, how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn authorized(req: &HttpRequest, state: &AdminState) -> bool {
    if state.token.is_empty() {
        return false;
    }
    let presented =
        req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    presented.is_some_and(|token| same(token.trim().as_bytes(), state.token.as_bytes()))
}

pub(crate) fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((WWW_AUTHENTICATE, "Bearer"))
        .body("admin requests need Authorization: Bearer <admin.token>\n")
}

/// Mounts the admin routes.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/admin/gamedata", web::get().to(gamedata))
        .route("/admin/gamedata/reload", web::post().to(reload))
        .route("/admin/notice", web::get().to(get_notice))
        .route("/admin/notice", web::put().to(put_notice))
        .route("/admin/users/{id}/mail", web::post().to(mail::grant))
        .route("/admin/audit/summon", web::get().to(audit::replay_summon))
        .route("/admin/actors/passivate", web::post().to(passivate_all))
        .route("/admin/requests", web::get().to(diagnose::list_requests))
        .route("/admin/actors", web::get().to(actors::list))
        .route("/admin/users/{id}", web::get().to(actors::show))
        .route("/admin/users/{id}/passivate", web::post().to(actors::passivate))
        .route("/admin/users/{id}/kick", web::post().to(actors::kick))
        .route("/admin/shards", web::get().to(diagnose::list_shards));
}

async fn get_notice(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    match state.notices.current().await {
        Ok(text) => HttpResponse::Ok().body(text),
        Err(e) => HttpResponse::ServiceUnavailable().body(format!("the cache is unreachable: {e}\n")),
    }
}

async fn put_notice(
    req: HttpRequest,
    body: web::Bytes,
    query: web::Query<NoticeQuery>,
    state: web::Data<AdminState>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return HttpResponse::UnprocessableEntity().body("refused: the notice must be UTF-8 text\n");
    };
    let ttl = query.ttl_secs.map_or(NOTICE_TTL, Duration::from_secs);
    match state.notices.set(text, ttl).await {
        Ok(()) => HttpResponse::Ok().body(format!("notice set for {} s\n", ttl.as_secs())),
        Err(NoticeError::Cache(e)) => {
            HttpResponse::ServiceUnavailable().body(format!("the cache is unreachable: {e}\n"))
        }
        Err(e) => HttpResponse::UnprocessableEntity().body(format!("refused: {e}\n")),
    }
}

async fn passivate_all(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let passivated = state.directory.passivate_all().await;
    let live = state.directory.live_actors();
    HttpResponse::Ok().json(serde_json::json!({ "passivated": passivated, "live": live }))
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
