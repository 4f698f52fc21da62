//! A user's history for operators: their action log, newest first, paged and filtered by
//! kind and time, each summon replayed on the spot ("the stream at position N under
//! game-data version V draws exactly this") and each row shown with the balance changes its
//! request logged, before and after.

use std::collections::HashMap;
use std::sync::Arc;

use summoner_actors::UserId;

use crate::game::handlers::summon::SUMMON_LOG;
use crate::game::profile::Profile;
use crate::game::wallet::CURRENCY_LOG;
use crate::service::audit::{self, LoggedDraw};
use crate::service::catalog::Catalog;
use crate::service::console::MAX_PAGE;
use crate::service::operators::OperatorError;
use crate::storage::{LoggedAction, Store, StoreError, UserLogQuery};

fn unavailable(e: StoreError) -> OperatorError {
    OperatorError::Unavailable(format!("storage: {e}"))
}

/// A balance change as the action log recorded it, with the balance before it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BalanceChange {
    pub currency: String,
    pub delta: i64,
    pub before: i64,
    pub after: i64,
    pub reason: String,
}

/// A logged summon replayed: what the user's stream at the logged position draws under the
/// logged game-data version, beside what was logged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SummonReplay {
    /// The monster id the draw gave (`GET /admin/audit/summon?user=&draw=` names it).
    pub draw: u64,
    pub pool: String,
    pub version: u32,
    /// The stream's word position before the draw.
    pub position: u128,
    pub logged_monster: String,
    pub replayed_monster: Option<String>,
    pub matches: bool,
    /// Why it could not be replayed (a version not archived, an unreadable row).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One row of a user's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    pub log_id: u64,
    pub at_ms: i64,
    pub action: String,
    pub params: String,
    pub result: String,
    /// A `currency` row's change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<BalanceChange>,
    /// Another row's: the balance changes of the same request (a purchase's price, a mail
    /// claim's rewards).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub balances: Vec<BalanceChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<SummonReplay>,
    /// An operator's grant: the claim that paid its mail and the balances it changed
    /// (absent: not claimed yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid: Option<Paid>,
}

/// The claim that paid an operator's grant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Paid {
    pub claim_log_id: u64,
    pub claimed_at_ms: i64,
    /// The balance changes this mail paid, in the order the claim made them (a claim of
    /// every mail at once pays each mail's own rewards; only this one's are here).
    pub balances: Vec<BalanceChange>,
}

/// The action of an operator's grant in the action log (`service::operators`).
const GRANT_LOG: &str = "operator_grant";
/// The action of a mail's claim (`game::handlers::mail`).
const CLAIM_LOG: &str = "claim_mail";

/// A page of a user's history, newest first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct History {
    pub user_id: UserId,
    pub log_shard: i16,
    pub entries: Vec<HistoryEntry>,
    /// Pass as `before` for the next page (absent: this was the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
}

/// What a history page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub user: UserId,
    /// Actions to show (all when empty).
    pub kinds: Vec<String>,
    /// Rows with a log id below this (0: from the newest).
    pub before: u64,
    pub from_ms: i64,
    pub to_ms: i64,
    pub limit: usize,
}

/// A page of `query.user`'s history, newest first. A page ends inside a request only when
/// that request's rows fill it: otherwise rows logged by one request (the same time) stay
/// together, so a purchase and its price are on one page. It reads what has reached the log
/// shard: the game shard's log shipper carries a request's rows there when told of its
/// commit (on the node holding the shipper's lease; others' commits wait for its sweep,
/// `storage.log_sweep_secs`), so the last moments may not show yet.
pub async fn history(store: &Arc<dyn Store>, catalog: &Catalog, query: HistoryQuery) -> Result<History, OperatorError> {
    let HistoryQuery { user, kinds, before, from_ms, to_ms, limit } = query;
    if from_ms >= to_ms {
        return Err(OperatorError::Invalid("`from` must be before `to`".into()));
    }
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(OperatorError::Invalid(format!("limit must be 1 to {MAX_PAGE}")));
    }
    let rows = store.load_profiles(vec![user]).await.map_err(unavailable)?;
    let placed = rows.first().ok_or(OperatorError::NoSuchUser(user))?;
    let profile = Profile::from_row(&placed.row).map_err(|e| OperatorError::Unavailable(e.to_string()))?;
    // Balance changes ride along with the rows asked for, to be shown with them.
    let mut actions = kinds.clone();
    if !actions.is_empty() && !actions.iter().any(|k| k == CURRENCY_LOG) {
        actions.push(CURRENCY_LOG.to_owned());
    }
    let before = if before == 0 { u64::MAX } else { before };
    let log_query = UserLogQuery {
        user,
        log_shard: placed.shards.log,
        actions,
        before,
        from_ms,
        to_ms,
        limit: limit + 1,
        params: None,
    };
    let mut rows = store.user_logs(log_query).await.map_err(unavailable)?;
    let mut next_before = None;
    if rows.len() > limit {
        rows.truncate(limit);
        // Keep the last request whole: the trailing rows of its time go to the next page,
        // unless they are all this page holds.
        if let Some(last_at) = rows.last().map(|r| r.at_ms) {
            let trailing = rows.iter().rev().take_while(|r| r.at_ms == last_at).count();
            if trailing < rows.len() {
                rows.truncate(rows.len() - trailing);
            }
        }
        next_before = rows.last().map(|r| r.log_id);
    }
    let mut entries: Vec<HistoryEntry> = rows.iter().map(|row| entry(row, catalog, &profile)).collect();
    attach_balances(&mut entries);
    if !kinds.is_empty() {
        entries.retain(|e| kinds.contains(&e.action));
    }
    for e in entries.iter_mut().filter(|e| e.action == GRANT_LOG) {
        e.paid = paid(store.as_ref(), user, placed.shards.log, e).await?;
    }
    Ok(History { user_id: user, log_shard: placed.shards.log, entries, next_before })
}

