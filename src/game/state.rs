//! `UserState`: everything a user's actor holds about its user, and the rules that derive
//! values from it (stamina regenerated from timestamps, level-ups).

use summoner_proto::api;

use crate::game::data::GameData;

/// A user's game state. Handlers work on a draft copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub user_id: u64,
    pub nickname: String,
    pub level: u32,
    pub exp: u64,
    pub gold: u64,
    pub gems: u64,
    /// Stamina as of `stamina_at_ms`; the current value adds what regenerated since.
    pub stamina: u32,
    pub stamina_at_ms: i64,
    /// Seed and position of the user's own ChaCha20 stream: every draw can be replayed.
    pub rng_seed: u64,
    pub rng_word_pos: u64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Where the user's rows live (assigned at registration, never changed).
    pub shards: UserShards,
    /// Friends' user ids, in the order they were added.
    pub friends: Vec<u64>,
}

/// The game and log shards a user is placed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserShards {
    pub game: i16,
    pub log: i16,
}

impl UserState {
    /// A new user as Register creates it (id assigned by storage).
    pub fn new_user(data: &GameData, rng_seed: u64, now_ms: i64) -> Self {
        Self {
            user_id: 0,
            nickname: String::new(),
            level: 1,
            exp: 0,
            gold: data.new_user.gold,
            gems: data.new_user.gems,
            stamina: data.stamina_max(1),
            stamina_at_ms: now_ms,
            rng_seed,
            rng_word_pos: 0,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            shards: UserShards::default(),
            friends: Vec::new(),
        }
    }

    /// Stamina at `now_ms`: the stored amount plus one point per regeneration period
    /// elapsed, up to the level's maximum (stamina above the maximum is kept, not cut).
    pub fn stamina_now(&self, data: &GameData, now_ms: i64) -> u32 {
        let max = data.stamina_max(self.level);
        if self.stamina >= max {
            return self.stamina;
        }
        let elapsed = (now_ms - self.stamina_at_ms).max(0);
        let gained = elapsed / data.stamina.regen_ms.max(1);
        let gained = u32::try_from(gained).unwrap_or(u32::MAX);
        self.stamina.saturating_add(gained).min(max)
    }

    /// Spends `cost` stamina at `now_ms`, keeping the progress towards the next point.
    /// Returns false (and changes nothing) when there is not enough.
    pub fn spend_stamina(&mut self, data: &GameData, cost: u32, now_ms: i64) -> bool {
        let current = self.stamina_now(data, now_ms);
        if current < cost {
            return false;
        }
        let max = data.stamina_max(self.level);
        if current >= max {
            self.stamina_at_ms = now_ms;
        } else {
            let regen = data.stamina.regen_ms.max(1);
            let periods = (now_ms - self.stamina_at_ms).max(0) / regen;
            self.stamina_at_ms += periods * regen;
        }
        self.stamina = current - cost;
        true
    }

    /// Adds experience, levelling up as often as it reaches the table's thresholds.
    /// Each level-up refills stamina to the new maximum. Returns (from, to) if the level changed.
    pub fn gain_exp(&mut self, data: &GameData, exp: u64, now_ms: i64) -> Option<(u32, u32)> {
        let from = self.level;
        self.exp = self.exp.saturating_add(exp);
        while let Some(need) = data.exp_to_next(self.level) {
            if self.exp < need {
                break;
            }
            self.exp -= need;
            self.level += 1;
        }
        if self.level == from {
            return None;
        }
        let max = data.stamina_max(self.level);
        self.stamina = self.stamina_now(data, now_ms).max(max);
        self.stamina_at_ms = now_ms;
        Some((from, self.level))
    }

    /// The profile as the client sees it at `now_ms`.
    pub fn to_proto(&self, data: &GameData, now_ms: i64) -> api::User {
        api::User {
            user_id: self.user_id,
            nickname: self.nickname.clone(),
            level: self.level,
            exp: self.exp,
            gold: self.gold,
            gems: self.gems,
            stamina: self.stamina_now(data, now_ms),
            stamina_max: data.stamina_max(self.level),
            created_at_ms: self.created_at_ms,
            friend_ids: self.friends.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(data: &GameData) -> UserState {
        UserState::new_user(data, 7, 1_000_000)
    }

    #[test]
    fn stamina_regenerates_one_point_per_period_up_to_the_maximum() {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut u = user(&data);
        let t0 = u.stamina_at_ms;
        assert!(u.spend_stamina(&data, 10, t0));
        let left = data.stamina_max(1) - 10;
        assert_eq!(u.stamina_now(&data, t0), left);
        assert_eq!(u.stamina_now(&data, t0 + data.stamina.regen_ms - 1), left);
        assert_eq!(u.stamina_now(&data, t0 + 3 * data.stamina.regen_ms), left + 3);
        assert_eq!(u.stamina_now(&data, t0 + 1_000 * data.stamina.regen_ms), data.stamina_max(1));
    }

    #[test]
    fn spending_keeps_partial_regeneration() {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut u = user(&data);
        let t0 = u.stamina_at_ms;
        assert!(u.spend_stamina(&data, 10, t0));
        let half = data.stamina.regen_ms / 2;
        assert!(u.spend_stamina(&data, 1, t0 + data.stamina.regen_ms + half));
        // One point regenerated and spent; the half period already elapsed still counts.
        assert_eq!(u.stamina_now(&data, t0 + 2 * data.stamina.regen_ms), data.stamina_max(1) - 10 + 1);
    }

    #[test]
    fn not_enough_stamina_changes_nothing() {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut u = user(&data);
        let before = u.clone();
        assert!(!u.spend_stamina(&data, data.stamina_max(1) + 1, u.stamina_at_ms));
        assert_eq!(u, before);
    }

    #[test]
    fn exp_levels_up_through_several_levels_and_refills_stamina() {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut u = user(&data);
        assert!(u.spend_stamina(&data, 5, u.stamina_at_ms));
        let need = data.exp_to_next(1).unwrap() + data.exp_to_next(2).unwrap();
        assert_eq!(u.gain_exp(&data, need + 3, 2_000_000), Some((1, 3)));
        assert_eq!(u.exp, 3);
        assert_eq!(u.stamina, data.stamina_max(3));
        assert_eq!(u.gain_exp(&data, 1, 2_000_000), None);
    }

    #[test]
    fn level_stops_at_the_table_maximum() {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut u = user(&data);
        u.gain_exp(&data, u64::MAX / 2, 0);
        assert_eq!(u.level, data.max_level());
    }
}
