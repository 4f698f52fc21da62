//! The console's pages: the search form and its results (`/admin/page/search`), a user's
//! history (`/admin/page/users/{id}/history`) with each summon's replay
//! (`/admin/page/audit/summon`), the operator audit log (`/admin/page/audit/operators`), the
//! live view (`/admin/page/live`, charts redrawn at each refresh), and on the user page the
//! people and rows around the user and the grant form (`POST /admin/page/users/{id}/grant`).
//!
//! Each renders the view its JSON endpoint answers (`admin/console.rs`, `admin/live.rs`).

use std::collections::HashMap;
use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{
    UserView, authorized, esc, failed, html, page, page_refreshing, path_user, saying, see_other, signed_out, time,
};
use crate::admin::AdminState;
use crate::admin::console::{AuditQuery, HistoryParams, SearchQuery, operator_actions as audit_page, user_history};
use crate::admin::error::AdminError;
use crate::game::grants::{Grant, GrantReward};
use crate::service::console::ClanSeat;
use crate::service::operators::OperatorAction;

/// The search form the overview shows.
pub const SEARCH_FORM: &str = "<h2>Find a player</h2><form method=\"get\" action=\"/admin/page/search\">\
    <select name=\"by\" id=\"search-by\"><option value=\"nickname\">nickname starts with</option>\
    <option value=\"id\">user id</option><option value=\"device\">device id</option>\
    <option value=\"subject\">platform subject</option><option value=\"clan\">clan name starts with</option></select> \
    <input name=\"q\" id=\"search-q\" size=\"30\" required> <input name=\"provider\" size=\"10\" placeholder=\"provider (subject)\"> \
    <button id=\"search\">Search</button></form>";

/// The search page's query.
#[derive(Debug, Deserialize)]
pub struct SearchForm {
    by: String,
    q: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    after: u64,
}

impl SearchForm {
    fn query(&self) -> Result<SearchQuery, AdminError> {
        let q = Some(self.q.trim().to_owned());
        let mut query = SearchQuery { after: self.after, ..SearchQuery::default() };
        match self.by.as_str() {
            "id" => query.id = q,
            "nickname" => query.nickname = q,
            "device" => query.device = q,
            "subject" => {
                query.subject = q;
                query.provider = Some(self.provider.trim().to_owned()).filter(|p| !p.is_empty());
            }
            "clan" => query.clan = q,
            other => return Err(AdminError::BadRequest(format!("no search by {other:?}"))),
        }
        Ok(query)
    }
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, crate::urls::NOT_UNRESERVED).to_string()
}

fn user_link(user: u64) -> String {
    format!("<a href=\"/admin/page/users/{user}\">{user}</a>")
}

fn clan_cell(clan: Option<&ClanSeat>) -> String {
    clan.map_or_else(String::new, |c| format!("{} ({}, #{})", esc(&c.name), c.role, c.clan_id))
}

/// `GET /admin/page/search?by=&q=`: the players found.
pub async fn search(req: HttpRequest, form: web::Query<SearchForm>, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return signed_out();
    }
    let found = match form.query() {
        Ok(query) => crate::admin::console::found(&state, &query).await,
        Err(e) => Err(e),
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    let mut body = String::from(SEARCH_FORM);
    let _ = write!(
        body,
        "<h2>Players by {} “{}”</h2>{}<table id=\"found\"><tr><th>user</th><th>nickname</th><th>level</th><th>clan</th>\
         <th>joined</th><th>last change</th><th>live here</th></tr>",
        found.by,
        esc(form.q.trim()),
        if found.more_clans {
            format!(
                "<p class=\"warn\">More clans match than are searched: only the first {} by name; a longer prefix \
                 finds the rest.</p>",
                crate::service::console::CLANS_SEARCHED
            )
        } else {
            String::new()
        },
    );
    for p in &found.players {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            user_link(p.user_id),
            esc(&p.nickname),
            p.level,
            clan_cell(p.clan.as_ref()),
            time(p.created_at_ms),
            time(p.updated_at_ms),
            if p.live_here { "yes" } else { "" },
        );
    }
    if found.players.is_empty() {
        body.push_str("<tr><td colspan=\"7\"><i>no player found</i></td></tr>");
    }
    body.push_str("</table>");
    if let Some(after) = found.next_after {
        let _ = write!(
            body,
            "<p><a id=\"next\" href=\"/admin/page/search?by={}&amp;q={}&amp;provider={}&amp;after={after}\">Next page</a></p>",
            encode(&form.by),
            encode(form.q.trim()),
            encode(&form.provider),
        );
    }
    html(StatusCode::OK, page("Search", &body))
}

