//! What a bot knows its server acknowledged: its ledger, kept from the answers it received,
//! and the comparison of that ledger with the server's state at the end of a run.
//!
//! The ledger starts from what the bot read when it started. From then on, monsters, mail,
//! quests and friends are predicted from each answer's own report (a summon names the
//! monsters it made, a claim the mail it took, an accept the friend it made, every request
//! its quest progress and the deliveries from other players it applied); listings read
//! during play do not overwrite the prediction. The profile's numbers (gold, gems,
//! experience, level, friendship points) are those of the last answer of the bot's own
//! requests that showed the profile: other players' deliveries never change them. At the
//! end, what the server shows must equal the ledger: an acknowledged write missing is
//! *lost*, a thing no answer accounts for is a *phantom*.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use summoner_proto::api::{
    Extra, MonsterInfo, QuestInfo, Response, Reward, User, extra, request::Payload as Q, response::Payload as R,
};

/// Received kinds that bring one mail (`crate::game::inbox`).
const MAIL_DELIVERIES: [&str; 3] = ["gift", "dungeon_visit", "clan_reward"];

/// A bot's ledger.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub user_id: u64,
    /// The profile as the last answer that carried one showed it.
    pub profile: Option<User>,
    pub monsters: BTreeMap<u64, MonsterInfo>,
    /// Monsters received without their id (a reward by mail, a shop item), by template.
    unseen_monsters: BTreeMap<String, u32>,
    /// Mail known to be claimable.
    pub mail: BTreeSet<u64>,
    claimed_mail: BTreeSet<u64>,
    /// Mail announced (a delivery applied) whose id no answer named yet.
    unseen_mail: u32,
    pub quests: BTreeMap<String, QuestInfo>,
    /// Friends, predicted: the last profile an answer showed, then accepts, removals and
    /// the friendships other players' deliveries started or ended.
    pub friends: BTreeSet<u64>,
    /// Team slot → members, as SetTeam answered.
    pub teams: BTreeMap<u32, Vec<u64>>,
    /// The clan the bot is in, and whether it leads it.
    pub clan: Option<(u64, bool)>,
    /// Deliveries from other players applied to this user, as answers reported them.
    pub received: u64,
    /// Differences answers showed during play (a mail no answer announced).
    seen: Vec<Difference>,
}

/// One way the server's state differs from a ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub user_id: u64,
    /// "lost", "phantom" or "changed".
    pub kind: &'static str,
    /// "profile", "monsters", "mail", "quests" or "friends".
    pub part: &'static str,
    pub detail: String,
}

/// What the server showed of a user at the end.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub user: User,
    pub monsters: Vec<MonsterInfo>,
    pub mail: Vec<u64>,
    pub quests: Vec<QuestInfo>,
    pub friends: Vec<u64>,
}

impl Ledger {
    /// Takes a reading of the bot's start as the ledger's base: a whole listing replaces
    /// what the ledger knew of its kind.
    pub fn adopt(&mut self, request: &Q, response: &Response) {
        self.take(request, response, true);
    }

    /// Applies what an answer of the bot's own request reports: its extras always (a
    /// refused request still commits the deliveries it applied), its payload when the
    /// request succeeded.
    pub fn apply(&mut self, request: &Q, response: &Response) {
        self.take(request, response, false);
    }

    fn take(&mut self, request: &Q, response: &Response, adopting: bool) {
        // In the order the server made them: deliveries applied before the handler ran,
        // then its answer, then the quest progress of its events (a listing shows quests
        // as they were before this request's own progress).
        self.apply_received(&response.extra);
        if let Some(payload) = &response.payload {
            if adopting {
                self.adopt_listing(payload);
            }
            self.apply_payload(request, payload, response.server_time_ms);
        }
        self.apply_progress(&response.extra);
    }

    fn adopt_listing(&mut self, payload: &R) {
        match payload {
            R::ListMonsters(res) => {
                for monster in &res.monsters {
                    self.monsters.insert(monster.id, monster.clone());
                }
            }
            R::ListQuests(res) => {
                for quest in &res.quests {
                    self.quests.insert(quest.quest.clone(), quest.clone());
                }
            }
            R::Login(res) => {
                self.friends = res.user.iter().flat_map(|u| u.friend_ids.iter().copied()).collect();
            }
            R::ListMail(res) => {
                // Mail the account held before this bot came (an earlier run's, a grant).
                self.mail.extend(res.mail.iter().map(|m| m.id));
            }
            _ => {}
        }
    }

