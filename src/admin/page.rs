//! The admin page for a person: `GET /admin/` (a player search, live actors with their
//! nicknames, requests in flight, shards with their batches, scheduled jobs, the game-data
//! version with a reload button, the notice) and `GET /admin/page/users/{id}` (one user's
//! detail, with passivate and kick buttons taking a reason); the console's pages (search,
//! history, replays, the operator audit log, the live view) are `page/console.rs`.
//! Server-rendered HTML with its style inline: no script, no external asset, no build step.
//!
//! It shows the same views the JSON endpoints answer (`admin/actors.rs`,
//! `admin/diagnose.rs`, `jobs`) and acts through the same functions. Signing in
//! (`POST /admin/login`, from this page only) checks the admin token once and sets a
//! `SameSite=Strict`, `HttpOnly` cookie (`Secure` over TLS) naming a session the server keeps,
//! with the name the person gave (their actions are recorded under it), for 12 hours (`admin/sessions.rs`; never the token); signing out ends it on the server.
//! Each action is a form that posts back and is redirected to a page saying what happened.
//! Every answer carries a Content-Security-Policy that runs no script (`admin.rs`).

use std::fmt::Write as _;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::api::ApiState;
use crate::api::error::retry_after;
use crate::service::operators::OperatorError;

use super::actors::{self, ActorsQuery, SortBy, UserView};
use super::error::AdminError;
use super::sessions::PAGE_SESSION_SECS;
use super::{AdminState, PAGE_COOKIE, authorized, diagnose, same, same_origin};

mod charts;
pub mod console;

/// Actors and requests the overview lists at most.
const LISTED: usize = 200;

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table row of `cells` (each already HTML).
fn row(cells: &[String]) -> String {
    let cells: String = cells.iter().map(|cell| format!("<td>{cell}</td>")).collect();
    format!("<tr>{cells}</tr>")
}

/// A whole page around `body`.
fn page(title: &str, body: &str) -> String {
    page_with(title, "", body)
}

/// A whole page around `body` that the browser loads again every `secs` seconds.
fn page_refreshing(title: &str, body: &str, secs: u64) -> String {
    page_with(title, &format!("<meta http-equiv=\"refresh\" content=\"{secs}\">"), body)
}

fn page_with(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{head}<title>{title} · Summoner admin</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>\
         body{{font:14px system-ui,sans-serif;margin:1.5em;color:#222}}h1{{font-size:1.4em}}h2{{font-size:1.1em;margin-top:1.6em}}\
         table{{border-collapse:collapse;margin:.4em 0}}td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left}}\
         th{{background:#f2f2f2}}.said{{background:#eef6ee;border:1px solid #9c9;padding:.4em .8em}}\
         .warn{{color:#a00;font-weight:bold}}form{{display:inline}}nav a{{margin-right:1em}}\
         </style></head><body><nav><a href=\"/admin/\">Overview</a><a href=\"/admin/page/live\">Live</a>\
         <a href=\"/admin/page/audit/operators\">Operator actions</a>\
         <form method=\"post\" action=\"/admin/logout\"><button>Sign out</button></form></nav>\n\
         <h1>{title}</h1>\n{body}</body></html>\n",
        title = esc(title),
    )
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// Sends the browser to `to` after a form (303: the next request is a GET).
fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to.to_owned())).finish()
}

/// `path?said=...`: a page that says what the action did.
fn saying(path: &str, said: &str) -> String {
    let said = percent_encoding::utf8_percent_encode(said, crate::urls::NOT_UNRESERVED);
    format!("{path}?said={said}")
}

fn sign_in_page(status: StatusCode, problem: Option<&str>) -> HttpResponse {
    let problem = problem.map(|p| format!("<p class=\"warn\">{}</p>", esc(p))).unwrap_or_default();
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in · Summoner admin</title></head>\
         <body style=\"font:14px system-ui,sans-serif;margin:2em\"><h1>Summoner admin</h1>{problem}\
         <form method=\"post\" action=\"/admin/login\"><label>Your name (recorded with your actions) \
         <input name=\"name\" autocomplete=\"username\" maxlength=\"64\" autofocus></label> \
         <label>Admin token <input type=\"password\" name=\"token\" autocomplete=\"current-password\"></label> \
         <button id=\"sign-in\">Sign in</button></form></body></html>\n"
    );
    html(status, body)
}

