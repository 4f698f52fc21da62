//! The profile: the user's one row of scalar values (level, currencies, stamina, the RNG
//! stream's position, the block of entity ids), with the rules that derive values from it
//! (stamina from timestamps, level-ups), its row, and the columns a request changed.

use std::ops::Range;

use crate::game::data::GameData;
use crate::storage::rows::{Row, RowError, RowReader, Value};
use crate::storage::tables::USERS;

/// The profile. A request changes a copy; only the columns it changed are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user_id: u64,
    pub nickname: String,
    pub level: u32,
    pub exp: u64,
    pub gold: u64,
    pub gems: u64,
    /// Stamina as of `stamina_at_ms`; the current value adds what regenerated since.
    pub stamina: u32,
    pub stamina_at_ms: i64,
    /// Seed and position of the user's own ChaCha20 stream: every draw can be replayed. The
    /// stream's key is `rng_key` (256 bits, hex) when set, as for every user since it was
    /// added; users from before keep the stream of their 63-bit `rng_seed`
    /// (`crate::game::dispatch::rng_for`).
    pub rng_seed: u64,
    pub rng_word_pos: u64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// The ids the user's new entities take, in order (`crate::ids::IdGenerator::next_block`).
    pub id_next: u64,
    pub id_end: u64,
    /// The template of the first monster of the first team, as friends see the user ("" when
    /// that team is empty).
    pub leader: String,
    /// The key of the user's streams, 64 hex digits. A user from before keys keeps the
    /// gameplay stream of `rng_seed`, and holds `side:` and 64 hex digits: a key for the side
    /// streams only (values shown to the client), given at their first activation since; ""
    /// until then.
    pub rng_key: String,
}

/// The columns of `users` after the key, in the table's order; [`Profile::columns`] and
/// [`Profile::from_row`] follow it (checked by a test).
const COLUMNS: usize = 15;
/// Where `id_next`, `id_end` and `rng_key` are among [`COLUMNS`]: what an activation may set
/// at load, stored by its next commit.
const ID_COLUMNS: [usize; 3] = [11, 12, 14];

/// What marks a side key (a user from before keys) in `rng_key`.
const SIDE_KEY: &str = "side:";

