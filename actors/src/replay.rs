//! Idempotent retries: what to do with a request, given its seq and the last applied one.
//!
//! Mobile networks drop answers, so clients retry with the same seq. The rules, as the
//! production server behind this design ran them:
//! - the seq of the last applied request again: the stored answer, byte for byte, once;
//! - that seq a second time or more: `DUPLICATE_REQUEST`;
//! - an older seq: `STALE_REQUEST`;
//! - a newer seq: a new request, handled.

/// The last request a user's actor answered, kept to answer its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAnswer {
    pub seq: u64,
    /// The encoded `Response` exactly as it was sent.
    pub bytes: Vec<u8>,
    /// How many times this seq was answered from `bytes` so far.
    pub replays: u32,
}

/// What to do with an incoming request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// A new request: handle it.
    Fresh,
    /// The first retry of the last request: send these bytes again.
    Replay(&'a [u8]),
    /// The second or later retry of the last request.
    Duplicate,
    /// Older than the last request.
    Stale,
}

/// Classifies `seq` against `last` (None: nothing answered yet in this session) and
/// counts a replay when it decides on one.
pub fn decide(last: Option<&mut LastAnswer>, seq: u64) -> Decision<'_> {
    let Some(last) = last else {
        return Decision::Fresh;
    };
    if seq > last.seq {
        Decision::Fresh
    } else if seq < last.seq {
        Decision::Stale
    } else if last.replays == 0 {
        last.replays = 1;
        Decision::Replay(&last.bytes)
    } else {
        last.replays = last.replays.saturating_add(1);
        Decision::Duplicate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(seq: u64) -> LastAnswer {
        LastAnswer { seq, bytes: vec![1, 2, 3], replays: 0 }
    }

    #[test]
    fn first_request_of_a_session_is_fresh() {
        assert_eq!(decide(None, 1), Decision::Fresh);
        assert_eq!(decide(None, 0), Decision::Fresh);
    }

    #[test]
    fn newer_seq_is_fresh_even_with_gaps() {
        let mut last = answer(4);
        assert_eq!(decide(Some(&mut last), 5), Decision::Fresh);
        assert_eq!(decide(Some(&mut last), 50), Decision::Fresh);
        assert_eq!(last.replays, 0);
    }

    #[test]
    fn same_seq_replays_once_then_is_duplicate() {
        let mut last = answer(4);
        assert_eq!(decide(Some(&mut last), 4), Decision::Replay(&[1, 2, 3]));
        assert_eq!(decide(Some(&mut last), 4), Decision::Duplicate);
        assert_eq!(decide(Some(&mut last), 4), Decision::Duplicate);
        assert_eq!(last.replays, 3);
    }

    #[test]
    fn older_seq_is_stale() {
        let mut last = answer(4);
        assert_eq!(decide(Some(&mut last), 3), Decision::Stale);
        assert_eq!(decide(Some(&mut last), 0), Decision::Stale);
        assert_eq!(last.replays, 0);
    }
}
