//! Game data as handlers read it: the rules and tables of one compiled version, checked
//! and indexed once when the version is loaded.
//!
//! Handlers read game data only through `&GameData`; [`crate::game::catalog::Catalog`]
//! hands each request the version that was current when it started.

use std::ops::RangeInclusive;
use std::path::Path;

use summoner_proto::gamedata;

use crate::gdata::Compiled;
use crate::gdata::files::{self, FilesError};

/// The build shipped inside the binary (`gamedata/compiled/`), used when no compiled
/// folder is configured or present.
const EMBEDDED_DATA: &[u8] = include_bytes!("../../gamedata/compiled/gamedata.pb");
const EMBEDDED_STRINGS: [&[u8]; 2] =
    [include_bytes!("../../gamedata/compiled/string.en.pb"), include_bytes!("../../gamedata/compiled/string.ko.pb")];

/// One loaded version of the game data.
#[derive(Debug, Clone, PartialEq)]
pub struct GameData {
    pub version: u32,
    pub content_hash: String,
    pub new_user: NewUserRules,
    pub stamina: StaminaRules,
    pub explore: ExploreRules,
    pub nickname: NicknameRules,
    /// Per level: experience to the next level (0 at the top) and stamina maximum.
    levels: Vec<gamedata::Level>,
    /// The whole compiled content (monsters, pools, stages, quests, shop) and its strings.
    pub content: Compiled,
}

/// What a new account starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUserRules {
    pub gold: u64,
    pub gems: u64,
}

/// Stamina regeneration.
#[derive(Debug, Clone, PartialEq)]
pub struct StaminaRules {
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

/// A compiled version that the server cannot use.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error("invalid game data version {version}: {message}")]
    Invalid { version: u32, message: String },
}

impl GameData {
    /// Checks a compiled set for what the server relies on and indexes it.
    pub fn from_compiled(content: Compiled) -> Result<Self, DataError> {
        let version = content.data.version;
        let invalid = |message: &str| Err(DataError::Invalid { version, message: message.to_owned() });
        let Some(rules) = content.data.rules else {
            return invalid("no rules");
        };
        let levels = content.data.levels.clone();
        if levels.is_empty() || levels.iter().enumerate().any(|(i, l)| l.level as usize != i + 1 || l.stamina_max == 0)
        {
            return invalid("levels must count up from 1 with a stamina maximum");
        }
        if rules.stamina_regen_secs == 0 || rules.explore_stamina_cost == 0 {
            return invalid("stamina regeneration and explore cost must be positive");
        }
        if rules.explore_gold_min > rules.explore_gold_max
            || rules.explore_exp_min > rules.explore_exp_max
            || rules.nickname_min_chars > rules.nickname_max_chars
        {
            return invalid("a minimum is above its maximum in rules");
        }
        if content.strings.is_empty() {
            return invalid("no strings");
        }
        Ok(Self {
            version,
            content_hash: content.data.content_hash.clone(),
            new_user: NewUserRules { gold: rules.new_user_gold, gems: rules.new_user_gems },
            stamina: StaminaRules { regen_ms: i64::from(rules.stamina_regen_secs) * 1000 },
            explore: ExploreRules {
                stamina_cost: rules.explore_stamina_cost,
                gold: rules.explore_gold_min..=rules.explore_gold_max,
                exp: rules.explore_exp_min..=rules.explore_exp_max,
            },
            nickname: NicknameRules {
                min_chars: rules.nickname_min_chars as usize,
                max_chars: rules.nickname_max_chars as usize,
            },
            levels,
            content,
        })
    }

    /// Reads and checks the compiled files in `dir`.
    pub fn load(dir: &Path) -> Result<Self, DataError> {
        Self::from_compiled(files::read(dir)?)
    }

    /// The build shipped inside the binary.
    pub fn embedded() -> Result<Self, DataError> {
        let path = Path::new("<embedded>");
        let data = files::decode_data(path, EMBEDDED_DATA)?;
        let strings =
            EMBEDDED_STRINGS.iter().map(|bytes| files::decode_strings(path, bytes)).collect::<Result<Vec<_>, _>>()?;
        Self::from_compiled(Compiled { data, strings })
    }

    fn level_row(&self, level: u32) -> &gamedata::Level {
        let index = (level.max(1) as usize - 1).min(self.levels.len() - 1);
        &self.levels[index]
    }

    /// Stamina maximum at `level`.
    pub fn stamina_max(&self, level: u32) -> u32 {
        self.level_row(level).stamina_max
    }

    /// Experience needed to leave `level`; None at the top level.
    pub fn exp_to_next(&self, level: u32) -> Option<u64> {
        if level == 0 || level as usize >= self.levels.len() {
            return None;
        }
        Some(self.level_row(level).exp_to_next).filter(|&e| e > 0)
    }

    /// The highest level.
    pub fn max_level(&self) -> u32 {
        self.levels.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_build_loads() {
        let data = GameData::embedded().expect("embedded game data loads");
        assert!(data.version >= 1);
        assert_eq!(data.max_level(), data.content.data.levels.len() as u32);
        assert_eq!(data.exp_to_next(data.max_level()), None);
        assert!(data.exp_to_next(1).is_some());
    }
}
