//! The words game data may use that the game's code gives meaning to: the events a quest can
//! count, the stage difficulties, the rewards that are neither item nor monster. The
//! compiler refuses sheets that use other words; the server's rules match on these.

/// The events quests can count (the game's `GameEvent` conditions); a quest on anything else
/// could never complete.
pub const QUEST_CONDITIONS: [&str; 14] = [
    "explore",
    "level_reached",
    "summon",
    "stage_clear",
    "login",
    "enhance",
    "battle_won",
    "purchase",
    "check_in",
    "evolve",
    "friend_added",
    "gift_sent",
    "dungeon_won",
    "clan_joined",
];

/// Stage difficulties, in unlock order.
pub const DIFFICULTIES: [&str; 3] = ["normal", "hard", "hell"];

/// The most monsters the starter box may hold (a first request mints them beside its own ids).
pub const STARTER_BOX_MOST: u32 = 32;

/// The rewards that are not an item or a monster.
pub const PLAIN_REWARDS: [&str; 4] = ["gold", "gems", "stamina", "friend_points"];