/// A page asked for without signing in: the sign-in form.
fn signed_out() -> HttpResponse {
    sign_in_page(StatusCode::UNAUTHORIZED, None)
}

/// The `said` query every page takes.
#[derive(Debug, Deserialize)]
pub struct Said {
    said: Option<String>,
}

fn said_box(said: &Said) -> String {
    said.said.as_deref().map(|s| format!("<p class=\"said\" id=\"said\">{}</p>\n", esc(s))).unwrap_or_default()
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v:.1} ms"))
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(
        |_| ms.to_string(),
        |t| t.round(jiff::Unit::Second).map_or_else(|_| t.to_string(), |t| t.to_string()),
    )
}

/// `GET /admin/`: the overview, or the sign-in form.
pub async fn overview(req: HttpRequest, said: web::Query<Said>, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return sign_in_page(StatusCode::UNAUTHORIZED, None);
    }
    let mut body = said_box(&said);
    body.push_str(console::SEARCH_FORM);
    let data = state.catalog.current();
    let _ = write!(
        body,
        "<h2>Game data</h2><p>Version <b id=\"gamedata-version\">{}</b>, content {}. \
         <form method=\"post\" action=\"/admin/page/reload\"><button id=\"reload\">Reload game data</button></form></p>",
        data.version,
        esc(&data.content_hash.to_string()),
    );
    cluster_section(&mut body, &state).await;
    let notice = match state.notices.current().await {
        Ok(text) if text.is_empty() => "<i>none</i>".to_owned(),
        Ok(text) => format!("<q id=\"notice\">{}</q>", esc(&text)),
        Err(e) => format!("<span class=\"warn\">the cache is unreachable: {}</span>", esc(&e.to_string())),
    };
    let _ = write!(
        body,
        "<h2>Notice</h2><p>Shown at login: {notice}</p>\
         <form method=\"post\" action=\"/admin/page/notice\"><input name=\"text\" size=\"60\" placeholder=\"empty takes it down\"> \
         for <input name=\"ttl_secs\" size=\"7\" value=\"86400\"> s <button id=\"set-notice\">Set notice</button></form>"
    );

    let requests = diagnose::requests(&state.in_flight, LISTED);
    let stages: Vec<String> = requests.by_stage.iter().map(|(stage, n)| format!("{} {n}", esc(stage))).collect();
    let _ = write!(
        body,
        "<h2>Requests in flight: {}</h2><p>By stage: {}</p><table id=\"requests\"><tr><th>id</th><th>user</th><th>operation</th>\
         <th>waits in</th><th>shard</th><th>age</th></tr>",
        requests.in_flight,
        if stages.is_empty() { "–".to_owned() } else { stages.join(", ") },
    );
    for r in &requests.requests {
        let user = r.user_id.map_or_else(|| "–".to_owned(), |u| format!("<a href=\"/admin/page/users/{u}\">{u}</a>"));
        let late = if r.overdue { " <span class=\"warn\">past its deadline</span>" } else { "" };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{user}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0} ms{late}</td></tr>",
            r.id,
            esc(r.op),
            esc(r.stage),
            r.shard.map_or_else(String::new, |s| s.to_string()),
            r.age_ms,
        );
    }
    body.push_str("</table>");

    let _ = write!(
        body,
        "<h2>Shards</h2><table id=\"shards\"><tr><th>shard</th><th>queued</th><th>in batch</th><th>oldest job</th>\
         <th>batches</th><th>jobs</th><th>last batch</th><th>last commit</th></tr>"
    );
    for q in diagnose::shards(&state) {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&q.shard),
            q.queued,
            q.in_batch,
            ms(q.oldest_job_ms),
            q.batches,
            q.jobs,
            q.last_batch_size,
            ms(Some(q.last_commit_ms)),
        );
    }
    body.push_str("</table>");

    body.push_str(
        "<h2>Scheduled jobs</h2><table id=\"jobs\"><tr><th>job</th><th>every</th><th>runs</th><th>last run</th><th></th></tr>",
    );
    for job in state.jobs.views().await {
        let last = job.last.as_ref().map_or_else(
            || "–".to_owned(),
            |r| {
                let error = r.error.as_deref().map(|e| format!(": {}", esc(e))).unwrap_or_default();
                format!(
                    "{} at {}, {} {} in {} ms{error}",
                    esc(&format!("{:?}", r.outcome)),
                    time(r.started_at_ms),
                    r.count,
                    esc(r.unit),
                    r.took_ms
                )
            },
        );
        let every = job.every_secs.map_or_else(|| "when asked".to_owned(), |s| format!("{s} s"));
        let running = job.running_ms.map(|ms| format!(" (running for {ms} ms)")).unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td>{name}</td><td>{every}</td><td>{}</td><td>{last}{running}</td><td>\
             <form method=\"post\" action=\"/admin/page/jobs/{name}/run\"><button>Run now</button></form></td></tr>",
            job.runs,
            name = esc(job.name),
        );
    }
    body.push_str("</table>");

    suspects_section(&mut body, &state).await;

    let query = ActorsQuery { sort: SortBy::LastActive, shard: None, offset: 0, limit: Some(LISTED) };
    match actors::named_actors(&state, &query).await {
        Ok(view) => {
            let unnamed =
                view.unnamed.as_deref().map(|u| format!("<p class=\"warn\">{}</p>", esc(u))).unwrap_or_default();
            let _ = write!(
                body,
                "<h2>Live actors: {}</h2>{unnamed}<table id=\"actors\"><tr><th>user</th><th>nickname</th><th>shard</th>\
                 <th>mailbox</th><th>idle</th><th>live for</th></tr>",
                view.live
            );
            for a in &view.actors {
                let name = a.nickname.as_deref().map(esc).unwrap_or_default();
                let _ = write!(
                    body,
                    "<tr><td><a href=\"/admin/page/users/{u}\">{u}</a></td><td>{name}</td><td>{}</td><td>{}</td><td>{} s</td><td>{} s</td></tr>",
                    a.shard.map_or_else(|| "–".to_owned(), |s| s.to_string()),
                    a.mailbox_depth,
                    a.idle_ms / 1000,
                    a.age_ms / 1000,
                    u = a.user_id,
                );
            }
            body.push_str("</table>");
        }
        Err(e) => {
            let _ = write!(body, "<p class=\"warn\">{}</p>", esc(&e));
        }
    }
    html(StatusCode::OK, page("Overview", &body))
}

