//! Idempotent retries: what to do with a request, given its seq and the last applied one.
//!
//! Mobile networks drop answers, so clients retry with the same seq. The rules, as the
//! production server behind this design ran them:
//! - the seq of the last applied request again: the stored answer, byte for byte, every time,
//!   for as long as it is kept (until a newer seq is answered), as payment APIs answer an
//!   idempotency key. Answering it only once let a retry whose HTTP caller had already given
//!   up (it waited in the mailbox behind a slow commit) spend the one re-send, and the client
//!   never got the answer of, say, its summon;
//! - an older seq: `STALE_REQUEST`;
//! - a newer seq: a new request, handled.

/// The last request a user's actor answered, kept to answer its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAnswer {
    pub seq: u64,
    /// The encoded `Response` exactly as it was sent.
    pub bytes: Vec<u8>,
}

/// What to do with an incoming request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// A new request: handle it.
    Fresh,
    /// A retry of the last request: send these bytes again.
    Replay(&'a [u8]),
    /// Older than the last request.
    Stale,
}

/// Classifies `seq` against `last` (None: nothing answered yet in this session).
pub fn decide(last: Option<&LastAnswer>, seq: u64) -> Decision<'_> {
    let Some(last) = last else {
        return Decision::Fresh;
    };
    if seq > last.seq {
        Decision::Fresh
    } else if seq < last.seq {
        Decision::Stale
    } else {
        Decision::Replay(&last.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(seq: u64) -> LastAnswer {
        LastAnswer { seq, bytes: vec![1, 2, 3] }
    }

    #[test]
    fn first_request_of_a_session_is_fresh() {
        assert_eq!(decide(None, 1), Decision::Fresh);
        assert_eq!(decide(None, 0), Decision::Fresh);
    }

    #[test]
    fn newer_seq_is_fresh_even_with_gaps() {
        let last = answer(4);
        assert_eq!(decide(Some(&last), 5), Decision::Fresh);
        assert_eq!(decide(Some(&last), 50), Decision::Fresh);
    }

    #[test]
    fn every_retry_of_the_same_seq_gets_the_stored_bytes() {
        let last = answer(4);
        for _ in 0..3 {
            assert_eq!(decide(Some(&last), 4), Decision::Replay(&[1, 2, 3]));
        }
    }

    #[test]
    fn older_seq_is_stale() {
        let last = answer(4);
        assert_eq!(decide(Some(&last), 3), Decision::Stale);
        assert_eq!(decide(Some(&last), 0), Decision::Stale);
    }
}
