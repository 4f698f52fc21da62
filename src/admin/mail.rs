//! `POST /admin/users/{id}/mail?reason=`: an operator grants a user mail with rewards. The
//! body is a JSON [`Grant`]; the service writes it once however often it is sent
//! (`crate::service::operators::Operators::grant`), and the user's live actor reads it. Each
//! send is recorded in the operator audit log with its operator (`X-Summoner-Operator`) and
//! reason.
//!
//! Answers JSON `{"user_id", "mail_id", "live"}` (200), or text: 400 a body that is not a
//! grant or no operator or reason, 404 no such user, 422 a grant the game data refuses, 503 storage busy or the
//! write not confirmed (sending the same grant again is safe).

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::{AdminError, AdminResult};
use super::{AdminState, ReasonQuery, acting};
use crate::game::grants::Grant;

pub(super) async fn grant(
    req: HttpRequest,
    path: web::Path<u64>,
    query: web::Query<ReasonQuery>,
    body: web::Bytes,
    state: web::Data<AdminState>,
) -> AdminResult {
    let acting = acting(&req, &state, query.reason.as_deref())?;
    let grant: Grant =
        serde_json::from_slice(&body).map_err(|e| AdminError::BadRequest(format!("the body is not a grant: {e}")))?;
    let granted = state.operators.grant(&acting, path.into_inner(), &grant).await?;
    Ok(HttpResponse::Ok().json(granted))
}
