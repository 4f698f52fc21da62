//! `POST /admin/users/{id}/mail`: an operator grants a user mail with rewards. The body is
//! a JSON [`Grant`]; the mail row is written on the user's game shard (inserted only if that
//! grant is not there yet, so a retry is never doubled), then the user's live actor, if
//! any, reads its state again, so the mail shows at the user's next request; a user not
//! playing finds it when their actor next loads.
//!
//! Each send is also recorded in the user's action log (`operator_grant`).
//!
//! Answers JSON `{"user_id", "mail_id", "live"}` (200), or text: 400 a body that is not a
//! grant, 404 no such user, 422 a grant the game data refuses, 503 storage busy or the
//! write not confirmed (sending the same grant again is safe).

use actix_web::{HttpRequest, HttpResponse, web};
use summoner_actors::Refresh;

use super::{AdminState, authorized, unauthorized};
use crate::game::grants::{self, Grant};
use crate::storage::{ActionLog, StoreError};

/// How long a grant waits for a live actor to read its state again.
const REFRESH_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

pub(super) async fn grant(
    req: HttpRequest,
    path: web::Path<u64>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let user = path.into_inner();
    let grant: Grant = match serde_json::from_slice(&body) {
        Ok(grant) => grant,
        Err(e) => return HttpResponse::BadRequest().body(format!("the body is not a grant: {e}\n")),
    };
    let data = state.catalog.current();
    let now = state.directory.clock().now_ms();
    let (mail_id, row) = match grants::mail_row(&data, user, &grant, now) {
        Ok(made) => made,
        Err(reason) => return HttpResponse::UnprocessableEntity().body(format!("refused: {reason}\n")),
    };
    let store = state.directory.backend().store().clone();
    match store.write_outside(user, vec![row]).await {
        Ok(()) => {}
        Err(StoreError::NotFound(_)) => return HttpResponse::NotFound().body(format!("no user {user}\n")),
        Err(e @ StoreError::Overloaded(_)) => {
            return HttpResponse::ServiceUnavailable().body(format!("storage is busy, nothing written: {e}\n"));
        }
        Err(e) => {
            // The outcome may be unknown: the same grant again is safe either way.
            tracing::warn!(user.id = user, error = %e, "grant not confirmed");
            return HttpResponse::ServiceUnavailable().body(format!("not confirmed, send the same grant again: {e}\n"));
        }
    }
    tracing::info!(user.id = user, mail.id = mail_id, grant = %grant.grant_id, "operator grant written");
    // The grant's trail on the user's log shard (each send is recorded; the mail is one).
    let log = ActionLog {
        user_id: user,
        action: "operator_grant",
        params: format!("grant={:?} mail={mail_id}", grant.grant_id),
        result: format!("rewards={}", grant.rewards.len()),
        at_ms: now,
    };
    let logged = match store.load_profiles(vec![user]).await {
        Ok(rows) => match rows.first() {
            Some(row) => store.append_logs(row.shards, vec![log]).await,
            None => Err(StoreError::NotFound(format!("user {user}"))),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = logged {
        tracing::warn!(user.id = user, mail.id = mail_id, error = %e, "operator grant not recorded in the action log");
    }
    let live = match state.directory.live(user) {
        // Bounded like every call: past it, the actor still refreshes; the answer says it may not have.
        Some(actor) => matches!(tokio::time::timeout(REFRESH_WITHIN, actor.send(Refresh::Added)).await, Ok(Ok(true))),
        None => false,
    };
    HttpResponse::Ok().json(serde_json::json!({ "user_id": user, "mail_id": mail_id, "live": live }))
}