/// Appends to the user page's `body` what surrounds `view`'s user: friends and requests
/// with their profiles, the inbox and outbox waiting, the clan, the grant form and the
/// operator actions taken on them.
pub fn render_around(body: &mut String, view: &UserView) {
    let user = view.user_id;
    for part in &view.unread {
        let _ = write!(body, "<p class=\"warn\">not read: {}</p>", esc(part));
    }
    let no_one = HashMap::new();
    let people = view.around.as_ref().map_or(&no_one, |a| &a.people);
    let person = |user: u64| -> (String, String) {
        people
            .get(&user)
            .map_or_else(|| ("<i>unknown</i>".to_owned(), String::new()), |p| (esc(&p.nickname), p.level.to_string()))
    };
    if let Some(state) = &view.state {
        let _ = write!(
            body,
            "<h2>Friends: {}</h2><table id=\"friends\"><tr><th>user</th><th>nickname</th><th>level</th><th>since</th>\
             <th>last change</th><th>live here</th></tr>",
            state.friends.len()
        );
        for f in &state.friends {
            let (name, level) = person(f.user_id);
            let p = people.get(&f.user_id);
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{name}</td><td>{level}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                user_link(f.user_id),
                time(f.since_ms),
                p.map_or_else(String::new, |p| time(p.updated_at_ms)),
                if p.is_some_and(|p| p.live_here) { "yes" } else { "" },
            );
        }
        body.push_str(
            "</table><h2>Friend requests</h2><table id=\"friend-requests\"><tr><th>direction</th><th>user</th>\
             <th>nickname</th><th>sent</th></tr>",
        );
        for r in &state.friend_requests {
            let (name, _) = person(r.user_id);
            let way = if r.outgoing { "sent to" } else { "received from" };
            let _ = write!(
                body,
                "<tr><td>{way}</td><td>{}</td><td>{name}</td><td>{}</td></tr>",
                user_link(r.user_id),
                time(r.sent_at_ms)
            );
        }
        body.push_str(
            "</table><h2>Inbox: deliveries waiting</h2><table id=\"inbox\"><tr><th>delivery</th><th>from</th>\
             <th>kind</th><th>sent</th></tr>",
        );
        for d in &state.inbox {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.delivery_id,
                user_link(d.sender_id),
                esc(&d.kind),
                time(d.sent_at_ms)
            );
        }
        body.push_str("</table>");
    }
    if let Some(around) = &view.around {
        let clan = around.clan.as_ref().map_or_else(|| "<i>none</i>".to_owned(), |c| clan_cell(Some(c)));
        let _ = write!(
            body,
            "<h2>Clan</h2><p id=\"clan\">{clan}</p><h2>Outbox: deliveries sent, not carried yet</h2>\
             <table id=\"outbox\"><tr><th>delivery</th><th>to</th><th>kind</th><th>written</th></tr>"
        );
        for w in &around.outbox {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                w.delivery_id,
                user_link(w.receiver_id),
                esc(&w.kind),
                time(w.created_at_ms)
            );
        }
        body.push_str("</table>");
    }
    let _ = write!(
        body,
        "<h2>Grant mail</h2><form id=\"grant-form\" method=\"post\" action=\"/admin/page/users/{user}/grant\">\
         <input name=\"grant_id\" placeholder=\"grant name (once per user)\" required> \
         <input name=\"title\" placeholder=\"title\" required> \
         <input name=\"rewards\" placeholder=\"gems:100 gold:500\" required> \
         <input name=\"expires_in_days\" size=\"4\" value=\"30\"> days \
         <input name=\"reason\" placeholder=\"why (recorded)\" required> <button id=\"grant\">Grant</button></form>\
         <h2>Operator actions</h2>"
    );
    actions_table(body, &view.operator_actions, "operator-actions");
}

fn actions_table(body: &mut String, actions: &[OperatorAction], id: &str) {
    let _ = write!(
        body,
        "<table id=\"{id}\"><tr><th>when</th><th>operator</th><th>action</th><th>user</th><th>reason</th><th>detail</th>\
         <th>outcome</th></tr>"
    );
    for a in actions {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            time(a.at_ms),
            esc(&a.operator),
            esc(&a.action),
            user_link(a.user_id),
            esc(&a.reason),
            esc(&a.detail),
            esc(&a.outcome),
        );
    }
    if actions.is_empty() {
        body.push_str("<tr><td colspan=\"7\"><i>none</i></td></tr>");
    }
    body.push_str("</table>");
}

