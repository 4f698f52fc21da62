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
//! storage again; what the bot swarm's check asks first), the console's views
//! (`GET /admin/search`, `GET /admin/users/{id}/history`, `GET /admin/audit/operators`:
//! `admin/console.rs`) and the live traffic (`GET /admin/live`: `admin/live.rs`).
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

use crate::api::ApiState;
use crate::service::backend::GameBackend;
use crate::service::catalog::{Catalog, Reloaded};
use crate::service::console::Console;
use crate::service::notice::NoticeBoard;
use crate::service::operators::{Acting, Operators};

pub mod actors;
mod audit;
pub mod console;
pub mod diagnose;
pub mod error;
mod jobs;
pub mod live;
mod mail;
pub mod page;
pub mod scrape;
pub mod sessions;

use error::{AdminError, AdminResult};

/// What the admin endpoints need.
pub struct AdminState {
    pub token: String,
    pub catalog: Arc<Catalog>,
    pub notices: Arc<NoticeBoard>,
    /// What operators do to users.
    pub operators: Operators,
    /// What the console reads about players.
    pub console: Console,
    /// The recent traffic, for the live view.
    pub live: Arc<live::Live>,
    /// The live user actors, as lists show them.
    pub directory: Arc<Directory<GameBackend>>,
    /// Every request in flight.
    pub in_flight: Arc<InFlight>,
    /// The scheduled jobs.
    pub jobs: crate::jobs::Jobs,
    /// The page's sessions.
    pub page_sessions: sessions::PageSessions,
    /// Whether the page's cookie is always `Secure` (`admin.secure_cookie`); it is anyway when
    /// the page is served over TLS or a proxy says it was (`X-Forwarded-Proto: https`).
    pub secure_cookie: bool,
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

/// The admin page's cookie: the id of a page session the server keeps
/// ([`sessions::PageSessions`]), never the token.
pub(crate) const PAGE_COOKIE: &str = "summoner_admin";

/// The token of an `Authorization` header, parsed strictly: the `Bearer` scheme (any case),
/// one space, and the token with nothing around it (a stray space or tab is a wrong token, not
/// one trimmed into a right one; whitespace at the very end of a header is not part of its
/// value in HTTP and never reaches here).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_at_checked(7)?;
    let token = (scheme.eq_ignore_ascii_case("bearer ") && !token.is_empty()).then_some(token)?;
    (token.trim() == token && !token.contains([' ', '\t'])).then_some(token)
}

/// Whether `req` may act as an operator: with the bearer token (scripts), or with the page's
/// session cookie (a person signed in at `/admin/`). A change asked with the cookie must come
/// from the page itself ([`same_origin`]). Wrong bearer tokens count against the client's
/// sign-in tries (`rate_limits.admin_sign_in_per_minute`, shared with the page's form); past
/// them every bearer request of that address is refused with 429 until the wait is over, so a
/// guess cannot be confirmed meanwhile.
fn check(req: &HttpRequest, state: &AdminState) -> Result<(), AdminError> {
    if state.token.is_empty() {
        return Err(AdminError::Unauthorized);
    }
    if let Some(header) = req.headers().get(AUTHORIZATION) {
        let limits = req.app_data::<web::Data<ApiState>>().map(|api| &api.rate_limits);
        let client = limits.and_then(|l| l.client_address(req));
        if let Some(limits) = limits {
            limits.admin_bearer_allowed(client).map_err(AdminError::RateLimited)?;
        }
        let token = header.to_str().ok().and_then(bearer);
        if token.is_some_and(|t| same(t.as_bytes(), state.token.as_bytes())) {
            return Ok(());
        }
        if let Some(limits) = limits {
            limits.admin_bearer_wrong(client).map_err(AdminError::RateLimited)?;
        }
        return Err(AdminError::Unauthorized);
    }
    let Some(cookie) = req.cookie(PAGE_COOKIE) else { return Err(AdminError::Unauthorized) };
    if !state.page_sessions.valid(cookie.value(), &state.token) {
        return Err(AdminError::Unauthorized);
    }
    if req.method() == actix_web::http::Method::GET || same_origin(req) {
        Ok(())
    } else {
        Err(AdminError::Unauthorized)
    }
}

/// [`check`], as a yes or no (the page renders its own answer).
pub(crate) fn authorized(req: &HttpRequest, state: &AdminState) -> bool {
    check(req, state).is_ok()
}

