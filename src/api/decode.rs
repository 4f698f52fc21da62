//! Decoding the `Request` envelope, and the operation names used in logs and metrics.

use prost::Message;
use summoner_proto::api::{Request, request::Payload};

use crate::api::error::ApiError;

/// The largest seq a request may carry: seqs are stored as signed 64-bit numbers, so 2^63
/// and above are refused rather than stored as something else.
pub const MAX_SEQ: u64 = i64::MAX as u64;

/// Decodes a body into a `Request` with a known payload, or says why it is not one.
/// Never panics, whatever the bytes.
pub fn decode_request(body: &[u8]) -> Result<Request, ApiError> {
    let request = Request::decode(body).map_err(|e| ApiError::Malformed(format!("the body is not a Request: {e}")))?;
    if request.payload.is_none() {
        return Err(ApiError::UnknownOperation);
    }
    if request.seq > MAX_SEQ {
        return Err(ApiError::Malformed(format!("seq {} is above the largest allowed, 2^63 - 1", request.seq)));
    }
    Ok(request)
}

/// The operation's name, as logged (`proto/api.proto` names them).
pub fn operation(payload: &Payload) -> &'static str {
    payload.operation().name
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use summoner_proto::api::GetUserReq;

    use super::*;

    #[test]
    fn a_valid_request_decodes() {
        let req = Request { seq: 3, session_token: vec![1; 32], payload: Some(Payload::GetUser(GetUserReq {})) };
        assert_eq!(decode_request(&req.encode_to_vec()).unwrap(), req);
    }

    #[test]
    fn seqs_of_2_pow_63_and_above_are_refused() {
        let at = |seq| Request { seq, session_token: vec![1; 32], payload: Some(Payload::GetUser(GetUserReq {})) };
        assert_eq!(decode_request(&at(MAX_SEQ).encode_to_vec()).unwrap().seq, MAX_SEQ);
        for seq in [MAX_SEQ + 1, u64::MAX] {
            let refused = decode_request(&at(seq).encode_to_vec()).expect_err("refused");
            assert_eq!(refused.status_and_code().0, actix_web::http::StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn empty_body_has_no_payload() {
        assert!(matches!(decode_request(&[]), Err(ApiError::UnknownOperation)));
    }

    #[test]
    fn unknown_payload_field_is_an_unknown_operation() {
        // Field 500, length-delimited, empty: a payload from a newer protocol.
        assert!(matches!(decode_request(&[0xa2, 0x1f, 0x00]), Err(ApiError::UnknownOperation)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]
        /// Arbitrary bytes never panic the decoder, and every failure is a 400.
        #[test]
        fn arbitrary_bytes_decode_or_fail_with_400(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            match decode_request(&bytes) {
                Ok(req) => prop_assert!(req.payload.is_some()),
                Err(e) => prop_assert_eq!(e.status_and_code().0, actix_web::http::StatusCode::BAD_REQUEST),
            }
        }
    }
}
