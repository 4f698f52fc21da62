//! `GET /admin/audit/summon?user=U&draw=D`: the replay of a logged draw (the monster id it
//! gave), as `summoner-audit replay-summon` prints it, in JSON: 200 with `matches`, 404 when
//! the user has no such draw, 422 when it cannot be replayed (its game-data version or pool
//! is gone), 503 when storage is unreachable.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{AdminState, authorized, unauthorized};
use crate::service::audit::{self, AuditError};

/// The query of the replay.
#[derive(Debug, serde::Deserialize)]
pub(super) struct ReplayQuery {
    user: u64,
    draw: u64,
}

pub(super) async fn replay_summon(
    req: HttpRequest,
    query: web::Query<ReplayQuery>,
    state: web::Data<AdminState>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let store = state.directory.backend().store().clone();
    match audit::replay_summon(store.as_ref(), &state.catalog, query.user, query.draw).await {
        Ok(replay) => HttpResponse::Ok().json(replay),
        Err(e @ (AuditError::NoSuchDraw(..) | AuditError::NoSuchUser(_))) => {
            HttpResponse::NotFound().body(format!("{e}\n"))
        }
        Err(AuditError::Store(e)) => HttpResponse::ServiceUnavailable().body(format!("storage: {e}\n")),
        Err(e) => HttpResponse::UnprocessableEntity().body(format!("cannot replay: {e}\n")),
    }
}
