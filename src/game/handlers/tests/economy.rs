use summoner_proto::api::{
    BuyItemReq, CheckInReq, ClaimMailReq, ClaimQuestReq, ErrorCode, ExploreReq, GetUserReq, ListMailReq, ListQuestsReq,
    extra,
};

use super::*;
use crate::game::testkit::START_MS;

fn claim(quest: &str) -> Q {
    Q::ClaimQuest(ClaimQuestReq { quest: quest.into() })
}

fn buy(item: &str) -> Q {
    Q::BuyItem(BuyItemReq { item: item.into() })
}

#[test]
fn quests_move_with_events_report_progress_and_are_claimed_once() {
    let mut p = Player::new();
    let response = p.call(Q::CheckIn(CheckInReq {}));
    let moved: Vec<_> = response
        .extra
        .iter()
        .filter_map(|e| match &e.kind {
            Some(extra::Kind::QuestProgress(q)) => Some(q.quest.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(moved, ["quest.daily.checkin"]);
    let list = answer!(p.ok(Q::ListQuests(ListQuestsReq {})), ListQuests);
    let checkin = list.quests.iter().find(|q| q.quest == "quest.daily.checkin").expect("listed");
    assert!(checkin.completed && !checkin.claimed);
    assert_eq!(list.quests.len(), p.data.quests().len());
    let gold = p.state.profile.gold;
    let res = answer!(p.ok(claim("quest.daily.checkin")), ClaimQuest);
    assert_eq!(res.mail_id, 0);
    assert_eq!(p.state.profile.gold, gold + u64::from(res.reward.expect("a reward").amount));
    p.refused(claim("quest.daily.checkin"), ErrorCode::QuestAlreadyClaimed);
    p.refused(claim("quest.daily.explore5"), ErrorCode::QuestNotCompleted);
    p.refused(claim("quest.nothing"), ErrorCode::UnknownQuest);
    assert_eq!(p.logged("quest_completed").len(), 1);
}

#[test]
fn an_achievement_s_reward_arrives_as_mail() {
    let mut p = Player::new();
    let stored = crate::game::entities::Quest {
        id: "quest.ach.explore100".into(),
        progress: 100,
        completed_at_ms: START_MS,
        claimed_at_ms: 0,
        resets_at_ms: 0,
    };
    p.state.owned.quests.insert(stored.id.clone(), stored);
    let gems = p.state.profile.gems;
    let res = answer!(p.ok(claim("quest.ach.explore100")), ClaimQuest);
    assert_ne!(res.mail_id, 0);
    assert_eq!(p.state.profile.gems, gems, "nothing given until the mail is claimed");
    let mail = answer!(p.ok(Q::ListMail(ListMailReq {})), ListMail).mail;
    assert_eq!(mail[0].id, res.mail_id);
    assert_eq!(mail[0].rewards[0].what, "gems");
}

#[test]
fn the_first_request_of_a_game_day_counts_as_login() {
    let mut p = Player::new();
    p.ok(Q::GetUser(GetUserReq {}));
    assert_eq!(p.last_rows, 0, "seen today already: a read writes nothing");
    p.now = p.data.reset.next_reset(p.now);
    p.ok(Q::GetUser(GetUserReq {}));
    assert!(p.state.owned.quests["quest.daily.login"].completed_at_ms == p.now);
    assert!(p.last_rows > 0, "the day's first request records the login");
    p.ok(Q::GetUser(GetUserReq {}));
    assert_eq!(p.last_rows, 0, "later reads that day write nothing");
    p.state.owned.counters.clear();
    let response = p.call(Q::GetUser(GetUserReq {}));
    assert!(response.extra.is_empty(), "a completed login quest does not move again the same day");
}

#[test]
fn list_quests_on_the_day_s_first_request_agrees_with_its_progress_extra() {
    let mut p = Player::new();
    p.now = p.data.reset.next_reset(p.now);
    let response = p.call(Q::ListQuests(ListQuestsReq {}));
    let extra = response
        .extra
        .iter()
        .find_map(|e| match &e.kind {
            Some(extra::Kind::QuestProgress(q)) if q.quest == "quest.daily.login" => Some(q.clone()),
            _ => None,
        })
        .expect("the day's login is reported");
    let Some(A::ListQuests(list)) = response.payload else { panic!("no quest list: {response:?}") };
    let listed = list.quests.iter().find(|q| q.quest == "quest.daily.login").expect("listed");
    assert!(extra.completed && listed.completed, "extra {extra:?}, payload {listed:?}");
    assert_eq!(listed.progress, extra.progress);
    assert_eq!(p.logged("quest_completed").len(), 1, "the completion is logged once");
    let claimed = answer!(p.ok(claim("quest.daily.login")), ClaimQuest);
    assert!(claimed.quest.expect("the quest").claimed);
}

#[test]
fn daily_quests_start_over_at_the_reset() {
    let mut p = Player::new();
    for _ in 0..5 {
        p.ok(Q::Explore(ExploreReq {}));
    }
    p.ok(claim("quest.daily.explore5"));
    p.now = p.data.reset.next_reset(p.now);
    p.refused(claim("quest.daily.explore5"), ErrorCode::QuestNotCompleted);
    p.ok(Q::Explore(ExploreReq {}));
    assert_eq!(p.state.owned.quests["quest.daily.explore5"].progress, 1);
    assert_eq!(p.state.owned.quests["quest.ach.explore100"].progress, 6);
}

#[test]
fn the_shop_keeps_daily_and_account_limits() {
    let mut p = Player::rich(1_000_000, 10_000);
    let item = p.data.shop_item("shop.gems.daily").expect("an item").clone();
    let res = answer!(p.ok(buy(&item.uid)), BuyItem);
    assert_eq!((res.bought_today, res.bought_total), (1, 1));
    assert_eq!(p.state.profile.gold, 1_000_000 - u64::from(item.price));
    p.refused(buy(&item.uid), ErrorCode::PurchaseLimitReached);
    p.now = p.data.reset.next_reset(p.now);
    assert_eq!(answer!(p.ok(buy(&item.uid)), BuyItem).bought_total, 2);
    p.ok(buy("shop.starter_pack"));
    p.now = p.data.reset.next_reset(p.now);
    p.refused(buy("shop.starter_pack"), ErrorCode::PurchaseLimitReached);
    p.refused(buy("shop.nothing"), ErrorCode::UnknownItem);
    let stones = answer!(p.ok(buy("shop.evolve_stone")), BuyItem);
    assert_eq!(stones.reward.expect("a reward").what, "item.evolve_stone");
    assert_eq!(p.state.owned.counters["item.evolve_stone"].value, 1);
    let mut poor = Player::rich(0, 0);
    poor.refused(buy("shop.stamina.small"), ErrorCode::NotEnoughGems);
    poor.refused(buy("shop.stamina.gold"), ErrorCode::NotEnoughGold);
}

#[test]
fn check_in_once_a_day_follows_the_calendar_and_mails_the_reward() {
    let mut p = Player::new();
    let first = answer!(p.ok(Q::CheckIn(CheckInReq {})), CheckIn);
    assert_eq!(first.day, 1);
    assert_eq!(first.next_at_ms, p.data.reset.next_reset(p.now));
    assert!(p.state.owned.mail.contains_key(&first.mail_id));
    p.refused(Q::CheckIn(CheckInReq {}), ErrorCode::AlreadyCheckedIn);
    p.now = first.next_at_ms;
    let second = answer!(p.ok(Q::CheckIn(CheckInReq {})), CheckIn);
    assert_eq!(second.day, 2);
    assert_eq!(
        second.reward,
        p.data.check_in_days()[1].reward.as_ref().map(|r| crate::game::wallet::reward(&r.what, u64::from(r.amount)))
    );
    p.now = p.data.reset.next_month(p.now);
    assert_eq!(answer!(p.ok(Q::CheckIn(CheckInReq {})), CheckIn).day, 1, "a new month starts over");
}

#[test]
fn mail_is_claimed_once_and_not_after_it_expired() {
    let mut p = Player::new();
    let a = answer!(p.ok(Q::CheckIn(CheckInReq {})), CheckIn).mail_id;
    p.now = p.data.reset.next_reset(p.now);
    let b = answer!(p.ok(Q::CheckIn(CheckInReq {})), CheckIn).mail_id;
    let listed = answer!(p.ok(Q::ListMail(ListMailReq {})), ListMail).mail;
    assert_eq!(listed.iter().map(|m| m.id).collect::<Vec<_>>(), [b, a], "newest first");
    let gold = p.state.profile.gold;
    let res = answer!(p.ok(Q::ClaimMail(ClaimMailReq { mail_id: a, all: false })), ClaimMail);
    assert_eq!(res.claimed, [a]);
    assert_eq!(p.state.profile.gold, gold + u64::from(res.rewards[0].amount));
    p.refused(Q::ClaimMail(ClaimMailReq { mail_id: a, all: false }), ErrorCode::MailAlreadyClaimed);
    p.refused(Q::ClaimMail(ClaimMailReq { mail_id: 4, all: false }), ErrorCode::NoSuchMail);
    p.now += p.data.mail_expire_ms;
    p.refused(Q::ClaimMail(ClaimMailReq { mail_id: b, all: false }), ErrorCode::MailExpired);
    p.refused(Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true }), ErrorCode::NothingToClaim);
    let c = answer!(p.ok(Q::CheckIn(CheckInReq {})), CheckIn).mail_id;
    let all = answer!(p.ok(Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true })), ClaimMail);
    assert_eq!(all.claimed, [c]);
}

