//! Admin endpoints, behind the bearer token from config (`admin.token`):
//! `GET /admin/gamedata` (the version in force), `POST /admin/gamedata/reload`, and
//! `GET`/`PUT /admin/notice` (the notice Login shows; `PUT` takes the text as the body and
//! `?ttl_secs=` (default a day), an empty body takes it down), and
//! `POST /admin/users/{id}/mail` (an operator's grant: `admin/mail.rs`) and
//! `GET /admin/audit/summon?user=&draw=` (a logged draw replayed: `admin/audit.rs`), and
//! the page for a person at `GET /admin/` (`admin/page.rs`: signed in with the token once,
//! by a form), `GET /admin/jobs` and `POST /admin/jobs/{name}/run` (scheduled jobs: `admin/jobs.rs`),
//! `POST /admin/actors/passivate` (every serving user actor retires, keeping its last answer;
//! one still loading its state reads storage anyway: the next request of each user reads
//! storage again; what the bot swarm's check asks first).
//!
//! Answers are plain text for operators and scripts (grants, audits and passivation answer
//! JSON); the endpoints' failures become statuses in `admin/error.rs` (the page renders
//! those, and answers its sign-in form's 401 and 429 itself). What the endpoints do to
//! users is the service core's (`crate::service::operators`), handed in at wiring time.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};

use summoner_actors::{Directory, InFlight};

use crate::service::backend::GameBackend;
use crate::service::catalog::{Catalog, Reloaded};
use crate::service::notice::NoticeBoard;
use crate::service::operators::Operators;

pub mod actors;
mod audit;
pub mod diagnose;
pub mod error;
mod jobs;
mod mail;
pub mod page;
pub mod scrape;

use error::{AdminError, AdminResult};

/// What the admin endpoints need.
pub struct AdminState {
    pub token: String,
    pub catalog: Arc<Catalog>,
    pub notices: Arc<NoticeBoard>,
    /// What operators do to users.
    pub operators: Operators,
    /// The live user actors, as lists show them.
    pub directory: Arc<Directory<GameBackend>>,
    /// Every request in flight.
    pub in_flight: Arc<InFlight>,
    /// The scheduled jobs.
    pub jobs: crate::jobs::Jobs,
    /// Signs the page's sessions; made at start.
    pub page_key: [u8; 32],
}

/// The query of `PUT /admin/notice`.
#[derive(Debug, serde::Deserialize)]
struct NoticeQuery {
    ttl_secs: Option<u64>,
}

/// How long a notice stays up unless told.
const NOTICE_TTL: Duration = Duration::from_secs(24 * 3600);

/// Compares without leaking through timing (`crate::service::tokens::same_secret`).
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    crate::service::tokens::same_secret(a, b)
}

/// The admin page's cookie. It holds an expiry and a digest of it, the token and a key made
/// at start, never the token itself: it lapses after [`PAGE_SESSION_SECS`], and a restart
/// (or a new token) ends every page session.
pub(crate) const PAGE_COOKIE: &str = "summoner_admin";

/// How long a page session lasts.
pub(crate) const PAGE_SESSION_SECS: u64 = 12 * 3600;

fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn page_digest(key: &[u8; 32], token: &str, expires: u64) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(key);
    digest.update(expires.to_be_bytes());
    digest.update(token.as_bytes());
    hex::encode(digest.finalize())
}

/// A new page session's cookie value for `token`.
pub(crate) fn page_cookie_value(state: &AdminState) -> String {
    let expires = unix_secs() + PAGE_SESSION_SECS;
    format!("{expires}.{}", page_digest(&state.page_key, &state.token, expires))
}

/// Whether `value` is a page session of this process for the current token, not lapsed.
fn page_cookie_valid(state: &AdminState, value: &str) -> bool {
    let Some((expires, digest)) = value.split_once('.') else { return false };
    let Ok(expires) = expires.parse::<u64>() else { return false };
    expires > unix_secs() && same(digest.as_bytes(), page_digest(&state.page_key, &state.token, expires).as_bytes())
}

/// Whether `req` carries the admin token: as a bearer token (scripts), or as the page's
/// cookie (a person signed in at `/admin/`). A change asked with the cookie must come from
/// the page itself: the cookie is `SameSite=Strict`, and a browser's `Origin` must be
/// this host's.
pub(crate) fn authorized(req: &HttpRequest, state: &AdminState) -> bool {
    if state.token.is_empty() {
        return false;
    }
    let presented =
        req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = presented {
        return same(token.trim().as_bytes(), state.token.as_bytes());
    }
    let Some(cookie) = req.cookie(PAGE_COOKIE) else { return false };
    if !page_cookie_valid(state, cookie.value()) {
        return false;
    }
    req.method() == actix_web::http::Method::GET || from_this_host(req)
}

