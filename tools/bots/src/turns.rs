//! What a bot does with a turn: which behaviours it can play now, given what earlier
//! answers told it ([`Knowledge`], beside the ledger), and the request each one sends.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rand::RngExt;
use summoner_proto::api::{
    AcceptFriendRequestReq, BuyItemReq, CheckInReq, ClaimMailReq, ClaimQuestReq, ClanInfo, CreateClanReq,
    EnhanceMonsterReq, ErrorCode, FinishBattleReq, GetClanReq, GetFriendSnapshotReq, GetSummonRatesReq, GetUserReq,
    JoinClanReq, LeaveClanReq, ListFriendRequestsReq, ListFriendsReq, ListMailReq, ListMonstersReq, ListQuestsReq,
    ListSummonsReq, MonsterInfo, RecommendFriendsReq, Response, SearchClansReq, SendFriendRequestReq, SendGiftReq,
    SetTeamReq, StartBattleReq, SummonReq, VisitFriendDungeonReq, request::Payload as Q, response::Payload as R,
};
use summoner_proto::gamedata::{Currency, GameData};

use crate::mix::{Behaviour, Mix};
use crate::pacing::MACRO_SCRIPT;
use crate::player::Bot;

/// The team slot bots fight with.
const TEAM: u32 = 1;
/// Monsters a bot keeps in its box however it enhances (its team and some spare).
const KEEP_MONSTERS: usize = 10;
/// Margin added to a battle's minimum duration before it is finished.
const MARGIN: Duration = Duration::from_millis(300);

/// What bots read from the game data, as a client ships it.
#[derive(Debug, Clone)]
pub struct Facts {
    /// (pool, currency, cost, ten cost), in the sheet's order.
    pools: Vec<(String, Currency, u64, u64)>,
    /// Stage difficulty → (stamina cost, minimum duration).
    stages: BTreeMap<String, (u32, Duration)>,
    first_stage: String,
    dungeon_min: Duration,
    friend_limit: usize,
    box_limit: usize,
    clan_create_gold: u64,
    /// Rarity → gold per monster fed.
    enhance_gold: BTreeMap<u32, u64>,
    /// (item, currency, price).
    shop: Vec<(String, Currency, u64)>,
    /// The prefix of the clan names bots found and search for.
    pub clan_prefix: String,
}

impl Facts {
    /// What `data` (the compiled game data a client ships) tells a bot.
    pub fn new(data: &GameData, clan_prefix: &str) -> Self {
        let pools = data
            .summon_pools
            .iter()
            .map(|p| (p.uid.clone(), p.cost_currency(), u64::from(p.cost), u64::from(p.ten_cost)))
            .collect();
        let mut stages = BTreeMap::new();
        for stage in &data.stages {
            for (difficulty, level) in [("normal", &stage.normal), ("hard", &stage.hard), ("hell", &stage.hell)] {
                if let Some(level) = level {
                    let key = format!("{}:{difficulty}", stage.uid);
                    stages.insert(key, (level.stamina_cost, Duration::from_secs(u64::from(level.min_clear_secs))));
                }
            }
        }
        let first_stage = data.stages.first().map(|s| format!("{}:normal", s.uid)).unwrap_or_default();
        let enhance_gold = data.rarities.iter().map(|r| (r.rarity, u64::from(r.enhance_gold))).collect();
        let shop = data.shop_items.iter().map(|i| (i.uid.clone(), i.price_currency(), u64::from(i.price))).collect();
        let rules = data.rules.clone().unwrap_or_default();
        Self {
            pools,
            stages,
            first_stage,
            dungeon_min: Duration::from_secs(u64::from(rules.friend_dungeon_min_secs)),
            friend_limit: rules.friend_limit as usize,
            box_limit: rules.box_limit as usize,
            clan_create_gold: u64::from(rules.clan_create_gold),
            enhance_gold,
            shop,
            clan_prefix: clan_prefix.chars().take(8).collect(),
        }
    }
}

/// A second request a behaviour owes, and when it is due.
#[derive(Debug, Clone)]
struct Pending {
    due: Instant,
    payload: Q,
}