/// The cluster: the nodes (with the one answering marked), their leases and live actors,
/// and which node runs each piece of cluster-wide work.
async fn cluster_section(body: &mut String, state: &AdminState) {
    let view = match state.operators.cluster().await {
        Ok(view) => view,
        Err(e) => {
            let _ = write!(body, "<h2>Cluster</h2><p class=\"warn\">{}</p>", esc(&e.to_string()));
            return;
        }
    };
    let this = if view.draining {
        "draining"
    } else if view.serving {
        "serving"
    } else {
        "not serving (its lease is being renewed)"
    };
    let _ = write!(
        body,
        "<h2>Cluster</h2><p>This is node <b id=\"this-node\">{}</b>, {this}.</p>\
         <table id=\"nodes\"><tr><th>node</th><th>public</th><th>internal</th><th>started</th><th>last heartbeat</th>\
         <th>lease</th><th>live actors</th></tr>",
        view.this_node
    );
    for n in &view.nodes {
        let lease = if n.lease_until_ms < view.now_ms {
            "<span class=\"warn\">lapsed</span>".to_owned()
        } else if n.draining {
            format!("draining, until {}", time(n.lease_until_ms))
        } else {
            format!("until {}", time(n.lease_until_ms))
        };
        let _ = write!(
            body,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{lease}</td><td>{}</td></tr>",
            n.node_id,
            if n.node_id == view.this_node { " (this)" } else { "" },
            esc(&n.public_addr),
            esc(&n.internal_addr),
            time(n.started_at_ms),
            time(n.heartbeat_at_ms),
            n.live_actors,
        );
    }
    body.push_str("</table><table id=\"work\"><tr><th>work</th><th>held by</th><th>since</th><th>until</th></tr>");
    for l in &view.leases {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>node {}</td><td>{}</td><td>{}</td></tr>",
            esc(&l.name),
            l.node_id,
            time(l.acquired_at_ms),
            time(l.lease_until_ms),
        );
    }
    body.push_str("</table>");
}

