//! What a handler produces besides its answer: events for quests to count, and what the
//! request makes durable, together its [`Effects`].

use summoner_proto::api::FriendSnapshot;

use crate::storage::UserPlace;

/// Something that happened to the user, as quests count it. The QuestActor that turns
/// events into progress consumes these; until it exists they are traced at debug level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GameEvent {
    /// An expedition finished.
    Explored { gold: u32, exp: u32 },
    /// The user reached a new level.
    LevelReached { level: u32 },
}

/// Everything one request changes, as the user's actor hands it to storage and quests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effects {
    /// Row writes and action-log records, committed with the stored reply.
    pub durable: crate::storage::Changes,
    /// Events for quests.
    pub events: Vec<GameEvent>,
    /// Where the writes go, and the owner epoch that fences them.
    pub place: UserPlace,
    /// What friends now see of the user, when that changed (published once committed).
    pub snapshot: Option<FriendSnapshot>,
}
