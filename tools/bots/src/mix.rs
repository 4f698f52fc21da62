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
    Browse,
}

impl Behaviour {
    /// Every behaviour, in the order reports list them.
    pub const ALL: [Behaviour; 21] = [
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
        Behaviour::Browse,
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
            Behaviour::Browse => "browse",
        }
    }

    /// The operations it sends, as reports label them (`player::operation_name`).
    pub fn operations(self) -> &'static [&'static str] {
        match self {
            Behaviour::GetUser => &["get_user"],
            Behaviour::Summon => &["summon"],
            Behaviour::TenPull => &["summon_x10"],
            Behaviour::Enhance => &["enhance_monster"],
            Behaviour::SetTeam => &["set_team"],
            Behaviour::Battle => &["start_battle", "finish_battle"],
            Behaviour::QuestList => &["list_quests"],
            Behaviour::QuestClaim => &["claim_quest"],
            Behaviour::RecommendFriends => &["recommend_friends"],
            Behaviour::SendFriendRequest => &["send_friend_request"],
            Behaviour::FriendRequests => &["list_friend_requests"],
            Behaviour::AcceptRequest => &["accept_friend_request"],
            Behaviour::ListFriends => &["list_friends"],
            Behaviour::SendGifts => &["send_gift"],
            Behaviour::ClaimMail => &["claim_mail"],
            Behaviour::FriendDungeon => &["friend_dungeon_start", "friend_dungeon_finish"],
            Behaviour::Clan => &["search_clans", "create_clan", "join_clan", "leave_clan"],
            Behaviour::ShopBuy => &["buy_item"],
            Behaviour::CheckIn => &["check_in"],
            Behaviour::ListMonsters => &["list_monsters"],
            Behaviour::Browse => &["get_summon_rates", "list_mail", "list_summons", "get_friend_snapshot", "get_clan"],
        }
    }

    fn named(name: &str) -> Option<Behaviour> {
        Behaviour::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// Operations of the protocol no behaviour plays, and why: the bots' coverage is every
/// operation of `proto/api.proto`, played by a behaviour or named here (a test holds the
/// protocol, the behaviours and this list together).
pub const NOT_PLAYED: &[(&str, &str)] = &[
    ("register", "every bot signs in at its start with a Login that registers its account if it has none"),
    ("login", "every bot signs in at its start (registering if needed) and logs in again after a 401"),
    ("logout", "a bot plays one session for the whole run"),
    ("delete_account", "a bot keeps its account for the whole run (the consistency check reads it after)"),
    ("set_nickname", "a nickname is not part of what the consistency check compares"),
    ("explore", "its stamina cost competes with battles, which the mix measures instead"),
    ("evolve_monster", "needs a monster at its rarity's level cap, which a short run does not reach"),
    ("lock_monster", "a lock only refuses feeding and selling, which bots do by their own choice"),
    ("sell_monster", "bots keep their monsters to feed and field them"),
    ("decline_friend_request", "bots accept every request they can take"),
    ("cancel_friend_request", "bots keep their requests until answered"),
    ("remove_friend", "bots keep every friendship for gifts and dungeon visits"),
    ("approve_clan_request", "bots found and join open clans only"),
    ("reject_clan_request", "bots found and join open clans only"),
    ("kick_clan_member", "a clan's leader bot does not remove members"),
    ("promote_clan_member", "roles are not part of what bots play"),
    ("transfer_clan_leader", "roles are not part of what bots play"),
    ("disband_clan", "a clan ends when its last member leaves"),
    ("debug_panic", "test servers only"),
    ("debug_add_friend", "test servers only"),
    ("debug_grant_monsters", "test servers only"),
    ("debug_feed_monsters", "test servers only"),
];

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