fn user_page(view: &UserView, said: &Said) -> String {
    let mut body = said_box(said);
    let user = view.user_id;
    let how = if view.busy {
        "live, busy with a request (its state is not shown)"
    } else if view.live {
        "live"
    } else {
        "retired: a read-only copy from storage"
    };
    let _ = write!(body, "<p id=\"how\">{how}</p><table id=\"actor\">");
    let opt = |v: Option<String>| v.unwrap_or_else(|| "–".to_owned());
    let rows = [
        ("game shard", opt(view.shard.map(|s| s.to_string()))),
        (
            "owner",
            if view.owner_node < 0 {
                "none yet".to_owned()
            } else {
                format!("node {} (epoch {})", view.owner_node, view.owner_epoch)
            },
        ),
        ("mailbox depth", view.mailbox_depth.to_string()),
        ("activated", opt(view.activated_at_ms.map(time))),
        ("last active", opt(view.last_active_ms.map(time))),
        (
            "session",
            opt(view.session.as_ref().map(|s| match s.ended_at_ms {
                Some(at) => format!("{} ended at {}", s.id, time(at)),
                None => format!("{} until {}", s.id, time(s.expires_at_ms)),
            })),
        ),
        ("last seq", opt(view.last_seq.map(|s| s.to_string()))),
    ];
    for (name, value) in rows {
        let _ = write!(body, "<tr><th>{name}</th><td>{}</td></tr>", esc(&value));
    }
    body.push_str("</table>");
    let _ = write!(
        body,
        "<p><a id=\"history\" href=\"/admin/page/users/{user}/history\">History (action log)</a> · \
         <a href=\"/admin/page/audit/operators?user={user}\">Operator actions</a> · \
         <a href=\"/admin/users/{user}/export\">Data export (JSON)</a></p>\
         <p><form method=\"post\" action=\"/admin/page/users/{user}/passivate\"><input name=\"reason\" size=\"30\" \
         placeholder=\"why (recorded)\" required> <button id=\"passivate\">Passivate</button></form> \
         <form method=\"post\" action=\"/admin/page/users/{user}/kick\"><input id=\"kick-reason\" name=\"reason\" size=\"30\" \
         placeholder=\"why (recorded)\" required> <button id=\"kick\">Kick (end the session)</button></form></p>"
    );
    if !view.in_flight.is_empty() {
        body.push_str("<h2>In flight</h2><table><tr><th>operation</th><th>waits in</th><th>age</th></tr>");
        for r in &view.in_flight {
            let _ = write!(body, "<tr><td>{}</td><td>{}</td><td>{:.0} ms</td></tr>", esc(r.op), esc(r.stage), r.age_ms);
        }
        body.push_str("</table>");
    }
    let Some(state) = &view.state else { return body };
    let p = &state.profile;
    let _ = write!(
        body,
        "<h2>Profile</h2><table id=\"profile\"><tr><th>nickname</th><td>{}</td></tr><tr><th>level</th><td>{}</td></tr>\
         <tr><th>exp</th><td>{}</td></tr><tr><th>gold</th><td id=\"gold\">{}</td></tr><tr><th>gems</th><td id=\"gems\">{}</td></tr>\
         <tr><th>friend points</th><td>{}</td></tr><tr><th>stamina</th><td>{}</td></tr><tr><th>created</th><td>{}</td></tr></table>",
        esc(&p.nickname),
        p.level,
        p.exp,
        p.gold,
        p.gems,
        p.friend_points,
        p.stamina,
        time(p.created_at_ms),
    );
    let _ = write!(
        body,
        "<h2>Monsters: {}</h2><table id=\"monsters\"><tr><th>id</th><th>template</th><th>level</th><th>grade</th><th>locked</th></tr>",
        state.monsters
    );
    for m in &state.monsters_shown {
        let locked = if m.locked { "yes" } else { "" };
        body.push_str(&row(&[
            m.id.to_string(),
            esc(&m.template),
            m.level.to_string(),
            m.grade.to_string(),
            locked.into(),
        ]));
    }
    body.push_str("</table><h2>Teams</h2><table><tr><th>slot</th><th>monsters</th></tr>");
    for (slot, members) in &state.teams {
        let members: Vec<String> = members.iter().map(u64::to_string).collect();
        let _ = write!(body, "<tr><td>{slot}</td><td>{}</td></tr>", members.join(", "));
    }
    body.push_str("</table><h2>Quests</h2><table><tr><th>quest</th><th>progress</th><th>state</th></tr>");
    for q in &state.quests {
        let done = if q.claimed {
            "claimed"
        } else if q.completed {
            "completed"
        } else {
            ""
        };
        let _ = write!(body, "<tr><td>{}</td><td>{}</td><td>{done}</td></tr>", esc(&q.id), q.progress);
    }
    body.push_str(
        "</table><h2>Mail</h2><table><tr><th>id</th><th>kind</th><th>title</th><th>state</th><th>expires</th></tr>",
    );
    for m in &state.mail {
        let claimed = if m.claimed { "claimed" } else { "" };
        body.push_str(&row(&[m.id.to_string(), esc(&m.kind), esc(&m.title), claimed.into(), time(m.expires_at_ms)]));
    }
    let _ = write!(
        body,
        "</table><p>Open battles {}, stream position <span id=\"stream-position\">{}</span>, log shard {}.</p>",
        state.open_battles, state.stream_position, state.log_shard,
    );
    body
}