    fn apply_payload(&mut self, request: &Q, payload: &R, now_ms: i64) {
        if let Some(user) = user_of(payload) {
            // The profile's numbers; its friends are predicted apart (see `friends`).
            self.profile = Some(user.clone());
        }
        match (request, payload) {
            (_, R::Summon(res)) => {
                for drawn in &res.monsters {
                    self.know(drawn.monster.as_ref());
                }
            }
            (Q::EnhanceMonster(req), R::EnhanceMonster(res)) => {
                for food in &req.food {
                    self.monsters.remove(food);
                }
                self.know(res.monster.as_ref());
            }
            (_, R::EvolveMonster(res)) => self.know(res.monster.as_ref()),
            (_, R::LockMonster(res)) => self.know(res.monster.as_ref()),
            (Q::SellMonster(req), R::SellMonster(_)) => {
                for id in &req.monster_ids {
                    self.monsters.remove(id);
                }
            }
            (_, R::SetTeam(res)) => {
                if let Some(team) = &res.team {
                    self.teams.insert(team.slot, team.monster_ids.clone());
                }
            }
            (_, R::FinishBattle(res)) => {
                for monster in res.drops.iter().chain(&res.team) {
                    self.know(Some(monster));
                }
            }
            (_, R::VisitFriendDungeon(res)) => {
                for monster in &res.team {
                    self.know(Some(monster));
                }
            }
            (_, R::ListQuests(res)) => {
                // A quest whose period ended starts over: the listing tells the new one.
                let now = now_ms;
                for quest in &res.quests {
                    let ended =
                        self.quests.get(&quest.quest).is_none_or(|q| q.resets_at_ms != 0 && q.resets_at_ms <= now);
                    if ended {
                        self.quests.insert(quest.quest.clone(), quest.clone());
                    }
                }
            }
            (_, R::ClaimQuest(res)) => {
                if let Some(quest) = &res.quest {
                    self.quests.insert(quest.quest.clone(), quest.clone());
                }
                if res.mail_id != 0 {
                    self.mail.insert(res.mail_id);
                } else if let Some(reward) = &res.reward {
                    self.receive_monsters(std::slice::from_ref(reward));
                }
            }
            (_, R::BuyItem(res)) => self.receive_monsters(res.reward.as_slice()),
            (_, R::CheckIn(res)) if res.mail_id != 0 => {
                self.mail.insert(res.mail_id);
            }
            (_, R::ListMail(res)) => {
                // New ids name mail that deliveries announced; more than that is a phantom.
                let listed: BTreeSet<u64> = res.mail.iter().map(|m| m.id).collect();
                for id in listed.difference(&self.mail).copied().collect::<Vec<_>>() {
                    self.name_announced_mail(id, "listed");
                }
            }
            (_, R::ClaimMail(res)) => {
                for id in &res.claimed {
                    if self.claimed_mail.contains(id) {
                        // Listed again is reported once, by the final comparison; paid out
                        // again is a second payout, reported now.
                        self.noted("phantom", "mail", format!("mail {id} was claimed again: paid out twice"));
                    } else if !self.mail.remove(id) {
                        self.name_announced_mail(*id, "claimed");
                        self.mail.remove(id);
                    }
                    self.claimed_mail.insert(*id);
                }
                self.receive_monsters(&res.rewards);
            }
            (Q::AcceptFriendRequest(req), R::AcceptFriendRequest(_)) => {
                self.friends.insert(req.user_id);
            }
            (Q::RemoveFriend(req), R::RemoveFriend(_)) => {
                self.friends.remove(&req.user_id);
            }
            (_, R::CreateClan(res)) => self.clan = res.clan.as_ref().map(|c| (c.clan_id, true)),
            (_, R::JoinClan(res)) if res.joined => self.clan = res.clan.as_ref().map(|c| (c.clan_id, false)),
            (_, R::LeaveClan(_)) => self.clan = None,
            _ => {}
        }
    }

    /// Whether mail may be waiting: known, or announced by a delivery.
    pub fn has_mail(&self) -> bool {
        !self.mail.is_empty() || self.unseen_mail > 0
    }

    /// A mail id not known yet: one of those deliveries announced, or a phantom.
    fn name_announced_mail(&mut self, id: u64, how: &str) {
        if self.claimed_mail.contains(&id) {
            // Claimed and back: the final comparison reports it (once).
        } else if self.unseen_mail > 0 {
            self.unseen_mail -= 1;
            self.mail.insert(id);
        } else {
            self.noted("phantom", "mail", format!("mail {id} is {how}, and no answer announced it"));
        }
    }

    /// Records a difference seen during play (reported with the final comparison).
    fn noted(&mut self, kind: &'static str, part: &'static str, detail: String) {
        self.seen.push(Difference { user_id: self.user_id, kind, part, detail });
    }

