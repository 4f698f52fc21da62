//! What a handler produces besides the new state and its answer: events for quests to
//! count, and action-log records for audit and analytics.

/// Something that happened to the user, as quests count it. The QuestActor that turns
/// events into progress consumes these; until it exists they are traced at debug level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GameEvent {
    /// An expedition finished.
    Explored { gold: u32, exp: u32 },
    /// The user reached a new level.
    LevelReached { level: u32 },
}

/// One action-log record: who did what, with which parameters, to what result, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLog {
    pub user_id: u64,
    pub action: &'static str,
    pub params: String,
    pub result: String,
    pub at_ms: i64,
}

/// Everything one request changes, as the user's actor hands it to storage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// Durable writes (profile, action logs), applied with the stored reply.
    pub writes: Vec<crate::storage::Write>,
    /// Events for quests.
    pub events: Vec<GameEvent>,
    /// Where the writes go.
    pub shards: crate::game::state::UserShards,
    /// What friends now see of the user, when that changed (published once committed).
    pub snapshot: Option<summoner_proto::api::FriendSnapshot>,
}