/// What a bot learned from answers, beside its ledger: whom it may befriend, what it may
/// claim or fight, and when it may check in or gift again.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    candidates: Vec<u64>,
    incoming: Vec<u64>,
    outgoing: BTreeSet<u64>,
    gifts_again_at_ms: i64,
    /// Clans the last search found (`None`: no search since the last join or leave).
    clans: Option<Vec<ClanInfo>>,
    /// Stage difficulties unlocked, in the order they were.
    unlocked: Vec<String>,
    /// How far in `unlocked` the team is strong enough.
    strong_enough: usize,
    check_in_at_ms: i64,
    /// Item → when it may be bought again (a limit was reached).
    sold_out_until_ms: BTreeMap<String, i64>,
    /// After leaving a clan the server holds the bot back from another (`CLAN_COOLDOWN`):
    /// until then it only looks.
    clan_wait_until_ms: i64,
    /// Friend → when their dungeon may be visited again.
    visited_until_ms: BTreeMap<u64, i64>,
    pending: Option<Pending>,
    /// How many times the bot browsed (it reads in turn what `browse` reads).
    browsed: usize,
    /// The server's clock as the last answer told it.
    server_ms: i64,
}

/// How long a bot waits before visiting again a friend who had no team.
const FRIEND_TEAM_RETRY_MS: i64 = 2_000;

impl Knowledge {
    /// Takes what an answer (or a refusal) tells beyond the ledger.
    pub fn learn(&mut self, facts: &Facts, request: &Q, response: &Response) {
        self.server_ms = self.server_ms.max(response.server_time_ms);
        let code = ErrorCode::try_from(response.error).unwrap_or(ErrorCode::Internal);
        // After a refusal by a daily limit, try again in an hour (the day's end is the
        // server's business).
        let later = self.server_ms + 3_600_000;
        match (request, &response.payload, code) {
            (_, Some(R::RecommendFriends(r)), _) => {
                self.candidates = r.candidates.iter().map(|c| c.user_id).collect();
            }
            (Q::SendFriendRequest(q), _, _) => {
                self.candidates.retain(|c| *c != q.user_id);
                if code == ErrorCode::Ok {
                    self.outgoing.insert(q.user_id);
                }
            }
            (_, Some(R::ListFriendRequests(r)), _) => {
                self.incoming = r.incoming.iter().map(|i| i.user_id).collect();
                self.outgoing = r.outgoing.iter().map(|i| i.user_id).collect();
            }
            (Q::AcceptFriendRequest(q), _, _) => self.incoming.retain(|i| *i != q.user_id),
            (_, Some(R::ListFriends(r)), _) => {
                self.gifts_again_at_ms = r.friends.iter().map(|f| f.gift_again_at_ms).min().unwrap_or(0);
                self.outgoing.retain(|o| !r.friends.iter().any(|f| f.user_id == *o));
            }
            (_, Some(R::SendGift(r)), _) => self.gifts_again_at_ms = r.again_at_ms,
            (Q::SendGift(_), _, ErrorCode::GiftAlreadySent) => self.gifts_again_at_ms = later,
            (_, Some(R::CheckIn(r)), _) => self.check_in_at_ms = r.next_at_ms,
            (Q::CheckIn(_), _, ErrorCode::AlreadyCheckedIn) => self.check_in_at_ms = later,
            (Q::BuyItem(q), _, ErrorCode::PurchaseLimitReached) => {
                self.sold_out_until_ms.insert(q.item.clone(), later);
            }
            (_, Some(R::SearchClans(r)), _) => self.clans = Some(r.clans.clone()),
            (Q::JoinClan(_) | Q::CreateClan(_), _, ErrorCode::ClanCooldown) => {
                (self.clans, self.clan_wait_until_ms) = (None, later);
            }
            (Q::JoinClan(_) | Q::LeaveClan(_) | Q::CreateClan(_), _, _) => self.clans = None,
            (Q::StartBattle(q), Some(R::StartBattle(r)), _) => {
                // The server simulates the battle (docs/BATTLE.md): a bot plays it on auto,
                // claims nothing, and finishes no sooner than a win may come.
                let wait = facts.stages.get(&q.stage).map_or(Duration::ZERO, |s| s.1);
                let finish =
                    FinishBattleReq { battle_token: r.battle_token, elapsed_ms: elapsed(wait), ..Default::default() };
                self.owe(Q::FinishBattle(finish), wait);
            }
            (_, Some(R::FinishBattle(r)), _) => {
                for stage in &r.unlocked {
                    if !self.unlocked.contains(stage) {
                        self.unlocked.push(stage.clone());
                    }
                }
                self.strong_enough =
                    if r.won { self.unlocked.len().saturating_sub(1) } else { self.strong_enough.saturating_sub(1) };
            }
            (Q::VisitFriendDungeon(q), Some(R::VisitFriendDungeon(r)), _) if q.battle_token == 0 => {
                self.visited_until_ms.insert(q.friend_id, later);
                let finish = VisitFriendDungeonReq {
                    friend_id: q.friend_id,
                    team_slot: q.team_slot,
                    battle_token: r.battle_token,
                    elapsed_ms: elapsed(facts.dungeon_min),
                    ..Default::default()
                };
                self.owe(Q::VisitFriendDungeon(finish), facts.dungeon_min);
            }
            (Q::VisitFriendDungeon(q), _, ErrorCode::DungeonVisitedToday) => {
                self.visited_until_ms.insert(q.friend_id, later);
            }
            // A new friend often has no team yet: ask again soon rather than tomorrow.
            (Q::VisitFriendDungeon(q), _, ErrorCode::FriendTeamEmpty) => {
                self.visited_until_ms.insert(q.friend_id, self.server_ms + FRIEND_TEAM_RETRY_MS);
            }
            _ => {}
        }
    }

