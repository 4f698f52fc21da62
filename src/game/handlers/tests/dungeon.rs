//! The friend dungeon: a visit a day per friend against the friend's first team, settled
//! like a stage battle, the host paid by a delivery; and the first team published for
//! friends whenever it changes.

use summoner_proto::api::{ErrorCode, ListMailReq, SetTeamReq, StartBattleReq, VisitFriendDungeonReq};

use super::*;
use crate::game::entities::Friend;
use crate::game::reads::Fetched;
use crate::game::testkit::deliver;

/// Two friends, each with a team of `monsters` level-1 monsters of `template` in slot 1.
fn friends_with_teams(template: &str, visitor: u32, host: u32) -> (Player, Player) {
    let (mut a, mut b) = (Player::with_id(201), Player::with_id(202));
    for (p, other, count) in [(&mut a, 202u64, visitor), (&mut b, 201u64, host)] {
        p.state.owned.friends.insert(other, Friend::new(other, (other % 2) as i16, 0));
        if count > 0 {
            let ids = p.grant(template, count);
            p.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: ids }));
        }
    }
    (a, b)
}

fn start(p: &mut Player, host: &Player) -> summoner_proto::api::Response {
    let req = Q::VisitFriendDungeon(VisitFriendDungeonReq {
        friend_id: host.state.user_id(),
        team_slot: 1,
        ..Default::default()
    });
    p.call_with(req, Fetched::Snapshot(Some(host.snapshot())))
}

/// A finish of the visit `token` that claims nothing: the server's simulation decides.
fn finish(friend_id: u64, token: u64) -> Q {
    Q::VisitFriendDungeon(VisitFriendDungeonReq { friend_id, team_slot: 1, battle_token: token, ..Default::default() })
}

/// A finish that claims a win with `stars`.
fn claimed_win(friend_id: u64, token: u64, stars: u32) -> Q {
    Q::VisitFriendDungeon(VisitFriendDungeonReq {
        friend_id,
        team_slot: 1,
        battle_token: token,
        won: true,
        stars,
        elapsed_ms: 60_000,
        claims_result: true,
        ..Default::default()
    })
}

#[test]
fn the_first_team_is_published_for_friends_when_it_changes() {
    let mut p = Player::with_id(300);
    let ids = p.grant("mon.slime.fire.1", 3);
    p.ok(Q::SetTeam(SetTeamReq { slot: 2, monster_ids: ids.clone() }));
    assert!(p.published.is_none(), "another slot is not what friends fight");
    p.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: ids.clone() }));
    let published = p.published.clone().expect("the first team is published");
    assert!(published.has_team);
    assert_eq!(published.team.iter().map(|m| m.id).collect::<Vec<_>>(), ids);
    assert!(published.team_power > 0);
    assert_eq!(published.leader, "mon.slime.fire.1");
}

#[test]
fn a_visit_is_settled_like_a_battle_once_a_day_and_pays_the_host() {
    let (mut a, mut b) = friends_with_teams("mon.slime.fire.1", 5, 1);
    let ib = b.state.user_id();
    let started = answer!(start(&mut a, &b).payload.expect("an answer"), VisitFriendDungeon);
    assert!(started.battle_token > 0 && started.enemy_power == b.snapshot().team_power);
    assert!(started.team_power >= started.enemy_power, "five against one");
    let stage = Q::StartBattle(StartBattleReq { stage: "stage.01.01:normal".into(), team_slot: 1 });
    a.refused(stage, ErrorCode::BattleInProgress);

    assert_eq!(started.battle_seed, started.battle_token);
    a.refused(finish(ib, started.battle_token), ErrorCode::BattleTooFast);
    assert_eq!(a.logged("suspicious").len(), 1);
    a.refused(finish(999, started.battle_token), ErrorCode::BattleNotFound);
    a.now += a.data.social.dungeon_min_ms;
    let gold = a.state.profile.gold;
    let won = answer!(a.ok(finish(ib, started.battle_token)), VisitFriendDungeon);
    assert!(won.finished && won.won && (1..=3).contains(&won.stars) && won.turns > 0);
    // One monster against five: a weak team pays in proportion, as the start said.
    assert!(started.pay_pct < 100, "pays {}%", started.pay_pct);
    assert_eq!(won.pay_pct, started.pay_pct);
    let paid = a.data.social.dungeon_gold * u64::from(started.pay_pct) / 100;
    assert_eq!((a.state.profile.gold, won.gold), (gold + paid, paid));
    assert_eq!(won.host_points, a.data.social.dungeon_host_points);
    a.refused(finish(ib, started.battle_token), ErrorCode::BattleReplayed);

    // Once a day: a second visit is refused until the reset.
    let again = start(&mut a, &b);
    assert_eq!(again.error, ErrorCode::DungeonVisitedToday as i32);
    a.now = a.data.reset.next_reset(a.now);
    assert_eq!(start(&mut a, &b).error, ErrorCode::Ok as i32);

    // The host's friendship points arrive as mail.
    deliver(&mut [&mut a, &mut b]);
    let mail = answer!(b.ok(Q::ListMail(ListMailReq {})), ListMail).mail;
    let visit = mail.iter().find(|m| m.kind == "dungeon_visit").expect("the host's mail");
    assert_eq!(visit.sender_id, a.state.user_id());
    assert_eq!(visit.rewards[0].amount, a.data.social.dungeon_host_points);
}

