//! Logout. (Register and Login need no session, so the transport serves them before any
//! user actor is involved; see `crate::service::accounts`.)

use summoner_proto::api::{LogoutReq, LogoutRes};

use crate::game::context::{HandlerCtx, HandlerResult};

/// Logout: the dispatcher marks the session as ended; the actor stores that.
pub fn logout(ctx: &mut HandlerCtx, _req: &LogoutReq) -> HandlerResult<LogoutRes> {
    ctx.log("logout", String::new(), String::new());
    Ok(LogoutRes {})
}
