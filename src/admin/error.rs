//! The admin transport's error policy, in one place: which failure of the service core
//! becomes which HTTP status. Answers are plain text for operators and scripts (the page
//! shows the same words in HTML).
//!
//! | status | when | the operator should |
//! |---|---|---|
//! | 400 | a path, query or body that is not what the endpoint takes (an action without a reason or an operator's name) | fix the call |
//! | 401 | no admin token, a wrong one, or a page action without the page's session | sign in |
//! | 404 | no such user, draw, battle or job | check the id |
//! | 409 | the job is running already | wait for its run |
//! | 429 | too many wrong bearer tokens from this address | wait `Retry-After` seconds |
//! | 422 | the game data, the notice rules or the archive refuse it; nothing changed | change what is asked |
//! | 503 | storage, the cache or the user's actor could not be reached or was busy, or the server is stopping; for a grant or kick not confirmed (it may have been done), sending it again is safe | retry |
//! | 500 | the server failed doing it | report it |

use actix_web::http::StatusCode;
use actix_web::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};

use crate::jobs::RunError;
use crate::service::audit::AuditError;
use crate::service::catalog::ReloadError;
use crate::service::notice::NoticeError;
use crate::service::operators::OperatorError;

/// Why an admin request was not done (or may not have been).
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("admin requests need Authorization: Bearer <admin.token>")]
    Unauthorized,
    /// Too many wrong tokens from the client's address; retry after the wait.
    #[error("too many wrong admin tokens; retry after {} s", crate::api::error::retry_after(*.0))]
    RateLimited(std::time::Duration),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("refused: {0}")]
    Refused(String),
    /// Refused, in the words given (422).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Refused(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut answer = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthorized => {
                answer.insert_header((WWW_AUTHENTICATE, "Bearer"));
            }
            Self::RateLimited(wait) => {
                answer.insert_header((RETRY_AFTER, crate::api::error::retry_after(*wait)));
            }
            _ => {}
        }
        answer.content_type("text/plain; charset=utf-8").body(format!("{self}\n"))
    }
}

impl From<OperatorError> for AdminError {
    fn from(e: OperatorError) -> Self {
        match e {
            OperatorError::NoSuchUser(_) => Self::NotFound(e.to_string()),
            OperatorError::Refused(why) => Self::Refused(why),
            OperatorError::Invalid(why) => Self::BadRequest(why),
            OperatorError::Busy(_) | OperatorError::Unconfirmed(_) | OperatorError::Unavailable(_) => {
                Self::Unavailable(e.to_string())
            }
        }
    }
}

impl From<AuditError> for AdminError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::NoSuchDraw(..) | AuditError::NoSuchUser(_) | AuditError::NoSuchBattle(..) => {
                Self::NotFound(e.to_string())
            }
            AuditError::Store(e) => Self::Unavailable(format!("storage: {e}")),
            e => Self::Unprocessable(format!("cannot replay: {e}")),
        }
    }
}

impl From<NoticeError> for AdminError {
    fn from(e: NoticeError) -> Self {
        match e {
            NoticeError::Cache(e) => Self::Unavailable(format!("the cache is unreachable: {e}")),
            e => Self::Refused(e.to_string()),
        }
    }
}

impl From<ReloadError> for AdminError {
    fn from(e: ReloadError) -> Self {
        tracing::warn!(error = %e, "game data reload refused");
        Self::Refused(e.to_string())
    }
}

impl From<RunError> for AdminError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Unknown(_) => Self::NotFound(e.to_string()),
            RunError::Busy(_) => Self::Conflict(e.to_string()),
            RunError::Stopped(_) => Self::Unavailable(e.to_string()),
            RunError::Elsewhere(_) => Self::Conflict(e.to_string()),
        }
    }
}

/// What an admin endpoint answers: its JSON or text, or the error's status and words.
pub type AdminResult = Result<HttpResponse, AdminError>;