/// The user a page's path names, or the page saying it names none.
fn path_user(path: &str) -> Result<u64, Box<HttpResponse>> {
    actors::parse_user_id(path).ok_or_else(|| Box::new(not_found(&format!("{path:?} is not a user id"))))
}

/// An error's page: its status (`admin/error.rs`) and its words.
fn failed(e: &AdminError) -> HttpResponse {
    use actix_web::ResponseError;
    let title = if e.status_code() == StatusCode::NOT_FOUND { "Not found" } else { "Unavailable" };
    html(e.status_code(), page(title, &format!("<p class=\"warn\">{}</p>", esc(&e.to_string()))))
}

fn not_found(what: &str) -> HttpResponse {
    html(StatusCode::NOT_FOUND, page("Not found", &format!("<p class=\"warn\">{}</p>", esc(what))))
}

/// `GET /admin/page/users/{id}`.
pub async fn user(
    req: HttpRequest,
    path: web::Path<String>,
    said: web::Query<Said>,
    state: web::Data<AdminState>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return sign_in_page(StatusCode::UNAUTHORIZED, None);
    }
    let user = match path_user(&path) {
        Ok(user) => user,
        Err(page) => return *page,
    };
    match actors::user_view(&state, user).await {
        Ok(view) => {
            let mut body = user_page(&view, &said);
            console::render_around(&mut body, &view);
            html(StatusCode::OK, page(&format!("User {user}"), &body))
        }
        Err(e) => failed(&e),
    }
}

/// The query of `GET /admin/page/user` (the find box).
#[derive(Debug, Deserialize)]
pub struct Find {
    id: String,
}

/// `GET /admin/page/user?id=`: the user's page.
pub async fn find(req: HttpRequest, query: web::Query<Find>, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return sign_in_page(StatusCode::UNAUTHORIZED, None);
    }
    match actors::parse_user_id(&query.id) {
        Some(user) => see_other(&format!("/admin/page/users/{user}")),
        None => not_found(&format!("{:?} is not a user id", query.id)),
    }
}

/// An action's form was posted without the cookie (or from another site).
fn refused() -> HttpResponse {
    sign_in_page(StatusCode::UNAUTHORIZED, Some("sign in first"))
}

/// The form of an action on a user: why it is taken.
#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// A posted form, read once the caller is checked: a post that is not from the page is
/// refused as such, whatever its body.
fn read_form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_urlencoded::from_bytes(body).map_err(|e| format!("the form does not read: {e}"))
}

/// A form of an action on a user, which says why it is taken.
trait Reasoned: serde::de::DeserializeOwned {
    fn reason(&self) -> &str;
}

impl Reasoned for ReasonForm {
    fn reason(&self) -> &str {
        &self.reason
    }
}