    /// Applies an answer's extras only (what reading the state at the end may bring).
    pub fn apply_extras(&mut self, extras: &[Extra]) {
        self.apply_received(extras);
        self.apply_progress(extras);
    }

    fn apply_progress(&mut self, extras: &[Extra]) {
        for extra in extras {
            if let Some(extra::Kind::QuestProgress(p)) = &extra.kind
                && let Some(quest) = self.quests.get_mut(&p.quest)
            {
                quest.progress = p.progress;
                quest.completed = p.completed;
            }
        }
    }

    fn apply_received(&mut self, extras: &[Extra]) {
        for extra in extras {
            match &extra.kind {
                Some(extra::Kind::Received(r)) => {
                    self.received += 1;
                    match r.kind.as_str() {
                        "friend_added" => {
                            self.friends.insert(r.from_user_id);
                        }
                        "friend_removed" => {
                            self.friends.remove(&r.from_user_id);
                        }
                        _ => {}
                    }
                    if MAIL_DELIVERIES.contains(&r.kind.as_str()) {
                        self.unseen_mail += 1;
                    }
                    if matches!(r.kind.as_str(), "clan_kicked" | "clan_disbanded") {
                        self.clan = None;
                    }
                }
                Some(extra::Kind::QuestProgress(_) | extra::Kind::LevelUp(_)) | None => {}
            }
        }
    }

    fn know(&mut self, monster: Option<&MonsterInfo>) {
        if let Some(m) = monster {
            self.monsters.insert(m.id, m.clone());
        }
    }

    fn receive_monsters(&mut self, rewards: &[Reward]) {
        for reward in rewards.iter().filter(|r| r.what.starts_with("mon.")) {
            *self.unseen_monsters.entry(reward.what.clone()).or_default() += reward.amount;
        }
    }

    /// Whether an answer changed what the check compares (a delivery or quest progress
    /// arrived while the state was being read), so the reading must be taken again.
    pub fn moves(response: &Response) -> bool {
        response.extra.iter().any(|e| !matches!(e.kind, Some(extra::Kind::LevelUp(_)) | None))
    }

    /// Compares the server's state with the ledger at `now_ms`.
    pub fn compare(&self, observed: &Observed, now_ms: i64) -> Vec<Difference> {
        let mut out = self.seen.clone();
        let mut differ =
            |kind, part, detail: String| out.push(Difference { user_id: self.user_id, kind, part, detail });
        if let Some(expected) = &self.profile {
            let (a, b) = (profile_facts(expected), profile_facts(&observed.user));
            if a != b {
                differ("changed", "profile", format!("acknowledged {a}, stored {b}"));
            }
        }
        let mut unseen = self.unseen_monsters.clone();
        let stored: BTreeMap<u64, &MonsterInfo> = observed.monsters.iter().map(|m| (m.id, m)).collect();
        for (id, expected) in &self.monsters {
            match stored.get(id) {
                None => differ("lost", "monsters", format!("monster {id} ({}) is gone", expected.template)),
                Some(found) if monster_facts(found) != monster_facts(expected) => differ(
                    "changed",
                    "monsters",
                    format!("monster {id}: acknowledged {}, stored {}", monster_facts(expected), monster_facts(found)),
                ),
                Some(_) => {}
            }
        }
        for (id, found) in &stored {
            if self.monsters.contains_key(id) {
                continue;
            }
            match unseen.get_mut(&found.template) {
                Some(n) if *n > 0 => *n -= 1,
                _ => differ("phantom", "monsters", format!("monster {id} ({}) no answer gave", found.template)),
            }
        }
        for (template, n) in unseen.iter().filter(|(_, n)| **n > 0) {
            differ("lost", "monsters", format!("{n} {template} given by rewards are not in the box"));
        }
        let listed: BTreeSet<u64> = observed.mail.iter().copied().collect();
        for id in self.mail.difference(&listed) {
            differ("lost", "mail", format!("mail {id} is no longer claimable"));
        }
        for id in self.claimed_mail.intersection(&listed) {
            differ("phantom", "mail", format!("mail {id} was claimed and is claimable again"));
        }
        // Every mail a delivery announced is one claimable mail until claimed.
        let extra_mail = listed.difference(&self.mail).filter(|id| !self.claimed_mail.contains(id)).count() as u32;
        if extra_mail > self.unseen_mail {
            differ(
                "phantom",
                "mail",
                format!("{extra_mail} mail no answer accounts for ({} announced)", self.unseen_mail),
            );
        } else if extra_mail < self.unseen_mail {
            differ("lost", "mail", format!("{} announced mail are not claimable", self.unseen_mail - extra_mail));
        }
        let stored_quests: BTreeMap<&str, &QuestInfo> = observed.quests.iter().map(|q| (q.quest.as_str(), q)).collect();
        for (name, expected) in &self.quests {
            if expected.resets_at_ms != 0 && expected.resets_at_ms <= now_ms {
                continue;
            }
            match stored_quests.get(name.as_str()) {
                None => differ("lost", "quests", format!("quest {name} is gone")),
                Some(found) if quest_facts(found) != quest_facts(expected) => differ(
                    "changed",
                    "quests",
                    format!("{name}: acknowledged {}, stored {}", quest_facts(expected), quest_facts(found)),
                ),
                Some(_) => {}
            }
        }
        let listed: BTreeSet<u64> = observed.friends.iter().copied().collect();
        let in_profile: BTreeSet<u64> = observed.user.friend_ids.iter().copied().collect();
        for (what, stored) in [("friend list", &listed), ("profile's friends", &in_profile)] {
            for id in self.friends.difference(stored) {
                differ("lost", "friends", format!("user {id} is missing from the {what}"));
            }
            for id in stored.difference(&self.friends) {
                differ("phantom", "friends", format!("user {id} is in the {what}, and no answer made them a friend"));
            }
        }
        out
    }
}

