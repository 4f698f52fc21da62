//! The behaviours a bot picks from and their weights (a TOML file of `name = weight`; the
//! shipped default is `default_mix.toml`).

use std::collections::BTreeMap;
use std::path::Path;

/// What a bot can do in one turn. Some take two requests over time (a battle is started,
/// then finished once its minimum duration passed); the second is sent as the bot's next
/// turn once it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Behaviour {
    GetUser,
    Summon,
    TenPull,
    Enhance,
    SetTeam,
    Battle,
    QuestList,
    QuestClaim,
    RecommendFriends,
    SendFriendRequest,
    FriendRequests,
    AcceptRequest,
    ListFriends,
    SendGifts,
    ClaimMail,
    FriendDungeon,
    Clan,
    ShopBuy,
    CheckIn,
    ListMonsters,
}

impl Behaviour {
    /// Every behaviour, in the order reports list them.
    pub const ALL: [Behaviour; 20] = [
        Behaviour::GetUser,
        Behaviour::Summon,
        Behaviour::TenPull,
        Behaviour::Enhance,
        Behaviour::SetTeam,
        Behaviour::Battle,
        Behaviour::QuestList,
        Behaviour::QuestClaim,
        Behaviour::RecommendFriends,
        Behaviour::SendFriendRequest,
        Behaviour::FriendRequests,
        Behaviour::AcceptRequest,
        Behaviour::ListFriends,
        Behaviour::SendGifts,
        Behaviour::ClaimMail,
        Behaviour::FriendDungeon,
        Behaviour::Clan,
        Behaviour::ShopBuy,
        Behaviour::CheckIn,
        Behaviour::ListMonsters,
    ];

    /// The name the mix file and the reports use.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::GetUser => "get_user",
            Behaviour::Summon => "summon",
            Behaviour::TenPull => "ten_pull",
            Behaviour::Enhance => "enhance",
            Behaviour::SetTeam => "set_team",
            Behaviour::Battle => "battle",
            Behaviour::QuestList => "quest_list",
            Behaviour::QuestClaim => "quest_claim",
            Behaviour::RecommendFriends => "recommend_friends",
            Behaviour::SendFriendRequest => "send_friend_request",
            Behaviour::FriendRequests => "friend_requests",
            Behaviour::AcceptRequest => "accept_request",
            Behaviour::ListFriends => "list_friends",
            Behaviour::SendGifts => "send_gifts",
            Behaviour::ClaimMail => "claim_mail",
            Behaviour::FriendDungeon => "friend_dungeon",
            Behaviour::Clan => "clan",
            Behaviour::ShopBuy => "shop_buy",
            Behaviour::CheckIn => "check_in",
            Behaviour::ListMonsters => "list_monsters",
        }
    }

    fn named(name: &str) -> Option<Behaviour> {
        Behaviour::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// Why a mix file was refused.
#[derive(Debug, thiserror::Error)]
pub enum MixError {
    #[error("cannot read the mix {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the mix is not a TOML table of behaviour = weight: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("unknown behaviour {0:?} in the mix (known: {known})", known = known())]
    Unknown(String),
    #[error("the weight of {0} must be a finite number of at least 0")]
    Weight(String),
    #[error("every weight of the mix is 0: the bots would have nothing to do")]
    Empty,
}

fn known() -> String {
    Behaviour::ALL.iter().map(|b| b.name()).collect::<Vec<_>>().join(", ")
}

/// Weights of the behaviours.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    weights: BTreeMap<Behaviour, f64>,
}

impl Mix {
    /// The shipped default mix.
    pub fn default_mix() -> Self {
        Self::parse(include_str!("default_mix.toml")).expect("the shipped mix parses")
    }

    /// Reads a mix file.
    pub fn load(path: &Path) -> Result<Self, MixError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| MixError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text)
    }

    /// Parses `name = weight` lines; behaviours not named get 0.
    pub fn parse(text: &str) -> Result<Self, MixError> {
        let table: BTreeMap<String, f64> = toml::from_str(text)?;
        let mut weights = BTreeMap::new();
        for (name, weight) in table {
            let behaviour = Behaviour::named(&name).ok_or_else(|| MixError::Unknown(name.clone()))?;
            if !weight.is_finite() || weight < 0.0 {
                return Err(MixError::Weight(name));
            }
            weights.insert(behaviour, weight);
        }
        if weights.values().all(|w| *w == 0.0) {
            return Err(MixError::Empty);
        }
        Ok(Self { weights })
    }

    /// The weight of `behaviour` (0 when the mix leaves it out).
    pub fn weight(&self, behaviour: Behaviour) -> f64 {
        self.weights.get(&behaviour).copied().unwrap_or(0.0)
    }

    /// Picks one of `candidates` by weight with `roll` in [0, 1); `None` if none weighs
    /// anything.
    pub fn pick(&self, candidates: &[Behaviour], roll: f64) -> Option<Behaviour> {
        let total: f64 = candidates.iter().map(|b| self.weight(*b)).sum();
        if total <= 0.0 {
            return None;
        }
        let mut left = roll * total;
        for b in candidates {
            let w = self.weight(*b);
            if w > 0.0 && left < w {
                return Some(*b);
            }
            left -= w;
        }
        candidates.iter().rev().copied().find(|b| self.weight(*b) > 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_mix_weighs_every_behaviour() {
        let mix = Mix::default_mix();
        for b in Behaviour::ALL {
            assert!(mix.weight(b) > 0.0, "{} has no weight", b.name());
        }
    }

    #[test]
    fn bad_mixes_are_refused_with_the_reason() {
        assert!(matches!(Mix::parse("fly = 3"), Err(MixError::Unknown(n)) if n == "fly"));
        assert!(matches!(Mix::parse("summon = -1"), Err(MixError::Weight(n)) if n == "summon"));
        assert!(matches!(Mix::parse("summon = 0"), Err(MixError::Empty)));
        assert!(matches!(Mix::parse("summon = "), Err(MixError::Toml(_))));
    }

    #[test]
    fn a_pick_follows_the_weights_of_the_candidates() {
        let mix = Mix::parse("summon = 1\nbattle = 3\nclan = 0").unwrap();
        let both = [Behaviour::Summon, Behaviour::Battle, Behaviour::Clan];
        assert_eq!(mix.pick(&both, 0.0), Some(Behaviour::Summon));
        assert_eq!(mix.pick(&both, 0.24), Some(Behaviour::Summon));
        assert_eq!(mix.pick(&both, 0.26), Some(Behaviour::Battle));
        assert_eq!(mix.pick(&both, 0.999), Some(Behaviour::Battle));
        assert_eq!(mix.pick(&[Behaviour::Clan], 0.5), None);
        assert_eq!(mix.pick(&[], 0.5), None);
    }
}
