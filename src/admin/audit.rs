//! Replays of logged actions, as `summoner-audit` prints them, in JSON: 200 with `matches`,
//! 404 when the user has no such action logged, 422 when it cannot be replayed (its game-data
//! version or pool is gone, its row does not read, a battle from before the simulation), 503
//! when storage is unreachable.
//!
//! - `GET /admin/audit/summon?user=U&draw=D`: a draw (the monster id it gave);
//! - `GET /admin/audit/battle?user=U&token=T`: a stage battle or friend dungeon visit.
//!
//! And `GET /admin/suspects?day=D&limit=N`: the highest bot scores of the game day holding
//! the instant `D` (milliseconds; default the last complete game day), with their features,
//! at most `N` (default 50, up to 500); nothing is done to a user from them.

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::{AdminError, AdminResult};
use super::{AdminState, authorize};
use crate::service::operators::MAX_SUSPECTS;

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

/// The query of the suspects' list.
#[derive(Debug, serde::Deserialize)]
pub(super) struct SuspectsQuery {
    day: Option<i64>,
    limit: Option<usize>,
}

pub(super) async fn suspects(
    req: HttpRequest,
    query: web::Query<SuspectsQuery>,
    state: web::Data<AdminState>,
) -> AdminResult {
    authorize(&req, &state)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_SUSPECTS).contains(&limit) {
        return Err(AdminError::BadRequest(format!("limit is 1 to {MAX_SUSPECTS}")));
    }
    let listed = state
        .operators
        .suspects(query.day, limit)
        .await
        .map_err(|e| AdminError::Unavailable(format!("storage: {e}")))?;
    Ok(HttpResponse::Ok().json(listed))
}