/// The User of an answer that carries one.
fn user_of(payload: &R) -> Option<&User> {
    match payload {
        R::Login(r) => r.user.as_ref(),
        R::GetUser(r) => r.user.as_ref(),
        R::SetNickname(r) => r.user.as_ref(),
        R::Summon(r) => r.user.as_ref(),
        R::EnhanceMonster(r) => r.user.as_ref(),
        R::EvolveMonster(r) => r.user.as_ref(),
        R::SellMonster(r) => r.user.as_ref(),
        R::StartBattle(r) => r.user.as_ref(),
        R::FinishBattle(r) => r.user.as_ref(),
        R::ClaimQuest(r) => r.user.as_ref(),
        R::BuyItem(r) => r.user.as_ref(),
        R::ClaimMail(r) => r.user.as_ref(),
        R::VisitFriendDungeon(r) => r.user.as_ref(),
        R::CreateClan(r) => r.user.as_ref(),
        _ => None,
    }
}

/// The profile's numbers a write changes (stamina is left out: it grows with time; friends
/// are compared on their own).
fn profile_facts(u: &User) -> String {
    format!(
        "level {} exp {} gold {} gems {} friend points {} nickname {:?}",
        u.level, u.exp, u.gold, u.gems, u.friend_points, u.nickname
    )
}

fn monster_facts(m: &MonsterInfo) -> String {
    format!("{} level {} exp {} rarity {} locked {}", m.template, m.level, m.exp, m.rarity, m.locked)
}

fn quest_facts(q: &QuestInfo) -> String {
    format!("progress {} completed {} claimed {}", q.progress.min(q.target), q.completed, q.claimed)
}

#[cfg(test)]
mod tests {
    use summoner_proto::api::{
        ClaimMailReq, ClaimMailRes, Received, SellMonsterReq, SellMonsterRes, SummonReq, SummonRes, SummonedMonster,
    };

    use super::*;

    fn monster(id: u64) -> MonsterInfo {
        MonsterInfo { id, template: "mon.slime.fire.1".into(), level: 1, ..Default::default() }
    }

    fn summoned(ids: &[u64]) -> Ledger {
        let mut ledger = Ledger { user_id: 7, ..Default::default() };
        let drawn = ids.iter().map(|id| SummonedMonster { monster: Some(monster(*id)), by_pity: false }).collect();
        let res = Response {
            payload: Some(R::Summon(SummonRes { monsters: drawn, ..Default::default() })),
            ..Default::default()
        };
        ledger.apply(&Q::Summon(SummonReq::default()), &res);
        ledger
    }

    fn observed(monsters: &[u64]) -> Observed {
        Observed { monsters: monsters.iter().map(|id| monster(*id)).collect(), ..Default::default() }
    }

    #[test]
    fn a_monster_acknowledged_and_not_stored_is_lost() {
        let ledger = summoned(&[1, 2]);
        assert!(ledger.compare(&observed(&[1, 2]), 0).is_empty());
        let diff = ledger.compare(&observed(&[1]), 0);
        assert_eq!(diff.len(), 1);
        assert_eq!((diff[0].kind, diff[0].part), ("lost", "monsters"));
    }

