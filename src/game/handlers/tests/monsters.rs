use summoner_proto::api::{
    EnhanceMonsterReq, ErrorCode, EvolveMonsterReq, ListMonstersReq, LockMonsterReq, SellMonsterReq, SetTeamReq,
};

use super::*;
use crate::game::monsters;

const COMMON: &str = "mon.slime.water.1";
const TOP: &str = "mon.miho.water.5";

fn enhance(target: u64, food: Vec<u64>) -> Q {
    Q::EnhanceMonster(EnhanceMonsterReq { target, food })
}

fn team(slot: u32, ids: Vec<u64>) -> Q {
    Q::SetTeam(SetTeamReq { slot, monster_ids: ids })
}

#[test]
fn the_box_lists_in_pages() {
    let mut p = Player::new();
    let ids = p.grant(COMMON, 7);
    let page = answer!(p.ok(Q::ListMonsters(ListMonstersReq { offset: 0, limit: 5 })), ListMonsters);
    assert_eq!(page.monsters.iter().map(|m| m.id).collect::<Vec<_>>(), ids[..5]);
    assert_eq!((page.total, page.next_offset), (7, 5));
    let rest = answer!(p.ok(Q::ListMonsters(ListMonstersReq { offset: 5, limit: 5 })), ListMonsters);
    assert_eq!((rest.monsters.len(), rest.next_offset), (2, 0));
    let stats = &rest.monsters[0];
    assert!(stats.power > 0 && stats.hp > 0 && stats.level_cap == 20 && stats.rarity == 1);
    p.refused(Q::ListMonsters(ListMonstersReq { offset: 0, limit: 101 }), ErrorCode::InvalidArgument);
}

#[test]
fn feeding_grows_the_target_for_gold_and_removes_the_food() {
    let mut p = Player::rich(10_000, 0);
    let ids = p.grant(COMMON, 4);
    let res = answer!(p.ok(enhance(ids[0], ids[1..].to_vec())), EnhanceMonster);
    let gold = 3 * u64::from(p.data.rarity(1).expect("rarity 1").enhance_gold);
    assert_eq!(res.gold_spent, gold);
    assert_eq!(p.state.profile.gold, 10_000 - gold);
    assert!(res.levels_gained >= 1, "{res:?}");
    assert_eq!(p.state.owned.monsters.len(), 1);
    assert_eq!(p.state.owned.monsters[&ids[0]].level, res.monster.expect("a monster").level);
}

#[test]
fn feeding_refusals() {
    let mut p = Player::rich(10_000, 0);
    let ids = p.grant(COMMON, 5);
    p.refused(enhance(999, vec![ids[1]]), ErrorCode::NoSuchMonster);
    p.refused(enhance(ids[0], vec![]), ErrorCode::InvalidArgument);
    p.refused(enhance(ids[0], vec![ids[0]]), ErrorCode::InvalidArgument);
    p.refused(enhance(ids[0], vec![ids[1], ids[1]]), ErrorCode::InvalidArgument);
    p.refused(enhance(ids[0], vec![999]), ErrorCode::NoSuchMonster);
    p.ok(Q::LockMonster(LockMonsterReq { monster_id: ids[1], locked: true }));
    p.refused(enhance(ids[0], vec![ids[1]]), ErrorCode::MonsterLocked);
    p.ok(team(1, vec![ids[2]]));
    p.refused(enhance(ids[0], vec![ids[2]]), ErrorCode::MonsterInTeam);
    p.state.profile.gold = 0;
    p.refused(enhance(ids[0], vec![ids[3]]), ErrorCode::NotEnoughGold);
    p.state.profile.gold = 10_000;
    p.state.owned.monsters.get_mut(&ids[0]).expect("target").level = 20;
    p.refused(enhance(ids[0], vec![ids[3]]), ErrorCode::LevelCapReached);
}

