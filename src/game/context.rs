//! What a handler gets (game data, a draft of the user's state, the user's RNG stream, the
//! clock) and how it refuses a request.

use rand_chacha::ChaCha20Rng;
use summoner_proto::api::{ErrorCode, Extra};

use crate::game::data::GameData;
use crate::game::effects::GameEvent;
use crate::game::inbox::Outgoing;
use crate::game::reads::Fetched;
use crate::game::state::{Draft, MINT_RESERVE};
use crate::storage::ActionLog;

/// The world as one handler call sees it. Changes to `user` are kept only if the handler
/// succeeds and the writes commit.
pub struct HandlerCtx<'a, 's> {
    pub data: &'a GameData,
    /// A draft of the user's state: the profile, and overlays of what the user owns.
    pub user: &'a mut Draft<'s>,
    /// The user's own ChaCha20 stream, positioned where the last request left it.
    pub rng: &'a mut ChaCha20Rng,
    pub now_ms: i64,
    /// The request's seq (seeds draws that must repeat on a retry but change nothing).
    pub seq: u64,
    /// What the actor read for this request before the handler ran.
    pub fetched: Option<&'a Fetched>,
    /// Side effects to report in the response's `extra` part, in order.
    pub extras: Vec<Extra>,
    /// Events for quests to count.
    pub events: Vec<GameEvent>,
    /// Action-log records, written with the change.
    pub logs: Vec<ActionLog>,
    /// Deliveries to other users, committed as outbox rows with the change.
    pub sent: Vec<Outgoing>,
    /// Whether debug operations are served.
    pub test_operations: bool,
    /// Ids minted by this request so far.
    minted: u64,
}

impl<'a, 's> HandlerCtx<'a, 's> {
    /// A context for one request.
    pub fn new(
        data: &'a GameData,
        user: &'a mut Draft<'s>,
        rng: &'a mut ChaCha20Rng,
        now_ms: i64,
        seq: u64,
        fetched: Option<&'a Fetched>,
        test_operations: bool,
    ) -> Self {
        Self {
            data,
            user,
            rng,
            now_ms,
            seq,
            fetched,
            extras: Vec::new(),
            events: Vec::new(),
            logs: Vec::new(),
            sent: Vec::new(),
            test_operations,
            minted: 0,
        }
    }

    /// Records an action-log entry for the user at the current time.
    pub fn log(&mut self, action: &'static str, params: String, result: String) {
        self.logs.push(ActionLog { user_id: self.user.user_id(), action, params, result, at_ms: self.now_ms });
    }

    /// Sends `delivery` to user `receiver`: an outbox row in this request's commit, which the
    /// shard's delivery courier moves to the receiver's inbox (`crate::storage::delivery`).
    pub fn send(&mut self, receiver: u64, delivery: summoner_proto::social::delivery::Kind) {
        let id = self.mint_id();
        self.sent.push(Outgoing { id, receiver, delivery });
    }

    /// How many more ids this request may mint.
    pub fn mint_room(&self) -> u64 {
        MINT_RESERVE.saturating_sub(self.minted).min(self.user.profile.ids_left())
    }

    /// A new id for an entity the request creates: the next of the user's id block, so the
    /// same request on the same state mints the same ids. At most [`MINT_RESERVE`] per
    /// request (the dispatcher keeps that many in the block); more is a handler bug and
    /// panics, which answers that request with a server error.
    pub fn mint_id(&mut self) -> u64 {
        let profile = &mut self.user.profile;
        assert!(
            self.minted < MINT_RESERVE && profile.id_next < profile.id_end,
            "a request may mint at most {MINT_RESERVE} ids"
        );
        self.minted += 1;
        let id = profile.id_next;
        profile.id_next += 1;
        id
    }
}

/// A game-logic refusal: answered with HTTP 200 and `code`; nothing of the user's state
/// changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    /// The request looks like cheating: the refusal is recorded in the action log
    /// (`suspicious`) for review, though the user's state stays as it was.
    pub suspicious: bool,
}

impl Refusal {
    /// A refusal with its code and a developer-facing message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), suspicious: false }
    }

    /// A refusal of a request that looks forged, replayed or impossible, to be logged.
    pub fn suspicious(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), suspicious: true }
    }
}

/// What every handler returns.
pub type HandlerResult<T> = Result<T, Refusal>;