#[test]
fn every_balance_change_is_logged_with_the_balance_after() {
    let mut p = Player::rich(50_000, 1_000);
    for _ in 0..3 {
        p.ok(Q::Explore(ExploreReq {}));
    }
    p.ok(buy("shop.gold.small"));
    p.ok(Q::Summon(summoner_proto::api::SummonReq { pool: "pool.normal".into(), count: 10 }));
    let mut gold = 50_000i128;
    for log in p.logged("currency").iter().filter(|l| l.params.starts_with("name=gold ")) {
        let delta: i128 = log
            .params
            .split(' ')
            .nth(1)
            .and_then(|d| d.strip_prefix("delta="))
            .and_then(|d| d.parse().ok())
            .expect("a delta");
        gold += delta;
        assert_eq!(log.result, format!("balance={gold}"));
    }
    assert_eq!(gold, i128::from(p.state.profile.gold));
}

#[test]
fn claim_all_gives_at_most_what_one_request_can_mint_and_the_rest_next_time() {
    let mut p = Player::new();
    let mails = crate::game::state::MINT_RESERVE + 6;
    for id in 1..=mails {
        let rewards = vec![crate::game::wallet::reward("mon.slime.water.1", 1)];
        let mail = crate::game::entities::Mail {
            id,
            kind: "grant".into(),
            sender_id: 0,
            title: "a monster".into(),
            body: String::new(),
            attachments: prost::Message::encode_to_vec(&summoner_proto::api::MailAttachments { rewards }),
            created_at_ms: START_MS,
            expires_at_ms: START_MS + 86_400_000,
            read_at_ms: 0,
            claimed_at_ms: 0,
        };
        p.state.owned.mail.insert(id, mail);
    }
    let first = answer!(p.ok(Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true })), ClaimMail);
    assert_eq!(first.claimed.len() as u64, crate::game::state::MINT_RESERVE);
    let second = answer!(p.ok(Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true })), ClaimMail);
    assert_eq!((first.claimed.len() + second.claimed.len()) as u64, mails);
    assert_eq!(p.state.owned.monsters.len() as u64, mails);
}
