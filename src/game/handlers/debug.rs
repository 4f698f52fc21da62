//! Debug operations, served only with `debug.test_operations = true` (tests use them to
//! prove that a failing handler costs only its own request).

use std::convert::Infallible;

use summoner_proto::api::{DebugPanicReq, ErrorCode};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};

/// DebugPanic: panics after changing the draft, so a test can check that nothing of it
/// survives.
pub fn panic(ctx: &mut HandlerCtx, _req: &DebugPanicReq) -> HandlerResult<Infallible> {
    if !ctx.test_operations {
        return Err(Refusal::new(ErrorCode::OperationDisabled, "debug operations are disabled"));
    }
    ctx.user.gold = ctx.user.gold.saturating_add(1_000_000);
    panic!("DebugPanic requested by user {}", ctx.user.user_id);
}