/// The start of an action on a user from the page: the caller checked, the user of `path`,
/// the form read, and who acts for what reason. Err: the answer instead (the sign-in form,
/// or back to the user's page saying "`not_done`" and why).
fn user_action<F: Reasoned>(
    req: &HttpRequest,
    path: &str,
    body: &[u8],
    state: &AdminState,
    not_done: &str,
) -> Result<(u64, F, crate::service::operators::Acting), Box<HttpResponse>> {
    if !authorized(req, state) {
        return Err(Box::new(refused()));
    }
    let user = path_user(path)?;
    let back = |e: &dyn std::fmt::Display| {
        Box::new(see_other(&saying(&format!("/admin/page/users/{user}"), &format!("{not_done}: {e}"))))
    };
    let form: F = read_form(body).map_err(|e| back(&e))?;
    let acting = super::acting(req, state, Some(form.reason())).map_err(|e| back(&e))?;
    Ok((user, form, acting))
}

/// `POST /admin/page/users/{id}/kick`.
pub async fn kick(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> HttpResponse {
    let (user, _, acting) = match user_action::<ReasonForm>(&req, &path, &body, &state, "not kicked") {
        Ok(started) => started,
        Err(answer) => return *answer,
    };
    let back = format!("/admin/page/users/{user}");
    match state.operators.kick(&acting, user).await {
        Ok(true) => see_other(&saying(
            &back,
            "kicked: the session ended; the next request with its token answers 401 (a retry of its last change gets its stored answer)",
        )),
        Ok(false) => see_other(&saying(&back, "no session was open")),
        Err(e @ OperatorError::NoSuchUser(_)) => failed(&AdminError::from(e)),
        // Not a refusal: it may have been done.
        Err(e @ OperatorError::Unconfirmed(_)) => see_other(&saying(&back, &e.to_string())),
        Err(e) => see_other(&saying(&back, &format!("not kicked: {e}"))),
    }
}

/// `POST /admin/page/users/{id}/passivate`.
pub async fn passivate(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> HttpResponse {
    let (user, _, acting) = match user_action::<ReasonForm>(&req, &path, &body, &state, "not passivated") {
        Ok(started) => started,
        Err(answer) => return *answer,
    };
    let said = match state.operators.passivate(&acting, user).await {
        Ok(true) => "passivated".to_owned(),
        Ok(false) => "no live actor to passivate".to_owned(),
        Err(e) => format!("not passivated: {e}"),
    };
    see_other(&saying(&format!("/admin/page/users/{user}"), &said))
}

/// `POST /admin/page/reload`.
pub async fn reload(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return refused();
    }
    let said = super::reload_gamedata(&state).await.unwrap_or_else(|why| why.to_string());
    see_other(&saying("/admin/", &said))
}

/// The notice form.
#[derive(Debug, Deserialize)]
pub struct NoticeForm {
    text: String,
    ttl_secs: Option<u64>,
}

/// `POST /admin/page/notice`.
pub async fn notice(req: HttpRequest, form: web::Form<NoticeForm>, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return refused();
    }
    let said = super::set_notice(&state, &form.text, form.ttl_secs).await.unwrap_or_else(|why| why.to_string());
    see_other(&saying("/admin/", &said))
}

/// `POST /admin/page/jobs/{name}/run`.
pub async fn run_job(req: HttpRequest, name: web::Path<String>, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return refused();
    }
    let said = match state.jobs.run(&name).await {
        Ok(run) => format!("{}: {:?}, {} {}", run.job, run.outcome, run.count, run.unit),
        Err(e) => AdminError::from(e).to_string(),
    };
    see_other(&saying("/admin/", &said))
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    token: String,
    #[serde(default)]
    name: String,
}

