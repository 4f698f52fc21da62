//! Rows as the game shards store them, and their conversion to and from `UserState`.

use crate::game::state::{UserShards, UserState};
use crate::storage::schema::users;

/// A user's profile row.
#[derive(Debug, Clone, diesel::Queryable, diesel::Selectable, diesel::Insertable, diesel::AsChangeset)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub user_id: i64,
    pub nickname: String,
    pub level: i32,
    pub exp: i64,
    pub gold: i64,
    pub gems: i64,
    pub stamina: i32,
    pub stamina_at_ms: i64,
    pub rng_seed: i64,
    pub rng_word_pos: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Friends' user ids, comma-separated.
    pub friends: String,
}

// Unsigned values are stored as their two's-complement bit pattern: lossless both ways.
impl From<&UserState> for UserRow {
    fn from(u: &UserState) -> Self {
        Self {
            user_id: u.user_id as i64,
            nickname: u.nickname.clone(),
            level: u.level as i32,
            exp: u.exp as i64,
            gold: u.gold as i64,
            gems: u.gems as i64,
            stamina: u.stamina as i32,
            stamina_at_ms: u.stamina_at_ms,
            rng_seed: u.rng_seed as i64,
            rng_word_pos: u.rng_word_pos as i64,
            created_at_ms: u.created_at_ms,
            updated_at_ms: u.updated_at_ms,
            friends: u.friends.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
        }
    }
}

impl UserRow {
    /// The state of this row for a user placed on `shards`.
    pub fn into_state(self, shards: UserShards) -> UserState {
        UserState {
            user_id: self.user_id as u64,
            nickname: self.nickname,
            level: self.level as u32,
            exp: self.exp as u64,
            gold: self.gold as u64,
            gems: self.gems as u64,
            stamina: self.stamina as u32,
            stamina_at_ms: self.stamina_at_ms,
            rng_seed: self.rng_seed as u64,
            rng_word_pos: self.rng_word_pos as u64,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            // Written only by `From<&UserState>`; an id that does not parse cannot occur.
            friends: self.friends.split(',').filter_map(|id| id.parse().ok()).collect(),
            shards,
        }
    }
}