/// `GET /admin/page/users/{id}/history`.
pub async fn history(
    req: HttpRequest,
    path: web::Path<String>,
    params: web::Query<HistoryParams>,
    state: web::Data<AdminState>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return signed_out();
    }
    let user = match path_user(&path) {
        Ok(user) => user,
        Err(page) => return *page,
    };
    let history = match user_history(&state, user, &params).await {
        Ok(history) => history,
        Err(e) => return failed(&e),
    };
    let value = |t: &Option<String>| esc(t.as_deref().unwrap_or(""));
    let mut body = format!(
        "<p><a href=\"/admin/page/users/{user}\">Back to user {user}</a></p>\
         <form method=\"get\" action=\"/admin/page/users/{user}/history\">Actions \
         <input name=\"kind\" value=\"{}\" placeholder=\"summon,buy_item (all when empty)\"> from \
         <input name=\"from\" value=\"{}\" placeholder=\"RFC 3339 or ms\"> to <input name=\"to\" value=\"{}\" placeholder=\"RFC 3339 or ms\"> \
         <button id=\"filter\">Filter</button></form>\
         <p>Log shard {}. Newest first; a balance shows as before → after.</p>\
         <table id=\"history\"><tr><th>log id</th><th>when</th><th>action</th><th>params</th><th>result</th><th>balances</th>\
         <th>replay</th></tr>",
        value(&params.kind),
        value(&params.from),
        value(&params.to),
        history.log_shard,
    );
    for e in &history.entries {
        let shown = |b: &crate::service::history::BalanceChange| {
            format!("{} {} → {} ({:+})", esc(&b.currency), b.before, b.after, b.delta)
        };
        let mut balances: Vec<String> = e.balance.iter().chain(&e.balances).map(shown).collect();
        if let Some(paid) = &e.paid {
            balances.push(format!("paid by claim {} at {}:", paid.claim_log_id, time(paid.claimed_at_ms)));
            balances.extend(paid.balances.iter().map(shown));
        }
        let replay = e.replay.as_ref().map_or_else(String::new, |r| {
            let said = if r.matches { "matches" } else { "<span class=\"warn\">differs</span>" };
            format!(
                "<a class=\"replay\" href=\"/admin/page/audit/summon?user={user}&amp;draw={}\">replay</a>: {said}",
                r.draw
            )
        });
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"action\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{replay}</td></tr>",
            e.log_id,
            time(e.at_ms),
            esc(&e.action),
            esc(&e.params),
            esc(&e.result),
            balances.join("<br>"),
        );
    }
    if history.entries.is_empty() {
        body.push_str("<tr><td colspan=\"7\"><i>nothing logged</i></td></tr>");
    }
    body.push_str("</table>");
    if let Some(before) = history.next_before {
        let _ = write!(
            body,
            "<p><a id=\"older\" href=\"/admin/page/users/{user}/history?kind={}&amp;from={}&amp;to={}&amp;before={before}\">Older</a></p>",
            encode(params.kind.as_deref().unwrap_or("")),
            encode(params.from.as_deref().unwrap_or("")),
            encode(params.to.as_deref().unwrap_or("")),
        );
    }
    html(StatusCode::OK, page(&format!("History of user {user}"), &body))
}

/// The query of `GET /admin/page/audit/summon`.
#[derive(Debug, Deserialize)]
pub struct ReplayQuery {
    user: u64,
    draw: u64,
}

