//! ListSummons: the player's own summon history, newest first, paged by log id, read from
//! the summon rows of their action log (`summon::SUMMON_LOG`) before the handler runs.

use summoner_proto::api::{ErrorCode, ListSummonsReq, ListSummonsRes, SummonEntry};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::handlers::summon::{SUMMON_LOG, SummonRecord};
use crate::game::reads::{Asking, Fetched, Need};

/// Draws a page holds unless asked, and at most.
const PAGE: u32 = 20;
const MOST: u32 = 100;

/// The page asked for; the limit out of range is refused by the handler, unread.
pub fn list_summons_reads(_: &Asking, req: &ListSummonsReq) -> Option<Need> {
    let before = if req.before == 0 { u64::MAX } else { req.before };
    (req.limit <= MOST).then(|| Need::OwnLog { action: SUMMON_LOG, before, limit: limit(req) as usize + 1 })
}

fn limit(req: &ListSummonsReq) -> u32 {
    if req.limit == 0 { PAGE } else { req.limit }
}

/// ListSummons: a page of the player's draws, each as its log row recorded it.
pub fn list_summons(ctx: &mut HandlerCtx, req: &ListSummonsReq) -> HandlerResult<ListSummonsRes> {
    if req.limit > MOST {
        return Err(Refusal::new(ErrorCode::InvalidArgument, format!("limit is 1 to {MOST} (0: {PAGE})")));
    }
    let Some(Fetched::OwnLog(rows)) = ctx.fetched else {
        return Err(Refusal::new(ErrorCode::Internal, "the summon history was not read"));
    };
    let limit = limit(req) as usize;
    let mut summons = Vec::with_capacity(limit);
    for row in rows.iter().take(limit) {
        // A row this server cannot read back is left out, not shown half.
        let Ok(r) = SummonRecord::parse(&row.params, &row.result) else { continue };
        summons.push(SummonEntry {
            log_id: row.log_id,
            at_ms: row.at_ms,
            pool: r.pool,
            monster: r.monster,
            rarity: r.rarity,
            monster_id: r.monster_id,
            by_pity: r.by_pity,
            gamedata_version: r.version,
        });
    }
    // One row more than the page was read: if it came, the page's last row starts the next.
    let next_before = if rows.len() > limit { rows[limit - 1].log_id } else { 0 };
    Ok(ListSummonsRes { summons, next_before })
}
