//! Replays of logged actions, as `summoner-audit` prints them, in JSON: 200 with `matches`,
//! 404 when the user has no such action logged, 422 when it cannot be replayed (its game-data
//! version or pool is gone, its row does not read, a battle from before the simulation), 503
//! when storage is unreachable.
//!
//! - `GET /admin/audit/summon?user=U&draw=D`: a draw (the monster id it gave);
//! - `GET /admin/audit/battle?user=U&token=T`: a stage battle or friend dungeon visit.

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

/// The query of a battle's replay.
#[derive(Debug, serde::Deserialize)]
pub(super) struct BattleQuery {
    user: u64,
    token: u64,
}

pub(super) async fn replay_battle(
    req: HttpRequest,
    query: web::Query<BattleQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    authorize(&req, &state)?;
    let replay = state.operators.replay_battle(query.user, query.token).await?;
    Ok(HttpResponse::Ok().json(replay))
}