    fn owe(&mut self, payload: Q, wait: Duration) {
        self.pending = Some(Pending { due: Instant::now() + wait + MARGIN, payload });
    }
}

fn elapsed(wait: Duration) -> u32 {
    u32::try_from((wait + MARGIN).as_millis()).unwrap_or(u32::MAX)
}

impl Bot {
    /// The request of this turn: a second step that is due, else a behaviour picked by
    /// weight among those the bot can play now (`None`: none can).
    pub fn next_request(&mut self, mix: &Mix, now: Instant) -> Option<Q> {
        if self.known.pending.as_ref().is_some_and(|p| p.due <= now) {
            return self.known.pending.take().map(|p| p.payload);
        }
        let playable: Vec<Behaviour> = Behaviour::ALL.into_iter().filter(|b| self.can(*b)).collect();
        let roll: f64 = self.rng.random();
        let behaviour = mix.pick(&playable, roll)?;
        self.request_for(behaviour)
    }

    /// A macro's next request: the battle it owes once due, else the first behaviour of
    /// [`MACRO_SCRIPT`] from `step` on that it can play (`step` moves past it).
    pub fn next_scripted(&mut self, step: &mut usize, now: Instant) -> Option<Q> {
        if self.known.pending.as_ref().is_some_and(|p| p.due <= now) {
            return self.known.pending.take().map(|p| p.payload);
        }
        for k in 0..MACRO_SCRIPT.len() {
            let behaviour = MACRO_SCRIPT[(*step + k) % MACRO_SCRIPT.len()];
            if self.can(behaviour) {
                *step += k + 1;
                return self.request_for(behaviour);
            }
        }
        None
    }

    /// The second step the bot owes (a battle's finish) and when it is due, taken.
    pub fn owed(&mut self) -> Option<(Instant, Q)> {
        self.known.pending.take().map(|p| (p.due, p.payload))
    }

    fn gold(&self) -> u64 {
        self.ledger.profile.as_ref().map_or(0, |u| u.gold)
    }

    fn balance(&self, currency: Currency) -> u64 {
        let Some(u) = &self.ledger.profile else {
            return 0;
        };
        match currency {
            Currency::Gold => u.gold,
            Currency::Gems => u.gems,
            Currency::FriendPoints => u.friend_points,
            Currency::Unspecified => 0,
        }
    }

    fn friends(&self) -> Vec<u64> {
        self.ledger.profile.as_ref().map_or_else(Vec::new, |u| u.friend_ids.clone())
    }

    /// The pool a summon of `count` can be paid for, if any.
    fn affordable_pool(&self, count: u32) -> Option<String> {
        if self.ledger.monsters.len() + count as usize > self.shared.facts.box_limit {
            return None;
        }
        let facts = &self.shared.facts;
        let price = |p: &(String, Currency, u64, u64)| if count == 10 { p.3 } else { p.2 };
        facts.pools.iter().find(|p| price(p) > 0 && self.balance(p.1) >= price(p)).map(|p| p.0.clone())
    }

    /// The five strongest monsters, strongest first.
    fn best_team(&self) -> Vec<u64> {
        let mut all: Vec<&MonsterInfo> = self.ledger.monsters.values().collect();
        all.sort_by_key(|m| (std::cmp::Reverse(m.power), m.id));
        all.iter().take(5).map(|m| m.id).collect()
    }

    fn team(&self) -> Option<&Vec<u64>> {
        self.ledger
            .teams
            .get(&TEAM)
            .filter(|t| !t.is_empty() && t.iter().all(|id| self.ledger.monsters.contains_key(id)))
    }