#[test]
fn experience_stops_at_the_level_cap() {
    let p = Player::new();
    let mut m = crate::game::entities::Monster {
        id: 1,
        template: COMMON.into(),
        level: 1,
        exp: 0,
        grade: 0,
        locked: false,
        acquired_at_ms: 0,
    };
    monsters::gain_exp(&p.data, &mut m, u64::MAX / 4);
    assert_eq!((m.level, m.exp), (20, 0));
    assert_eq!(monsters::gain_exp(&p.data, &mut m, 1_000), 0);
}

#[test]
fn evolving_needs_the_cap_items_and_gold_and_raises_the_rarity() {
    let mut p = Player::rich(100_000, 0);
    let id = p.grant(COMMON, 1)[0];
    let evolve = || Q::EvolveMonster(EvolveMonsterReq { monster_id: id });
    p.refused(evolve(), ErrorCode::NotAtLevelCap);
    p.state.owned.monsters.get_mut(&id).expect("monster").level = 20;
    p.refused(evolve(), ErrorCode::NotEnoughItems);
    p.state.owned.counters.insert(
        "item.evolve_stone".into(),
        crate::game::entities::Counter { name: "item.evolve_stone".into(), value: 1, resets_at_ms: 0 },
    );
    p.state.profile.gold = 10;
    p.refused(evolve(), ErrorCode::NotEnoughGold);
    p.state.profile.gold = 100_000;
    let before = answer!(p.ok(Q::ListMonsters(ListMonstersReq::default())), ListMonsters).monsters[0].clone();
    let res = answer!(p.ok(evolve()), EvolveMonster);
    let after = res.monster.expect("a monster");
    assert_eq!((after.rarity, after.level_cap), (2, 30));
    assert!(after.attack > before.attack, "evolving raises stats");
    assert_eq!(p.state.profile.gold, 95_000);
    assert!(p.state.owned.counters.get("item.evolve_stone").is_none_or(|c| c.value <= 0));
    p.refused(Q::EvolveMonster(EvolveMonsterReq { monster_id: 77 }), ErrorCode::NoSuchMonster);
    let top = p.grant(TOP, 1)[0];
    p.state.owned.monsters.get_mut(&top).expect("monster").grade = 1;
    p.refused(Q::EvolveMonster(EvolveMonsterReq { monster_id: top }), ErrorCode::TopRarity);
}

#[test]
fn selling_pays_by_rarity_and_refuses_what_cannot_go() {
    let mut p = Player::rich(0, 0);
    let ids = p.grant(COMMON, 3);
    let res = answer!(p.ok(Q::SellMonster(SellMonsterReq { monster_ids: vec![ids[0]] })), SellMonster);
    assert_eq!(res.gold_gained, u64::from(p.data.rarity(1).expect("rarity").sell_gold));
    assert_eq!(p.state.profile.gold, res.gold_gained);
    p.refused(Q::SellMonster(SellMonsterReq { monster_ids: vec![ids[0]] }), ErrorCode::NoSuchMonster);
    p.refused(Q::SellMonster(SellMonsterReq { monster_ids: vec![] }), ErrorCode::InvalidArgument);
    p.refused(Q::SellMonster(SellMonsterReq { monster_ids: vec![ids[1], ids[1]] }), ErrorCode::InvalidArgument);
    p.ok(Q::LockMonster(LockMonsterReq { monster_id: ids[1], locked: true }));
    p.refused(Q::SellMonster(SellMonsterReq { monster_ids: vec![ids[1]] }), ErrorCode::MonsterLocked);
    p.ok(team(2, vec![ids[2]]));
    p.refused(Q::SellMonster(SellMonsterReq { monster_ids: vec![ids[2]] }), ErrorCode::MonsterInTeam);
}

#[test]
fn locking_is_idempotent() {
    let mut p = Player::new();
    let id = p.grant(COMMON, 1)[0];
    let lock = |locked| Q::LockMonster(LockMonsterReq { monster_id: id, locked });
    assert!(answer!(p.ok(lock(true)), LockMonster).monster.expect("monster").locked);
    p.ok(lock(true));
    assert_eq!(p.last_rows, 0, "locking a locked monster writes nothing");
    assert!(!answer!(p.ok(lock(false)), LockMonster).monster.expect("monster").locked);
    p.refused(Q::LockMonster(LockMonsterReq { monster_id: 5, locked: true }), ErrorCode::NoSuchMonster);
}

