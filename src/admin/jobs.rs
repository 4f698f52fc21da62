//! `GET /admin/jobs`: every scheduled job with its schedule and last run;
//! `POST /admin/jobs/{name}/run`: runs one now and answers the run (JSON), 404 for a job
//! that does not exist, 409 while a run of it is in progress.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{AdminState, authorized, unauthorized};
use crate::jobs::RunError;

pub(super) async fn list(req: HttpRequest, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    HttpResponse::Ok().json(serde_json::json!({ "jobs": state.jobs.views().await }))
}

pub(super) async fn run(req: HttpRequest, name: web::Path<String>, state: web::Data<AdminState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    match state.jobs.run(&name).await {
        Ok(run) => HttpResponse::Ok().json(run),
        Err(e @ RunError::Unknown(_)) => HttpResponse::NotFound().body(format!("{e}\n")),
        Err(e @ RunError::Busy(_)) => HttpResponse::Conflict().body(format!("{e}\n")),
        Err(e @ RunError::Stopped(_)) => HttpResponse::ServiceUnavailable().body(format!("{e}\n")),
    }
}
