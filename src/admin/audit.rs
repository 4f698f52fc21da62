//! `GET /admin/audit/summon?user=U&draw=D`: the replay of a logged draw (the monster id it
//! gave), as `summoner-audit replay-summon` prints it, in JSON: 200 with `matches`, 404 when
//! the user has no such draw, 422 when it cannot be replayed (its game-data version or pool
//! is gone), 503 when storage is unreachable.

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::AdminResult;
use super::{AdminState, authorize};

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
) -> AdminResult {
    authorize(&req, &state)?;
    let replay = state.operators.replay_summon(query.user, query.draw).await?;
    Ok(HttpResponse::Ok().json(replay))
}