    fn in_a_team(&self, id: u64) -> bool {
        self.ledger.teams.values().any(|t| t.contains(&id))
    }

    /// What to enhance: a monster of the team below its cap, fed with the weakest spare one.
    fn enhancement(&self) -> Option<EnhanceMonsterReq> {
        if self.ledger.monsters.len() <= KEEP_MONSTERS {
            return None;
        }
        let team = self.team()?;
        let target = team.iter().filter_map(|id| self.ledger.monsters.get(id)).find(|m| m.level < m.level_cap)?;
        let mut spare: Vec<&MonsterInfo> =
            self.ledger.monsters.values().filter(|m| !m.locked && !self.in_a_team(m.id) && m.id != target.id).collect();
        spare.sort_by_key(|m| (m.power, m.id));
        let food = spare.first()?;
        let cost = self.shared.facts.enhance_gold.get(&target.rarity).copied().unwrap_or(0);
        (self.gold() >= cost).then(|| EnhanceMonsterReq { target: target.id, food: vec![food.id] })
    }

    /// The stage to fight: the hardest unlocked one the team is strong enough for.
    fn stage(&self) -> Option<(String, u32)> {
        let key = match self.known.unlocked.get(self.known.strong_enough) {
            Some(key) => key.clone(),
            None => self.shared.facts.first_stage.clone(),
        };
        let cost = self.shared.facts.stages.get(&key)?.0;
        Some((key, cost))
    }

    fn stamina(&self) -> u32 {
        self.ledger.profile.as_ref().map_or(0, |u| u.stamina)
    }

    fn dungeon_friend(&self) -> Option<u64> {
        let now = self.known.server_ms;
        self.friends().into_iter().find(|f| self.known.visited_until_ms.get(f).is_none_or(|until| *until <= now))
    }

    fn claimable_quest(&self) -> Option<String> {
        let now = self.known.server_ms;
        self.ledger
            .quests
            .values()
            .find(|q| q.completed && !q.claimed && (q.resets_at_ms == 0 || q.resets_at_ms > now))
            .map(|q| q.quest.clone())
    }

    fn shop_item(&self) -> Option<String> {
        let now = self.known.server_ms;
        self.shared
            .facts
            .shop
            .iter()
            .filter(|(item, currency, price)| {
                self.balance(*currency) >= *price
                    && self.known.sold_out_until_ms.get(item).is_none_or(|until| *until <= now)
            })
            .map(|(item, _, _)| item.clone())
            .next()
    }

    fn has_room_for_friends(&self) -> bool {
        self.friends().len() + self.known.outgoing.len() < self.shared.facts.friend_limit
    }

    fn can(&self, behaviour: Behaviour) -> bool {
        let k = &self.known;
        let now = k.server_ms;
        match behaviour {
            Behaviour::GetUser
            | Behaviour::QuestList
            | Behaviour::RecommendFriends
            | Behaviour::FriendRequests
            | Behaviour::ListFriends
            | Behaviour::ListMonsters
            | Behaviour::Browse => true,
            Behaviour::Summon => self.affordable_pool(1).is_some(),
            Behaviour::TenPull => self.affordable_pool(10).is_some(),
            Behaviour::Enhance => self.enhancement().is_some(),
            Behaviour::SetTeam => !self.ledger.monsters.is_empty() && self.team() != Some(&self.best_team()),
            Behaviour::Battle => {
                k.pending.is_none() && self.team().is_some() && self.stage().is_some_and(|s| self.stamina() >= s.1)
            }
            Behaviour::QuestClaim => self.claimable_quest().is_some(),
            Behaviour::SendFriendRequest => {
                self.has_room_for_friends() && k.candidates.iter().any(|c| !self.friends().contains(c))
            }
            Behaviour::AcceptRequest => !k.incoming.is_empty() && self.has_room_for_friends(),
            Behaviour::SendGifts => !self.friends().is_empty() && k.gifts_again_at_ms <= now,
            Behaviour::ClaimMail => self.ledger.has_mail(),
            Behaviour::FriendDungeon => k.pending.is_none() && self.team().is_some() && self.dungeon_friend().is_some(),
            Behaviour::Clan => !matches!(self.ledger.clan, Some((_, true))),
            Behaviour::ShopBuy => self.shop_item().is_some(),
            Behaviour::CheckIn => k.check_in_at_ms <= now,
        }
    }