/// Whether a form post comes from the page itself: its `Origin` is this host (its `Host`
/// header, not a forwarding header), or, from a browser that sends no `Origin` (or `null`),
/// it says `Sec-Fetch-Site: same-origin`. A post with neither is refused (a login or an action made
/// from another site).
pub(crate) fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    // A browser sends `Origin: null` from a page whose referrer policy is `no-referrer` (a
    // proxy in front may set one): then only `Sec-Fetch-Site` says where the post comes from.
    let origin = headers.get(actix_web::http::header::ORIGIN).filter(|o| o.as_bytes() != b"null");
    let Some(origin) = origin else {
        return headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"same-origin");
    };
    let Some(host) = headers.get(actix_web::http::header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin.to_str().is_ok_and(|o| o == format!("http://{host}") || o == format!("https://{host}"))
}

/// The headers of every answer of the admin listener: no framing, no sniffing, no referrer to
/// other sites,
/// and a policy that runs no script and loads nothing from elsewhere (the page's style is
/// inline; it has no script).
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        // Not `no-referrer`: a browser then sends `Origin: null` with the page's own posts,
        // and `Sec-Fetch-Site` only over TLS or to localhost, so the page would refuse itself
        // over plain HTTP. `same-origin` sends no referrer to any other site either.
        .add(("Referrer-Policy", "same-origin"))
}

/// The header naming the operator of a bearer request that acts on a user (the page's
/// requests act as the name given at sign-in).
pub const OPERATOR_HEADER: &str = "x-summoner-operator";

/// Who acts on a user with `req`, for `reason`, once `req` is authorized: the page
/// session's operator, or a bearer request's [`OPERATOR_HEADER`]. Without either, or without
/// a reason, nothing is done (400).
pub(crate) fn acting(req: &HttpRequest, state: &AdminState, reason: Option<&str>) -> Result<Acting, AdminError> {
    check(req, state)?;
    let operator = if req.headers().contains_key(AUTHORIZATION) {
        let header = req.headers().get(OPERATOR_HEADER).and_then(|v| v.to_str().ok());
        header.map(str::to_owned).ok_or_else(|| {
            AdminError::BadRequest(format!("say who acts: the {OPERATOR_HEADER} header names the operator"))
        })?
    } else {
        let cookie = req.cookie(PAGE_COOKIE).ok_or(AdminError::Unauthorized)?;
        state.page_sessions.operator(cookie.value(), &state.token).ok_or(AdminError::Unauthorized)?
    };
    let reason = reason.ok_or_else(|| AdminError::BadRequest("say why: a reason is required".into()))?;
    Ok(Acting::new(&operator, reason)?)
}

/// The `reason` query of the actions on a user.
#[derive(Debug, serde::Deserialize)]
pub struct ReasonQuery {
    pub reason: Option<String>,
}

/// [`authorized`], as the error the admin endpoints answer.
pub(crate) fn authorize(req: &HttpRequest, state: &AdminState) -> Result<(), AdminError> {
    check(req, state)
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
        .route("/admin/audit/battle", web::get().to(audit::replay_battle))
        .route("/admin/suspects", web::get().to(audit::suspects))
        .route("/admin/actors/passivate", web::post().to(passivate_all))
        .route("/admin/requests", web::get().to(diagnose::list_requests))
        .route("/admin/actors", web::get().to(actors::list))
        .route("/admin/users/{id}", web::get().to(actors::show))
        .route("/admin/users/{id}/passivate", web::post().to(actors::passivate))
        .route("/admin/users/{id}/kick", web::post().to(actors::kick))
        .route("/admin/users/{id}/export", web::get().to(actors::export))
        .route("/admin/users/{id}/history", web::get().to(console::history))
        .route("/admin/search", web::get().to(console::search))
        .route("/admin/audit/operators", web::get().to(console::audit))
        .route("/admin/live", web::get().to(live::live))
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
        .route("/admin/page/search", web::get().to(page::console::search))
        .route("/admin/page/users/{id}/history", web::get().to(page::console::history))
        .route("/admin/page/users/{id}/grant", web::post().to(page::console::grant))
        .route("/admin/page/audit/summon", web::get().to(page::console::summon_replay))
        .route("/admin/page/audit/operators", web::get().to(page::console::operator_actions))
        .route("/admin/page/live", web::get().to(page::console::live))
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
