//! `GET /admin/jobs`: every scheduled job with its schedule and last run;
//! `POST /admin/jobs/{name}/run`: runs one now and answers the run (JSON), 404 for a job
//! that does not exist, 409 while a run of it is in progress.

use actix_web::{HttpRequest, HttpResponse, web};

use super::error::AdminResult;
use super::{AdminState, authorize};

pub(super) async fn list(req: HttpRequest, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "jobs": state.jobs.views().await })))
}

pub(super) async fn run(req: HttpRequest, name: web::Path<String>, state: web::Data<AdminState>) -> AdminResult {
    authorize(&req, &state)?;
    Ok(HttpResponse::Ok().json(state.jobs.run(&name).await?))
}
