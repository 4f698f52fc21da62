//! Game data: the numbers designers tune. Until compiled sheets arrive (`summoner gdata`),
//! the server uses the built-in values of [`GameData::default`].
//!
//! Handlers read game data through `&GameData` only, so swapping in a loaded version is a
//! matter of handing them another `Arc<GameData>`.

use std::ops::RangeInclusive;

/// Everything handlers read besides the user's state.
#[derive(Debug, Clone, PartialEq)]
pub struct GameData {
    pub new_user: NewUserRules,
    pub stamina: StaminaRules,
    pub explore: ExploreRules,
    /// Experience needed to go from level `i + 1` to `i + 2`; its length + 1 is the top level.
    pub exp_table: Vec<u64>,
    pub nickname: NicknameRules,
}

/// What a new account starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUserRules {
    pub gold: u64,
    pub gems: u64,
}

/// Stamina maximum and regeneration.
#[derive(Debug, Clone, PartialEq)]
pub struct StaminaRules {
    pub base_max: u32,
    pub max_per_level: u32,
    /// One point regenerates per this many milliseconds.
    pub regen_ms: i64,
}

/// The Explore operation.
#[derive(Debug, Clone, PartialEq)]
pub struct ExploreRules {
    pub stamina_cost: u32,
    pub gold: RangeInclusive<u32>,
    pub exp: RangeInclusive<u32>,
}

/// What a nickname may be.
#[derive(Debug, Clone, PartialEq)]
pub struct NicknameRules {
    pub min_chars: usize,
    pub max_chars: usize,
}

impl Default for GameData {
    fn default() -> Self {
        Self {
            new_user: NewUserRules {
                gold: 1_000,
                gems: 100,
            },
            stamina: StaminaRules {
                base_max: 30,
                max_per_level: 1,
                regen_ms: 5 * 60 * 1000,
            },
            explore: ExploreRules {
                stamina_cost: 3,
                gold: 20..=40,
                exp: 10..=16,
            },
            // 100 per level at first, growing by 10 % a level: level 50 is a long way off.
            exp_table: (0..49)
                .map(|i| (100.0 * 1.1f64.powi(i)).round() as u64)
                .collect(),
            nickname: NicknameRules {
                min_chars: 2,
                max_chars: 16,
            },
        }
    }
}

impl GameData {
    /// Stamina maximum at `level`.
    pub fn stamina_max(&self, level: u32) -> u32 {
        self.stamina.base_max + self.stamina.max_per_level * level.saturating_sub(1)
    }

    /// Experience needed to leave `level`; None at the top level.
    pub fn exp_to_next(&self, level: u32) -> Option<u64> {
        self.exp_table
            .get(usize::try_from(level).ok()?.checked_sub(1)?)
            .copied()
    }

    /// The highest level.
    pub fn max_level(&self) -> u32 {
        u32::try_from(self.exp_table.len()).unwrap_or(u32::MAX - 1) + 1
    }
}