/// The request's `Origin`, when a browser sent one, is this host (its `Host` header, not a
/// forwarding header).
fn from_this_host(req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) else { return true };
    let Some(host) = req.headers().get(actix_web::http::header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin.to_str().is_ok_and(|o| o == format!("http://{host}") || o == format!("https://{host}"))
}

/// [`authorized`], as the error the admin endpoints answer.
pub(crate) fn authorize(req: &HttpRequest, state: &AdminState) -> Result<(), AdminError> {
    if authorized(req, state) { Ok(()) } else { Err(AdminError::Unauthorized) }
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
        .route("/admin/shards", web::get().to(diagnose::list_shards))
        .route("/admin/dead-letters", web::get().to(diagnose::list_dead_letters))
        .route("/admin/dead-letters/requeue", web::post().to(diagnose::requeue_dead_letters))
        .route("/admin/cluster", web::get().to(cluster))
        .route("/admin/jobs", web::get().to(jobs::list))
        .route("/admin/jobs/{name}/run", web::post().to(jobs::run))
        .route("/admin/", web::get().to(page::overview))
        .route(
            "/admin",
            web::get()
                .to(|| async { HttpResponse::PermanentRedirect().insert_header(("Location", "/admin/")).finish() }),
        )
        .route("/admin/login", web::post().to(page::login))
        .route("/admin/logout", web::post().to(page::logout))
        .route("/admin/page/user", web::get().to(page::find))
        .route("/admin/page/users/{id}", web::get().to(page::user))
        .route("/admin/page/users/{id}/kick", web::post().to(page::kick))
        .route("/admin/page/users/{id}/passivate", web::post().to(page::passivate))
        .route("/admin/page/reload", web::post().to(page::reload))
        .route("/admin/page/notice", web::post().to(page::notice))
        .route("/admin/page/jobs/{name}/run", web::post().to(page::run_job));
}

async fn get_notice(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    let text =
        state.notices.current().await.map_err(|e| AdminError::Unavailable(format!("the cache is unreachable: {e}")))?;
    Ok(HttpResponse::Ok().body(text))
}

async fn put_notice(
    req: HttpRequest,
    body: web::Bytes,
    query: web::Query<NoticeQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    authorize(&req, &state)?;
    let text = std::str::from_utf8(&body).map_err(|_| AdminError::Refused("the notice must be UTF-8 text".into()))?;
    let said = set_notice(&state, text, query.ttl_secs).await?;
    Ok(HttpResponse::Ok().body(format!("{said}\n")))
}

/// Puts up `text` as the notice for `ttl_secs` (default a day; empty text takes it down).
pub(crate) async fn set_notice(state: &AdminState, text: &str, ttl_secs: Option<u64>) -> Result<String, AdminError> {
    let ttl = ttl_secs.map_or(NOTICE_TTL, Duration::from_secs);
    state.notices.set(text, ttl).await?;
    Ok(if text.is_empty() { "notice taken down".into() } else { format!("notice set for {} s", ttl.as_secs()) })
}

async fn passivate_all(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    let passivated = state.directory.passivate_all().await;
    let live = state.directory.live_actors();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "passivated": passivated, "live": live })))
}

/// `GET /admin/cluster`: every node (its lease, live actors, whether it is stopping), every
/// work lease and its holder, from any node.
async fn cluster(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(state.operators.cluster().await?))
}

async fn gamedata(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    let data = state.catalog.current();
    Ok(HttpResponse::Ok().body(format!("version {} content {}\n", data.version, data.content_hash)))
}

/// Reloads the game data from its folder; the operator's answer, or why not.
pub(crate) async fn reload_gamedata(state: &AdminState) -> Result<String, AdminError> {
    let catalog = state.catalog.clone();
    // Reading and checking the files is blocking work; keep it off the HTTP worker.
    match web::block(move || catalog.reload()).await.map_err(|e| AdminError::Internal(format!("reload failed: {e}")))? {
        Ok(Reloaded::Swapped { from, to, content_hash }) => {
            Ok(format!("reloaded: version {from} -> {to} content {content_hash}"))
        }
        Ok(Reloaded::Unchanged { version }) => Ok(format!("unchanged: version {version} is already in force")),
        Err(e) => Err(e.into()),
    }
}

async fn reload(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    let said = reload_gamedata(&state).await?;
    Ok(HttpResponse::Ok().body(format!("{said}\n")))
}
