//! What a handler produces besides its answer: events for quests to count, and what the
//! request makes durable, together its [`Effects`].

use std::sync::Arc;

use summoner_proto::api::FriendSnapshot;

use crate::game::data::GameData;
use crate::storage::UserPlace;

/// Something that happened to the user, as quests count it. Handlers emit them; the
/// QuestActor matches them against the quests of the game data (`crate::game::quests`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GameEvent {
    /// The first request of a game day.
    LoggedIn,
    /// An expedition finished.
    Explored { gold: u32, exp: u32 },
    /// The user reached a new level.
    LevelReached { level: u32 },
    /// A monster of `rarity` was summoned (one event per draw).
    Summoned { rarity: u32 },
    /// A monster was fed others.
    Enhanced,
    /// A monster rose a rarity.
    Evolved,
    /// A battle was won with `stars`.
    BattleWon { stars: u32 },
    /// A stage difficulty (`stage:difficulty`) was won.
    StageCleared { stage: String },
    /// Something was bought in the shop.
    Purchased,
    /// The daily check-in.
    CheckedIn,
    /// A friendship started (on this user's side).
    FriendAdded,
    /// A gift went to a friend (one event per friend).
    GiftSent,
    /// A friend's dungeon was won.
    DungeonWon,
    /// The user joined a clan (founded it, joined it, or was taken in).
    ClanJoined,
}

impl GameEvent {
    /// The quest condition it counts for (`quests.csv`).
    pub fn condition(&self) -> &'static str {
        match self {
            Self::LoggedIn => "login",
            Self::Explored { .. } => "explore",
            Self::LevelReached { .. } => "level_reached",
            Self::Summoned { .. } => "summon",
            Self::Enhanced => "enhance",
            Self::Evolved => "evolve",
            Self::BattleWon { .. } => "battle_won",
            Self::StageCleared { .. } => "stage_clear",
            Self::Purchased => "purchase",
            Self::CheckedIn => "check_in",
            Self::FriendAdded => "friend_added",
            Self::GiftSent => "gift_sent",
            Self::DungeonWon => "dungeon_won",
            Self::ClanJoined => "clan_joined",
        }
    }
}

/// Everything one request changes, as the user's actor hands it to storage and quests.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Effects {
    /// Row writes and action-log records, committed with the stored reply.
    pub durable: crate::storage::Changes,
    /// Events for quests.
    pub events: Vec<GameEvent>,
    /// Where the writes go, and the owner epoch that fences them.
    pub place: UserPlace,
    /// What friends now see of the user, when that changed (published once committed).
    pub snapshot: Option<FriendSnapshot>,
    /// The game-data version the request ran on (quests are matched on the same one).
    pub data: Option<Arc<GameData>>,
    /// The request's time.
    pub now_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use summoner_proto::vocabulary::QUEST_CONDITIONS;

    #[test]
    fn every_condition_the_sheets_accept_has_an_event() {
        let events = [
            GameEvent::LoggedIn,
            GameEvent::Explored { gold: 0, exp: 0 },
            GameEvent::LevelReached { level: 2 },
            GameEvent::Summoned { rarity: 1 },
            GameEvent::Enhanced,
            GameEvent::Evolved,
            GameEvent::BattleWon { stars: 1 },
            GameEvent::StageCleared { stage: String::new() },
            GameEvent::Purchased,
            GameEvent::CheckedIn,
            GameEvent::FriendAdded,
            GameEvent::GiftSent,
            GameEvent::DungeonWon,
            GameEvent::ClanJoined,
        ];
        let mut conditions: Vec<&str> = events.iter().map(GameEvent::condition).collect();
        let mut accepted = QUEST_CONDITIONS.to_vec();
        conditions.sort_unstable();
        accepted.sort_unstable();
        assert_eq!(conditions, accepted);
    }
}
