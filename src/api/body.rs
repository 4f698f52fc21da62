//! Reading a request body: content type checked, size bounded before and while reading,
//! time bounded as a whole.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{self, Bytes, BytesMut};
use futures_util::StreamExt;

use crate::api::error::{ApiError, PROTOBUF};

/// Accepted content types; a missing header is accepted too (some HTTP stacks omit it).
const ACCEPTED_TYPES: [&str; 2] = [PROTOBUF, "application/octet-stream"];

/// Checks the declared content type.
pub fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if ACCEPTED_TYPES.contains(&essence.as_str()) { Ok(()) } else { Err(ApiError::UnsupportedMediaType) }
}

/// Reads the whole body within `within`, refusing it as soon as it is known to exceed
/// `limit` bytes. A sender slower than that is cut off (408), so a trickle of bytes cannot
/// hold an admission slot.
pub async fn read_body_within(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    within: Duration,
) -> Result<Bytes, ApiError> {
    tokio::time::timeout(within, read_body(req, payload, limit)).await.map_err(|_| ApiError::BodyTimeout(within))?
}

/// Reads the whole body, refusing it as soon as it is known to exceed `limit` bytes.
pub async fn read_body(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Bytes, ApiError> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = BytesMut::with_capacity(declared.map_or(1024, |len| len as usize));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::Malformed(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
