//! Logout and account deletion. (Register and Login need no session, so the transport serves
//! them before any user actor is involved; see `crate::service::accounts`.)

use summoner_proto::api::{DeleteAccountReq, DeleteAccountRes, ErrorCode, LogoutReq, LogoutRes};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::reads::{Asking, Fetched, Need};

/// Logout: the dispatcher marks the session as ended; the actor stores that.
pub fn logout(ctx: &mut HandlerCtx, _req: &LogoutReq) -> HandlerResult<LogoutRes> {
    ctx.log("logout", String::new(), String::new());
    Ok(LogoutRes {})
}

/// DeleteAccount first checks the credential again and records the deletion (its grace
/// period starts), in the common database.
pub fn delete_account_reads(_: &Asking, req: &DeleteAccountReq) -> Option<Need> {
    Some(Need::AccountDeletion { credential: req.credential.clone() })
}

/// DeleteAccount: the deletion its read recorded; the session ends like Logout's. The
/// erasure itself runs once the grace period is over (`crate::service::deletions`).
pub fn delete_account(ctx: &mut HandlerCtx, _req: &DeleteAccountReq) -> HandlerResult<DeleteAccountRes> {
    let erased_after_ms = match ctx.fetched {
        Some(Fetched::Deletion(Ok(due))) => *due,
        Some(Fetched::Deletion(Err(refusal))) => return Err(refusal.clone()),
        _ => return Err(Refusal::new(ErrorCode::Internal, "the deletion was not recorded")),
    };
    ctx.log("delete_account", format!("erased_after_ms={erased_after_ms}"), String::new());
    Ok(DeleteAccountRes { erased_after_ms })
}