#[test]
fn a_visit_needs_a_friend_with_a_team_and_a_team_strong_enough_to_win() {
    let (mut a, b) = friends_with_teams("mon.slime.fire.1", 1, 0);
    assert_eq!(start(&mut a, &b).error, ErrorCode::FriendTeamEmpty as i32);
    let stranger = Player::with_id(999);
    assert_eq!(start(&mut a, &stranger).error, ErrorCode::NotFriends as i32);

    // One weak monster against five strong ones, as the friend's team stood at the start:
    // the simulation says lost, whatever the visitor claims.
    let (mut weak, strong) = friends_with_teams("mon.slime.fire.1", 1, 0);
    let mut strong = strong;
    let ids = strong.grant("mon.anu.fire.3", 5);
    strong.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: ids }));
    let started = answer!(start(&mut weak, &strong).payload.expect("an answer"), VisitFriendDungeon);
    // The enemies are the friend's team as their snapshot showed it at the start.
    let battle = &weak.state.owned.battles[&started.battle_token];
    let lineup: crate::game::battle_sim::Lineup = serde_json::from_str(&battle.lineup).expect("a line-up");
    let shown = strong.snapshot().team;
    let fought: Vec<_> = lineup.enemies.iter().map(|u| (u.template.clone(), u.hp, u.attack, u.defense)).collect();
    assert_eq!(fought, shown.iter().map(|m| (m.template.clone(), m.hp, m.attack, m.defense)).collect::<Vec<_>>());
    assert_eq!(lineup.enemies[0].skill, weak.data.skill("mon.anu.fire.3").expect("a skill"));
    // The friend's team changing after the start does not change the battle.
    let weaker = strong.grant("mon.slime.water.1", 1);
    strong.ok(Q::SetTeam(SetTeamReq { slot: 1, monster_ids: weaker }));
    weak.now += weak.data.social.dungeon_min_ms;
    let them = strong.state.user_id();
    weak.refused(claimed_win(them, started.battle_token, 1), ErrorCode::BattleResultMismatch);
    let gold = weak.state.profile.gold;
    let lost = answer!(weak.ok(finish(them, started.battle_token)), VisitFriendDungeon);
    assert!(lost.finished && !lost.won && lost.stars == 0 && lost.turns > 0);
    assert_eq!(weak.state.profile.gold, gold);
    assert!(weak.outbox.is_empty(), "the host gets nothing from a loss");
}

/// The dungeon pays in full against a team at least as strong as the rule asks, in
/// proportion below (rounded down), and in full under game data without the rule.
#[test]
fn a_weak_friend_team_pays_in_proportion() {
    use crate::game::handlers::dungeon::pay_pct;
    let mut social = crate::game::data::GameData::embedded().expect("game data").social;
    assert_eq!(social.dungeon_full_pay_pct, Some(100));
    assert_eq!(pay_pct(&social, 1_000, 1_000), 100);
    assert_eq!(pay_pct(&social, 1_000, 5_000), 100, "never above full");
    assert_eq!(pay_pct(&social, 1_000, 100), 10);
    assert_eq!(pay_pct(&social, 1_000, 9), 0);
    assert_eq!(pay_pct(&social, 0, 0), 0, "no power on either side: an empty team pays nothing");
    social.dungeon_full_pay_pct = Some(50);
    assert_eq!(pay_pct(&social, 1_000, 250), 50);
    social.dungeon_full_pay_pct = None;
    assert_eq!(pay_pct(&social, 1_000, 1), 100);
}

/// The pay is weighed against the strongest team the visitor could field, whichever slot
/// fights: a weak team sent against a weak friend pays no more than a strong one.
#[test]
fn a_weak_team_chosen_for_a_visit_pays_no_more() {
    let percent = |slot: u32| {
        let (mut a, b) = friends_with_teams("mon.slime.fire.1", 5, 1);
        let weak = a.grant("mon.slime.fire.1", 1);
        a.ok(Q::SetTeam(SetTeamReq { slot: 2, monster_ids: weak }));
        let req = Q::VisitFriendDungeon(VisitFriendDungeonReq {
            friend_id: b.state.user_id(),
            team_slot: slot,
            ..Default::default()
        });
        answer!(a.call_with(req, Fetched::Snapshot(Some(b.snapshot()))).payload.expect("an answer"), VisitFriendDungeon)
            .pay_pct
    };
    let (strong, weak) = (percent(1), percent(2));
    assert!(strong < 100, "one monster against five pays less: {strong}%");
    assert_eq!(weak, strong, "the weak slot pays the same");
}