#[test]
fn teams_hold_distinct_owned_monsters_in_valid_slots() {
    let mut p = Player::new();
    let ids = p.grant(COMMON, 6);
    let res = answer!(p.ok(team(1, ids[..5].to_vec())), SetTeam).team.expect("a team");
    let power: u64 =
        ids[..5].iter().map(|id| crate::game::stats::monster_stats(&p.data, &p.state.owned.monsters[id]).power()).sum();
    assert_eq!(res.power, power);
    p.refused(team(0, ids[..1].to_vec()), ErrorCode::InvalidTeam);
    p.refused(team(4, ids[..1].to_vec()), ErrorCode::InvalidTeam);
    p.refused(team(1, ids.clone()), ErrorCode::InvalidTeam);
    p.refused(team(1, vec![]), ErrorCode::InvalidTeam);
    p.refused(team(1, vec![ids[0], ids[0]]), ErrorCode::InvalidTeam);
    p.refused(team(1, vec![12_345]), ErrorCode::InvalidTeam);
}

#[test]
fn the_first_request_gives_the_starter_box_once_and_a_refusal_does_not() {
    let mut p = Player::new();
    p.state.owned.counters.remove(crate::game::starter::STARTER_COUNTER);
    let expected: u32 = p.data.content.data.starter_box.iter().map(|m| m.count).sum();
    assert!(expected > 0, "the shipped game data has a starter box");
    // A refused first request changes nothing: the box waits for one that goes through.
    p.refused(enhance(1, vec![2]), ErrorCode::NoSuchMonster);
    assert!(p.state.owned.monsters.is_empty());
    let page = answer!(p.ok(Q::ListMonsters(ListMonstersReq { offset: 0, limit: 100 })), ListMonsters);
    assert_eq!(page.total, expected, "the box is in the first answer");
    let mut templates: Vec<String> = page.monsters.iter().map(|m| m.template.clone()).collect();
    templates.sort();
    let mut shipped: Vec<String> = p
        .data
        .content
        .data
        .starter_box
        .iter()
        .flat_map(|m| std::iter::repeat_n(m.monster.clone(), m.count as usize))
        .collect();
    shipped.sort();
    assert_eq!(templates, shipped);
    assert!(p.logs.iter().any(|l| l.action == "starter_box"), "the box is in the action log");
    let again = answer!(p.ok(Q::ListMonsters(ListMonstersReq { offset: 0, limit: 100 })), ListMonsters);
    assert_eq!(again.total, expected, "given once");
}

#[test]
fn a_refusal_that_commits_a_delivery_leaves_the_starter_box_for_the_next_request() {
    use summoner_proto::api::SendFriendRequestReq;
    let (mut asker, mut newcomer) = (Player::with_id(1), Player::with_id(2));
    newcomer.state.owned.counters.remove(crate::game::starter::STARTER_COUNTER);
    let ask = Q::SendFriendRequest(SendFriendRequestReq { user_id: 2 });
    let sent = asker.call_with(ask, crate::game::reads::Fetched::Snapshot(Some(newcomer.snapshot())));
    assert_eq!(sent.error, 0, "{}", sent.message);
    assert_eq!(crate::game::testkit::deliver(&mut [&mut asker, &mut newcomer]), 1);
    // Refused, yet committed: the request applied the delivery waiting for it.
    let refused = newcomer.call(enhance(1, vec![2]));
    assert_eq!(refused.error, ErrorCode::NoSuchMonster as i32);
    assert!(newcomer.state.owned.inbox.values().all(|r| r.applied_at_ms > 0), "the delivery was applied");
    assert!(newcomer.state.owned.monsters.is_empty(), "a refusal gives no starter box");
    let page = answer!(newcomer.ok(Q::ListMonsters(ListMonstersReq { offset: 0, limit: 100 })), ListMonsters);
    assert!(page.total > 0, "the next request that goes through does");
}