/// The claim that paid `grant`'s mail (`mail=<id>` in its params; the claim names it as
/// `id=<id>`), and the balances that claim's request changed.
async fn paid(
    store: &dyn Store,
    user: UserId,
    log_shard: i16,
    grant: &HistoryEntry,
) -> Result<Option<Paid>, OperatorError> {
    let Some(mail) = grant.params.rsplit_once("mail=").map(|(_, id)| id.trim()) else { return Ok(None) };
    let query = |action: &str, params: Option<String>, from_ms: i64, to_ms: i64, limit: usize| UserLogQuery {
        user,
        log_shard,
        actions: vec![action.to_owned()],
        before: u64::MAX,
        from_ms,
        to_ms,
        limit,
        params,
    };
    // A mail is claimed once, whenever that was (a grant sent again after the claim, or
    // stamped by another node's clock, is paid by the same claim).
    let claim = query(CLAIM_LOG, Some(format!("id={mail}")), 0, i64::MAX, 1);
    let claims = store.user_logs(claim).await.map_err(unavailable)?;
    let Some(claim) = claims.first() else { return Ok(None) };
    // The claiming request's balance changes: its rows share its time.
    let changes = query(CURRENCY_LOG, None, claim.at_ms, claim.at_ms + 1, MAX_PAGE);
    let changes = store.user_logs(changes).await.map_err(unavailable)?;
    let balances = changes.iter().rev().filter(|c| paid_for(&c.params, mail)).filter_map(balance_change).collect();
    Ok(Some(Paid { claim_log_id: claim.log_id, claimed_at_ms: claim.at_ms, balances }))
}

/// Whether a `currency` row's params say mail `mail` paid it (`reason=mail:<id>`, last).
fn paid_for(params: &str, mail: &str) -> bool {
    params.ends_with(&format!("reason=mail:{mail}"))
}

/// The `name=value` fields of a log row's text.
fn fields(text: &str) -> HashMap<&str, &str> {
    text.split(' ').filter_map(|kv| kv.split_once('=')).collect()
}

/// A `currency` row's change (`name=… delta=… reason=…`, `balance=…`).
fn balance_change(row: &LoggedAction) -> Option<BalanceChange> {
    let (params, result) = (fields(&row.params), fields(&row.result));
    let delta: i64 = params.get("delta")?.parse().ok()?;
    let after: i64 = result.get("balance")?.parse().ok()?;
    // The reason is the rest of the params after `reason=` (it may hold spaces).
    let reason = row.params.split_once("reason=").map_or("", |(_, r)| r).to_owned();
    Some(BalanceChange { currency: (*params.get("name")?).to_owned(), delta, before: after - delta, after, reason })
}

fn entry(row: &LoggedAction, catalog: &Catalog, profile: &Profile) -> HistoryEntry {
    let balance = (row.action == CURRENCY_LOG).then(|| balance_change(row)).flatten();
    let replay = (row.action == SUMMON_LOG).then(|| replay(row, catalog, profile));
    HistoryEntry {
        log_id: row.log_id,
        at_ms: row.at_ms,
        action: row.action.clone(),
        params: row.params.clone(),
        result: row.result.clone(),
        balance,
        balances: Vec::new(),
        replay,
        paid: None,
    }
}

fn replay(row: &LoggedAction, catalog: &Catalog, profile: &Profile) -> SummonReplay {
    let logged = match LoggedDraw::parse(row) {
        Ok(logged) => logged,
        Err(e) => {
            return SummonReplay {
                draw: 0,
                pool: String::new(),
                version: 0,
                position: 0,
                logged_monster: String::new(),
                replayed_monster: None,
                matches: false,
                problem: Some(e.to_string()),
            };
        }
    };
    let r = &logged.record;
    let drawn = audit::redraw(catalog, profile, &logged);
    let matches =
        drawn.as_ref().is_ok_and(|d| d.monster == r.monster && d.rarity == r.rarity && d.by_pity == r.by_pity);
    SummonReplay {
        draw: r.monster_id,
        pool: r.pool.clone(),
        version: r.version,
        position: r.position,
        logged_monster: r.monster.clone(),
        replayed_monster: drawn.as_ref().ok().map(|d| d.monster.clone()),
        matches,
        problem: drawn.err().map(|e| e.to_string()),
    }
}

/// Gives each row that is not a balance change the balance changes its request logged: the
/// rows of one request share its time and sit next to each other in log order.
fn attach_balances(entries: &mut [HistoryEntry]) {
    let mut start = 0;
    while start < entries.len() {
        let at = entries[start].at_ms;
        let end = start + entries[start..].iter().take_while(|e| e.at_ms == at).count();
        // Newest first on the page; the request made them oldest first.
        let changes: Vec<(String, BalanceChange)> =
            entries[start..end].iter().rev().filter_map(|e| e.balance.clone().map(|b| (e.params.clone(), b))).collect();
        for e in &mut entries[start..end] {
            if e.action == CURRENCY_LOG {
                continue;
            }
            // A claim of every mail at once: each claim row shows its own mail's rewards.
            let mail = (e.action == CLAIM_LOG).then(|| e.params.strip_prefix("id=")).flatten();
            e.balances = changes
                .iter()
                .filter(|(params, _)| mail.is_none_or(|mail| paid_for(params, mail)))
                .map(|(_, b)| b.clone())
                .collect();
        }
        start = end;
    }
}
