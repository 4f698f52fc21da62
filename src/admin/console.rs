//! The console's JSON views: `GET /admin/search` (players by `id=`, `nickname=` (a prefix,
//! any case), `device=`, `subject=` (with `provider=`, else under each configured platform)
//! or `clan=` (a name prefix), paged by `after=` and `limit=`),
//! `GET /admin/users/{id}/history` (the user's action log, newest first: `kind=` (commas
//! between several), `from=` and `to=` (ms since the epoch, or RFC 3339), `before=` and
//! `limit=`), and `GET /admin/audit/operators` (what operators did, newest first: `user=`,
//! `before=`, `limit=`). The page (`admin/page/console.rs`) renders the same views.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::{AdminError, AdminResult};
use super::{AdminState, authorize};
use crate::service::console::{Found, SearchBy};
use crate::service::history::{History, HistoryQuery};
use crate::service::operators::OperatorAction;

/// Rows a page answers unless told.
const DEFAULT_LIMIT: usize = 50;

/// The query of `GET /admin/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub id: Option<String>,
    pub nickname: Option<String>,
    pub device: Option<String>,
    pub subject: Option<String>,
    pub provider: Option<String>,
    pub clan: Option<String>,
    #[serde(default)]
    pub after: u64,
    pub limit: Option<usize>,
}

impl SearchQuery {
    /// What the query searches by: exactly one of its fields.
    pub fn by(&self) -> Result<SearchBy, AdminError> {
        let mut asked = Vec::new();
        if let Some(id) = &self.id {
            let user = super::actors::parse_user_id(id)
                .ok_or_else(|| AdminError::BadRequest(format!("{id:?} is not a user id")))?;
            asked.push(SearchBy::UserId(user));
        }
        if let Some(n) = &self.nickname {
            asked.push(SearchBy::Nickname(n.clone()));
        }
        if let Some(d) = &self.device {
            asked.push(SearchBy::Device(d.clone()));
        }
        if let Some(subject) = &self.subject {
            asked.push(SearchBy::Subject { provider: self.provider.clone(), subject: subject.clone() });
        } else if self.provider.is_some() {
            return Err(AdminError::BadRequest("provider= goes with subject=".into()));
        }
        if let Some(c) = &self.clan {
            asked.push(SearchBy::Clan(c.clone()));
        }
        match asked.len() {
            1 => Ok(asked.remove(0)),
            0 => Err(AdminError::BadRequest("search by one of id=, nickname=, device=, subject=, clan=".into())),
            _ => Err(AdminError::BadRequest(
                "search by one of id=, nickname=, device=, subject=, clan= at a time".into(),
            )),
        }
    }
}

/// The players `query` finds.
pub async fn found(state: &AdminState, query: &SearchQuery) -> Result<Found, AdminError> {
    let by = query.by()?;
    Ok(state.console.search(by, query.after, query.limit.unwrap_or(DEFAULT_LIMIT)).await?)
}

pub async fn search(req: HttpRequest, query: web::Query<SearchQuery>, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(found(&state, &query).await?))
}

/// The query of `GET /admin/users/{id}/history`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// Actions, separated by commas (all when absent or empty).
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub before: u64,
    pub limit: Option<usize>,
}

/// `text` as a time: milliseconds since the epoch, or an RFC 3339 timestamp.
pub fn parse_time(what: &str, text: &str) -> Result<i64, AdminError> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| AdminError::BadRequest(format!("{what}={text:?} is neither ms since the epoch nor RFC 3339")))
}

impl HistoryParams {
    /// The history page of `user` these parameters ask for.
    pub fn query(&self, user: u64) -> Result<HistoryQuery, AdminError> {
        let kinds: Vec<String> = self
            .kind
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        if kinds.iter().any(|k| k.len() > 64 || !k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) {
            return Err(AdminError::BadRequest("kind= takes action names (a-z and _), separated by commas".into()));
        }
        let blank = |t: &Option<String>| t.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        let from_ms = blank(&self.from).map(|t| parse_time("from", &t)).transpose()?.unwrap_or(0);
        let to_ms = blank(&self.to).map(|t| parse_time("to", &t)).transpose()?.unwrap_or(i64::MAX);
        Ok(HistoryQuery {
            user,
            kinds,
            before: self.before,
            from_ms,
            to_ms,
            limit: self.limit.unwrap_or(DEFAULT_LIMIT),
        })
    }
}

/// The history page `params` ask for.
pub async fn user_history(state: &AdminState, user: u64, params: &HistoryParams) -> Result<History, AdminError> {
    Ok(state.console.history(params.query(user)?).await?)
}

pub async fn history(
    req: HttpRequest,
    path: web::Path<String>,
    params: web::Query<HistoryParams>,
    state: web::Data<AdminState>,
) -> AdminResult {
    authorize(&req, &state)?;
    let user = super::actors::parse_user_id(&path)
        .ok_or_else(|| AdminError::BadRequest(format!("{:?} is not a user id", path.as_str())))?;
    Ok(HttpResponse::Ok().json(user_history(&state, user, &params).await?))
}

/// The query of `GET /admin/audit/operators`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub user: Option<u64>,
    #[serde(default)]
    pub before: u64,
    pub limit: Option<usize>,
}

/// A page of the operator audit log.
#[derive(Debug, serde::Serialize)]
pub struct OperatorActions {
    pub actions: Vec<OperatorAction>,
    /// Pass as `before` for the next page (absent: this was the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<u64>,
}

/// The page of the operator audit log `query` asks for.
pub async fn operator_actions(state: &AdminState, query: &AuditQuery) -> Result<OperatorActions, AdminError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let most = crate::service::operators::MAX_AUDIT_PAGE;
    if !(1..=most).contains(&limit) {
        return Err(AdminError::BadRequest(format!("limit must be 1 to {most}")));
    }
    let before = if query.before == 0 { u64::MAX } else { query.before };
    let actions = state.operators.operator_actions(query.user, before, limit).await?;
    let next_before = (actions.len() == limit).then(|| actions.last().map(|a| a.action_id)).flatten();
    Ok(OperatorActions { actions, next_before })
}

pub async fn audit(req: HttpRequest, query: web::Query<AuditQuery>, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(operator_actions(&state, &query).await?))
}