impl Profile {
    /// A new user's profile (id assigned at registration) with its first block of ids.
    pub fn new_user(data: &GameData, rng_seed: u64, ids: Range<u64>, now_ms: i64) -> Self {
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
            id_next: ids.start,
            id_end: ids.end,
            leader: String::new(),
            rng_key: String::new(),
        }
    }

    /// This profile with its streams keyed by `key` (a new user's, from the operating
    /// system's generator).
    pub fn with_rng_key(self, key: [u8; 32]) -> Self {
        Self { rng_key: hex::encode(key), ..self }
    }

    /// The key of the user's gameplay stream, when the profile has one.
    pub fn stream_key(&self) -> Option<[u8; 32]> {
        hex::decode(&self.rng_key).ok()?.try_into().ok()
    }

    /// The key of the user's side streams: their stream key, or a user from before keys'
    /// side key.
    pub fn side_key(&self) -> Option<[u8; 32]> {
        let side = self.rng_key.strip_prefix(SIDE_KEY).unwrap_or(&self.rng_key);
        hex::decode(side).ok()?.try_into().ok()
    }

    /// Gives a user from before keys (no key at all) a key for their side streams; answers
    /// whether it did (the profile then has a column to store).
    pub fn give_side_key(&mut self, key: [u8; 32]) -> bool {
        if !self.rng_key.is_empty() {
            return false;
        }
        self.rng_key = format!("{SIDE_KEY}{}", hex::encode(key));
        true
    }

    fn columns(&self) -> [Value; COLUMNS] {
        [
            Value::Text(self.nickname.clone()),
            Value::Int(i64::from(self.level)),
            Value::uint(self.exp),
            Value::uint(self.gold),
            Value::uint(self.gems),
            Value::Int(i64::from(self.stamina)),
            Value::Int(self.stamina_at_ms),
            Value::uint(self.rng_seed),
            Value::uint(self.rng_word_pos),
            Value::Int(self.created_at_ms),
            Value::Int(self.updated_at_ms),
            Value::uint(self.id_next),
            Value::uint(self.id_end),
            Value::Text(self.leader.clone()),
            Value::Text(self.rng_key.clone()),
        ]
    }

    /// The `users` row.
    pub fn row(&self) -> Row {
        let mut row = vec![Value::uint(self.user_id)];
        row.extend(self.columns());
        row
    }

    /// The profile stored in a `users` row.
    pub fn from_row(row: &Row) -> Result<Self, RowError> {
        let mut r = RowReader::new(&USERS, row)?;
        Ok(Self {
            user_id: r.uint()?,
            nickname: r.text()?,
            level: r.u32()?,
            exp: r.uint()?,
            gold: r.uint()?,
            gems: r.uint()?,
            stamina: r.u32()?,
            stamina_at_ms: r.int()?,
            rng_seed: r.uint()?,
            rng_word_pos: r.uint()?,
            created_at_ms: r.int()?,
            updated_at_ms: r.int()?,
            id_next: r.uint()?,
            id_end: r.uint()?,
            leader: r.text()?,
            rng_key: r.text()?,
        })
    }

    /// The columns that differ from `before` (index in the table's columns, new value).
    pub fn changed_since(&self, before: &Profile) -> Vec<(usize, Value)> {
        let (now, then) = (self.columns(), before.columns());
        now.into_iter().zip(then).enumerate().filter(|(_, (a, b))| a != b).map(|(i, (a, _))| (i, a)).collect()
    }

    /// The columns an activation sets at load (the id block, a side key), written by its next
    /// commit.
    pub fn id_columns(&self) -> Vec<(usize, Value)> {
        let columns = self.columns();
        ID_COLUMNS.into_iter().map(|i| (i, columns[i].clone())).collect()
    }

    /// Ids left in the user's block.
    pub fn ids_left(&self) -> u64 {
        self.id_end.saturating_sub(self.id_next)
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
        if self.stamina_now(data, now_ms) < cost {
            return false;
        }
        let current = self.settle_stamina(data, now_ms);
        self.stamina = current - cost;
        true
    }

    /// Adds `amount` stamina at `now_ms` (it may go above the maximum), keeping the progress
    /// towards the next regenerated point.
    pub fn add_stamina(&mut self, data: &GameData, amount: u32, now_ms: i64) {
        let current = self.settle_stamina(data, now_ms);
        self.stamina = current.saturating_add(amount);
    }

    /// Counts what regenerated up to `now_ms` into `stamina_at_ms`, keeping the part of a
    /// period already elapsed (none at the maximum, where nothing regenerates); answers the
    /// stamina now, for the caller to set.
    fn settle_stamina(&mut self, data: &GameData, now_ms: i64) -> u32 {
        let current = self.stamina_now(data, now_ms);
        if current >= data.stamina_max(self.level) {
            self.stamina_at_ms = now_ms;
        } else {
            let regen = data.stamina.regen_ms.max(1);
            let periods = (now_ms - self.stamina_at_ms).max(0) / regen;
            self.stamina_at_ms += periods * regen;
        }
        current
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::rows::RowWrite;

    fn profile(data: &GameData) -> Profile {
        Profile::new_user(data, 7, 256..512, 1_000_000)
    }

    #[test]
    fn the_row_matches_the_table_and_reads_back() {
        let data = GameData::embedded().expect("embedded game data loads");
        let p = Profile { user_id: u64::MAX - 3, gold: u64::MAX, nickname: "Miho".into(), ..profile(&data) };
        assert_eq!(USERS.columns.len(), COLUMNS);
        assert!(RowWrite::Upsert(&USERS, p.row()).check().is_ok());
        assert_eq!(Profile::from_row(&p.row()).unwrap(), p);
        let ids = p.id_columns();
        assert_eq!(USERS.columns[ids[0].0].name, "id_next");
        assert_eq!(USERS.columns[ids[1].0].name, "id_end");
        assert_eq!(USERS.columns[ids[2].0].name, "rng_key");
        let keyed = Profile { rng_key: format!("side:{}", "ab".repeat(32)), ..p };
        assert_eq!(Profile::from_row(&keyed.row()).unwrap(), keyed, "a side key reads back");
        assert!(keyed.stream_key().is_none() && keyed.side_key() == Some([0xab; 32]));
    }

    #[test]
    fn only_changed_columns_are_reported() {
        let data = GameData::embedded().expect("embedded game data loads");
        let before = profile(&data);
        let mut after = before.clone();
        after.gold += 5;
        after.nickname = "Leo".into();
        let changed = after.changed_since(&before);
        let names: Vec<&str> = changed.iter().map(|(i, _)| USERS.columns[*i].name).collect();
        assert_eq!(names, ["nickname", "gold"]);
        assert!(before.changed_since(&before).is_empty());
    }

    #[test]
    fn stamina_regenerates_one_point_per_period_up_to_the_maximum() {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut u = profile(&data);
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
        let mut u = profile(&data);
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
        let mut u = profile(&data);
        let before = u.clone();
        assert!(!u.spend_stamina(&data, data.stamina_max(1) + 1, u.stamina_at_ms));
        assert_eq!(u, before);
    }

    #[test]
    fn exp_levels_up_through_several_levels_and_refills_stamina() {
        let data = GameData::embedded().expect("embedded game data loads");
        let mut u = profile(&data);
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
        let mut u = profile(&data);
        u.gain_exp(&data, u64::MAX / 2, 0);
        assert_eq!(u.level, data.max_level());
    }
}