    fn request_for(&mut self, behaviour: Behaviour) -> Option<Q> {
        Some(match behaviour {
            Behaviour::GetUser => Q::GetUser(GetUserReq {}),
            Behaviour::Summon => Q::Summon(SummonReq { pool: self.affordable_pool(1)?, count: 1 }),
            Behaviour::TenPull => Q::Summon(SummonReq { pool: self.affordable_pool(10)?, count: 10 }),
            Behaviour::Enhance => Q::EnhanceMonster(self.enhancement()?),
            Behaviour::SetTeam => Q::SetTeam(SetTeamReq { slot: TEAM, monster_ids: self.best_team() }),
            Behaviour::Battle => Q::StartBattle(StartBattleReq { stage: self.stage()?.0, team_slot: TEAM }),
            Behaviour::QuestList => Q::ListQuests(ListQuestsReq {}),
            Behaviour::QuestClaim => Q::ClaimQuest(ClaimQuestReq { quest: self.claimable_quest()? }),
            Behaviour::RecommendFriends => Q::RecommendFriends(RecommendFriendsReq {}),
            Behaviour::SendFriendRequest => {
                let friends = self.friends();
                let candidates: Vec<u64> =
                    self.known.candidates.iter().copied().filter(|c| !friends.contains(c)).collect();
                let pick = *candidates.get(self.rng.random_range(0..candidates.len().max(1)))?;
                Q::SendFriendRequest(SendFriendRequestReq { user_id: pick })
            }
            Behaviour::FriendRequests => Q::ListFriendRequests(ListFriendRequestsReq {}),
            Behaviour::AcceptRequest => {
                Q::AcceptFriendRequest(AcceptFriendRequestReq { user_id: *self.known.incoming.first()? })
            }
            Behaviour::ListFriends => Q::ListFriends(ListFriendsReq {}),
            Behaviour::SendGifts => Q::SendGift(SendGiftReq { user_id: 0 }),
            Behaviour::ClaimMail => Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true }),
            Behaviour::FriendDungeon => Q::VisitFriendDungeon(VisitFriendDungeonReq {
                friend_id: self.dungeon_friend()?,
                team_slot: TEAM,
                ..Default::default()
            }),
            Behaviour::Clan => self.clan_request(),
            Behaviour::ShopBuy => Q::BuyItem(BuyItemReq { item: self.shop_item()? }),
            Behaviour::CheckIn => Q::CheckIn(CheckInReq {}),
            Behaviour::Browse => self.browse(),
            Behaviour::ListMonsters => {
                let pages = self.ledger.monsters.len().div_ceil(50).max(1) as u32;
                let page = self.rng.random_range(0..pages);
                Q::ListMonsters(ListMonstersReq { offset: page * 50, limit: 50 })
            }
        })
    }

    /// The next of the reads a player browses, in turn: the summon rates, the mailbox, the
    /// summon history, a friend, the clan (the last two when the bot has one).
    fn browse(&mut self) -> Q {
        loop {
            self.known.browsed += 1;
            let read = match self.known.browsed % 5 {
                0 => Q::GetSummonRates(GetSummonRatesReq {}),
                1 => Q::ListMail(ListMailReq {}),
                2 => Q::ListSummons(ListSummonsReq { before: 0, limit: 20 }),
                3 => match self.friends().first() {
                    Some(friend) => Q::GetFriendSnapshot(GetFriendSnapshotReq { user_id: *friend }),
                    None => continue,
                },
                _ if self.ledger.clan.is_some() => Q::GetClan(GetClanReq { clan_id: 0 }),
                _ => continue,
            };
            return read;
        }
    }

    /// Leave the clan the bot is in; else look for clans; else join one found; else found
    /// one if it can pay (and look again if it cannot).
    fn clan_request(&mut self) -> Q {
        let facts = &self.shared.facts;
        if self.ledger.clan.is_some() {
            return Q::LeaveClan(LeaveClanReq {});
        }
        let search = Q::SearchClans(SearchClansReq { prefix: facts.clan_prefix.clone() });
        let Some(found) = &self.known.clans else {
            return search;
        };
        if self.known.server_ms < self.known.clan_wait_until_ms {
            return search;
        }
        let open: Vec<u64> =
            found.iter().filter(|c| c.open && c.member_count < c.member_limit).map(|c| c.clan_id).collect();
        if !open.is_empty() {
            let clan_id = open[self.rng.random_range(0..open.len())];
            return Q::JoinClan(JoinClanReq { clan_id });
        }
        if self.gold() >= facts.clan_create_gold {
            let name = format!("{}{}", facts.clan_prefix, self.index);
            return Q::CreateClan(CreateClanReq { name, open: true });
        }
        self.known.clans = None;
        search
    }
}