    #[test]
    fn a_monster_sold_and_still_stored_is_a_phantom() {
        let mut ledger = summoned(&[1, 2]);
        let sold = Response { payload: Some(R::SellMonster(SellMonsterRes::default())), ..Default::default() };
        ledger.apply(&Q::SellMonster(SellMonsterReq { monster_ids: vec![2] }), &sold);
        assert!(ledger.compare(&observed(&[1]), 0).is_empty());
        let diff = ledger.compare(&observed(&[1, 2]), 0);
        assert_eq!((diff[0].kind, diff[0].part), ("phantom", "monsters"));
    }

    #[test]
    fn a_monster_from_a_mail_reward_is_accounted_by_template() {
        let mut ledger = summoned(&[1]);
        ledger.mail.insert(9); // known from a ClaimQuest's answer, say
        let reward = Reward { what: "mon.slime.fire.1".into(), amount: 1 };
        let claimed = Response {
            payload: Some(R::ClaimMail(ClaimMailRes { claimed: vec![9], rewards: vec![reward], user: None })),
            ..Default::default()
        };
        ledger.apply(&Q::ClaimMail(ClaimMailReq { mail_id: 9, all: false }), &claimed);
        assert!(ledger.compare(&observed(&[1, 5]), 0).is_empty());
        assert_eq!(ledger.compare(&observed(&[1, 5, 6]), 0)[0].kind, "phantom");
        let diff = ledger.compare(&observed(&[1]), 0);
        assert_eq!((diff[0].kind, diff[0].part), ("lost", "monsters"), "the reward's monster is missing");
    }

    #[test]
    fn mail_held_at_the_start_is_known() {
        let mut ledger = Ledger::default();
        let held = |ids: &[u64]| Response {
            payload: Some(R::ListMail(summoner_proto::api::ListMailRes {
                mail: ids.iter().map(|id| summoner_proto::api::MailInfo { id: *id, ..Default::default() }).collect(),
            })),
            ..Default::default()
        };
        ledger.adopt(&Q::ListMail(Default::default()), &held(&[3, 4]));
        let with_mail = |ids: &[u64]| Observed { mail: ids.to_vec(), ..Default::default() };
        assert!(ledger.compare(&with_mail(&[3, 4]), 0).is_empty());
        // Listed again during play: the same, no phantom.
        ledger.apply(&Q::ListMail(Default::default()), &held(&[3, 4]));
        assert!(ledger.compare(&with_mail(&[3, 4]), 0).is_empty());
        assert_eq!(ledger.compare(&with_mail(&[3]), 0)[0].kind, "lost");
    }

    #[test]
    fn a_claim_of_mail_no_answer_announced_is_a_phantom() {
        let mut ledger = Ledger::default();
        let claimed = Response {
            payload: Some(R::ClaimMail(ClaimMailRes { claimed: vec![9], ..Default::default() })),
            ..Default::default()
        };
        ledger.apply(&Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true }), &claimed);
        let diff = ledger.compare(&Observed::default(), 0);
        assert_eq!((diff[0].kind, diff[0].part), ("phantom", "mail"));
    }

    #[test]
    fn mail_is_accounted_by_what_was_announced_and_claimed() {
        let mut ledger = Ledger::default();
        let gift = Extra {
            kind: Some(extra::Kind::Received(Received { from_user_id: 3, kind: "gift".into(), sent_at_ms: 1 })),
        };
        ledger.apply(&Q::GetUser(Default::default()), &Response { extra: vec![gift], ..Default::default() });
        let with_mail = |ids: &[u64]| Observed { mail: ids.to_vec(), ..Default::default() };
        assert!(ledger.compare(&with_mail(&[40]), 0).is_empty(), "an announced gift explains one mail");
        assert_eq!(ledger.compare(&with_mail(&[]), 0)[0].kind, "lost", "an announced gift is one claimable mail");
        assert_eq!(ledger.compare(&with_mail(&[40, 41]), 0)[0].kind, "phantom");
        let claimed = Response {
            payload: Some(R::ClaimMail(ClaimMailRes { claimed: vec![40], ..Default::default() })),
            ..Default::default()
        };
        ledger.apply(&Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true }), &claimed);
        assert!(ledger.compare(&with_mail(&[]), 0).is_empty());
        assert_eq!(ledger.compare(&with_mail(&[40]), 0)[0].kind, "phantom", "claimed mail came back");
        // Claimed again: paid out twice, a phantom even though the mail is no longer listed.
        ledger.apply(&Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true }), &claimed);
        let diff = ledger.compare(&with_mail(&[]), 0);
        assert_eq!((diff.len(), diff[0].kind, diff[0].part), (1, "phantom", "mail"), "{diff:?}");
    }
}