/// `POST /admin/login`: the token checked once; the cookie set. At most
/// `rate_limits.admin_sign_in_per_minute` tries per client address.
pub async fn login(
    req: HttpRequest,
    form: web::Form<SignIn>,
    state: web::Data<AdminState>,
    api: web::Data<ApiState>,
) -> HttpResponse {
    if state.token.is_empty() {
        return sign_in_page(StatusCode::UNAUTHORIZED, Some("admin.token is not set: the admin side is closed"));
    }
    // A sign-in posted from another site would sign this browser in to the attacker's choice.
    if !same_origin(&req) {
        return sign_in_page(StatusCode::FORBIDDEN, Some("sign in from this page"));
    }
    let limits = &api.rate_limits;
    if let Err(wait) = limits.admin_sign_in(limits.client_address(&req)) {
        let mut answer = sign_in_page(StatusCode::TOO_MANY_REQUESTS, Some("too many tries; wait a minute"));
        answer.headers_mut().insert(actix_web::http::header::RETRY_AFTER, retry_after(wait).into());
        return answer;
    }
    if !same(form.token.trim().as_bytes(), state.token.as_bytes()) {
        return sign_in_page(StatusCode::UNAUTHORIZED, Some("wrong token"));
    }
    let operator = match crate::service::operators::operator_name(&form.name) {
        Ok(name) => name,
        Err(e) => return sign_in_page(StatusCode::BAD_REQUEST, Some(&format!("say who you are: {e}"))),
    };
    let session = match state.page_sessions.open(&state.token, &operator) {
        Ok(session) => session,
        Err(e) => return sign_in_page(StatusCode::INTERNAL_SERVER_ERROR, Some(&format!("no session made: {e}"))),
    };
    let cookie = page_cookie(&req, &state, session)
        .max_age(actix_web::cookie::time::Duration::seconds(PAGE_SESSION_SECS as i64))
        .finish();
    HttpResponse::SeeOther().cookie(cookie).insert_header((LOCATION, "/admin/")).finish()
}

/// The page's cookie holding `value`: `HttpOnly`, `SameSite=Strict`, for `/admin` only, and
/// `Secure` when the page is served over TLS (or a proxy says it was) or configured so.
fn page_cookie<'c>(req: &HttpRequest, state: &AdminState, value: String) -> actix_web::cookie::CookieBuilder<'c> {
    let secure = state.secure_cookie || req.connection_info().scheme() == "https";
    Cookie::build(PAGE_COOKIE, value).path("/admin").http_only(true).same_site(SameSite::Strict).secure(secure)
}

/// `POST /admin/logout`: the session ended on the server (a copy of the cookie is worth
/// nothing after) and the cookie removed.
pub async fn logout(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if let Some(cookie) = req.cookie(PAGE_COOKIE) {
        state.page_sessions.close(cookie.value());
    }
    let mut cookie = page_cookie(&req, &state, String::new()).finish();
    cookie.make_removal();
    HttpResponse::SeeOther().cookie(cookie).insert_header((LOCATION, "/admin/")).finish()
}

/// The last complete game day's highest bot scores (`GET /admin/suspects`), with the
/// features behind them: for a person to look at; nothing is done to a user from them.
async fn suspects_section(body: &mut String, state: &AdminState) {
    let listed = match state.operators.suspects(None, LISTED).await {
        Ok(listed) => listed,
        Err(e) => {
            let _ = write!(body, "<h2>Bot suspects</h2><p class=\"warn\">storage: {}</p>", esc(&e.to_string()));
            return;
        }
    };
    let _ = write!(
        body,
        "<h2>Bot suspects of the game day from {}</h2><p>Scored by the <code>bot_scores</code> job; nothing is done \
         to a player from a score.</p><table id=\"suspects\"><tr><th>user</th><th>score</th><th>regularity</th>\
         <th>self-similarity</th><th>social closure</th><th>partners</th></tr>",
        time(listed.day_ms)
    );
    let number = |s: &crate::service::operators::Suspect, name: &str| {
        s.features.get(name).and_then(serde_json::Value::as_f64).map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
    };
    for s in &listed.suspects {
        let partners = s.features.get("partners").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let _ = write!(
            body,
            "<tr><td><a href=\"/admin/page/users/{u}\">{u}</a></td><td>{:.3}</td><td>{}</td><td>{}</td><td>{}</td><td>{partners}</td></tr>",
            s.score,
            number(s, "regularity"),
            number(s, "self_similarity"),
            number(s, "social_closure"),
            u = s.user_id,
        );
    }
    if listed.suspects.is_empty() {
        body.push_str("<tr><td colspan=\"6\"><i>none scored</i></td></tr>");
    }
    body.push_str("</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_said_is_encoded() {
        assert_eq!(esc("<b a=\"x\">'&'</b>"), "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
        assert_eq!(saying("/admin/", "a b&c"), "/admin/?said=a%20b%26c");
        assert_eq!(actors::parse_user_id(" 42 "), Some(42));
        assert_eq!((actors::parse_user_id("0"), actors::parse_user_id("x")), (None, None));
    }
}