/// `GET /admin/page/audit/summon?user=&draw=`: the logged draw replayed now.
pub async fn summon_replay(
    req: HttpRequest,
    query: web::Query<ReplayQuery>,
    state: web::Data<AdminState>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return signed_out();
    }
    let replay = match state.operators.replay_summon(query.user, query.draw).await {
        Ok(replay) => replay,
        Err(e) => return failed(&AdminError::from(e)),
    };
    let r = &replay.logged.record;
    let verdict = if replay.matches {
        format!(
            "The stream at position {} under game-data version {} draws exactly this: {} (rarity {}{}).",
            r.position,
            r.version,
            esc(&replay.replayed_monster),
            replay.replayed_rarity,
            if replay.replayed_by_pity { ", by pity" } else { "" },
        )
    } else {
        format!(
            "<span class=\"warn\">The stream at position {} under game-data version {} draws {} (rarity {}), not what was logged.</span>",
            r.position,
            r.version,
            esc(&replay.replayed_monster),
            replay.replayed_rarity,
        )
    };
    let body = format!(
        "<p id=\"verdict\">{verdict}</p><table id=\"logged\"><tr><th>log id</th><td>{}</td></tr><tr><th>pool</th><td>{}</td></tr>\
         <tr><th>pity before</th><td>{}</td></tr><tr><th>logged</th><td>{} (rarity {}, monster id {})</td></tr></table>\
         <p><a href=\"/admin/page/users/{u}/history?kind=summon\">Back to the summons of user {u}</a></p>",
        replay.logged.log_id,
        esc(&r.pool),
        r.pity,
        esc(&r.monster),
        r.rarity,
        r.monster_id,
        u = query.user,
    );
    html(StatusCode::OK, page(&format!("Summon {} of user {}", query.draw, query.user), &body))
}

/// `GET /admin/page/audit/operators`: what operators did (to one user with `user=`).
pub async fn operator_actions(
    req: HttpRequest,
    query: web::Query<AuditQuery>,
    state: web::Data<AdminState>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return signed_out();
    }
    let listed = match audit_page(&state, &query).await {
        Ok(listed) => listed,
        Err(e) => return failed(&e),
    };
    let mut body = String::new();
    actions_table(&mut body, &listed.actions, "operator-actions");
    if let Some(before) = listed.next_before {
        let user = query.user.map(|u| format!("user={u}&amp;")).unwrap_or_default();
        let _ =
            write!(body, "<p><a id=\"older\" href=\"/admin/page/audit/operators?{user}before={before}\">Older</a></p>");
    }
    let title = query.user.map_or_else(|| "Operator actions".to_owned(), |u| format!("Operator actions on user {u}"));
    html(StatusCode::OK, page(&title, &body))
}

/// `GET /admin/page/live`: the last 15 minutes as charts, the page reloading itself.
pub async fn live(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return signed_out();
    }
    let view = state.live.view();
    let refresh = (view.every_ms / 1_000).clamp(2, 60);
    let body = super::charts::live_page(&view, refresh);
    html(StatusCode::OK, page_refreshing("Live", &body, refresh))
}

/// The grant form.
#[derive(Debug, Deserialize)]
pub struct GrantForm {
    grant_id: String,
    title: String,
    rewards: String,
    expires_in_days: u32,
    #[serde(default)]
    reason: String,
}

/// `rewards` as the form writes them: `what:amount` separated by spaces or commas.
fn rewards(text: &str) -> Result<Vec<GrantReward>, String> {
    text.split([' ', ','])
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (what, amount) = r.split_once(':').ok_or_else(|| format!("{r:?} is not what:amount"))?;
            let amount = amount.parse().map_err(|_| format!("{amount:?} is not an amount"))?;
            Ok(GrantReward { what: what.to_owned(), amount })
        })
        .collect()
}

impl super::Reasoned for GrantForm {
    fn reason(&self) -> &str {
        &self.reason
    }
}

/// `POST /admin/page/users/{id}/grant`.
pub async fn grant(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> HttpResponse {
    let (user, form, acting) = match super::user_action::<GrantForm>(&req, &path, &body, &state, "not granted") {
        Ok(started) => started,
        Err(answer) => return *answer,
    };
    let back = format!("/admin/page/users/{user}");
    let rewards = match rewards(&form.rewards) {
        Ok(rewards) => rewards,
        Err(e) => return see_other(&saying(&back, &format!("not granted: {e}"))),
    };
    let grant = Grant {
        grant_id: form.grant_id.trim().to_owned(),
        title: form.title.trim().to_owned(),
        body: String::new(),
        rewards,
        expires_in_days: form.expires_in_days,
    };
    let said = match state.operators.grant(&acting, user, &grant).await {
        Ok(granted) => format!("granted: mail {}", granted.mail_id),
        // Not a refusal: it may have been done.
        Err(e @ crate::service::operators::OperatorError::Unconfirmed(_)) => e.to_string(),
        Err(e) => format!("not granted: {e}"),
    };
    see_other(&saying(&back, &said))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grant_forms_rewards_are_read_or_refused() {
        let read = rewards("gems:100, gold:5").unwrap();
        assert_eq!((read[0].what.as_str(), read[0].amount, read[1].amount), ("gems", 100, 5));
        assert!(rewards("gems").is_err() && rewards("gems:x").is_err());
    }
}
