use summoner_proto::api::{ErrorCode, GetSummonRatesReq, SummonReq};

use super::*;
use crate::game::handlers::summon::SUMMON_LOG;

fn summon(pool: &str, count: u32) -> Q {
    Q::Summon(SummonReq { pool: pool.into(), count })
}

#[test]
fn a_single_draw_costs_the_pool_price_and_logs_what_replays_it() {
    let mut p = Player::rich(5_000, 0);
    let res = answer!(p.ok(summon("pool.normal", 1)), Summon);
    assert_eq!(res.monsters.len(), 1);
    assert_eq!(p.state.profile.gold, 4_000);
    let id = res.monsters[0].monster.as_ref().expect("a monster").id;
    assert!(p.state.owned.monsters.contains_key(&id));
    let logs = p.logged(SUMMON_LOG);
    assert_eq!(logs.len(), 1);
    let expected = format!("pool=pool.normal version={} position=0 pity=0", p.data.version);
    assert!(logs[0].params.starts_with(&expected), "{}", logs[0].params);
    assert!(logs[0].result.contains(&format!("id={id}")));
    let currency = p.logged("currency");
    assert_eq!(currency[0].params, "name=gold delta=-1000 reason=summon");
    assert_eq!(currency[0].result, "balance=4000");
}

#[test]
fn ten_draws_cost_the_ten_price_and_count_pity() {
    let mut p = Player::rich(0, 10_000);
    let pool = p.data.pool("pool.premium").expect("premium").clone();
    let res = answer!(p.ok(summon("pool.premium", 10)), Summon);
    assert_eq!(res.monsters.len(), 10);
    assert_eq!(p.state.profile.gems, 10_000 - pool.ten_cost);
    let hits = res.monsters.iter().rposition(|m| m.monster.as_ref().is_some_and(|m| m.rarity >= pool.pity_rarity));
    let expected = hits.map_or(10, |i| 9 - i) as u32;
    assert_eq!(res.pity, expected);
    let rates = answer!(p.ok(Q::GetSummonRates(GetSummonRatesReq {})), GetSummonRates);
    assert_eq!(rates.pools.iter().find(|r| r.pool == "pool.premium").map(|r| r.pity), Some(expected));
}

#[test]
fn summon_refusals_have_their_own_codes() {
    let mut p = Player::rich(500, 10);
    p.refused(summon("pool.nowhere", 1), ErrorCode::UnknownPool);
    p.refused(summon("pool.normal", 3), ErrorCode::InvalidArgument);
    p.refused(summon("pool.normal", 1), ErrorCode::NotEnoughGold);
    p.refused(summon("pool.premium", 1), ErrorCode::NotEnoughGems);
    let mut full = Player::rich(1_000_000, 0);
    let limit = full.data.box_rules.limit as u32;
    while (full.state.owned.monsters.len() as u32) < limit {
        let n = (limit - full.state.owned.monsters.len() as u32).min(50);
        full.grant("mon.slime.water.1", n);
    }
    full.refused(summon("pool.normal", 1), ErrorCode::BoxFull);
}

#[test]
fn published_rates_are_the_draw_tables() {
    let mut p = Player::new();
    let res = answer!(p.ok(Q::GetSummonRates(GetSummonRatesReq {})), GetSummonRates);
    assert_eq!(res.gamedata_version, p.data.version);
    assert_eq!(res.pools.len(), p.data.pools().len());
    for published in &res.pools {
        let pool = p.data.pool(&published.pool).expect("a pool");
        let rates = pool.rates();
        let rarities: Vec<(u32, f64)> = published.rarities.iter().map(|r| (r.rarity, r.probability)).collect();
        assert_eq!(rarities, rates.rarities);
        // Every monster's odds, as published, are the table the draw uses (whose draws the
        // chi-square test in `gacha.rs` checks against these same rates).
        let monsters: Vec<(String, u32, f64)> =
            published.monsters.iter().map(|m| (m.monster.clone(), m.rarity, m.probability)).collect();
        assert_eq!(monsters, rates.monsters);
        let total: f64 = monsters.iter().map(|m| m.2).sum();
        assert!((total - 1.0).abs() < 1e-9, "{} sums to {total}", published.pool);
        assert_eq!((published.pity_after, published.pity_rarity), (pool.pity_after, pool.pity_rarity));
        // The odds with pity: the solved chain, summing to 1, and from a count of 0 the wait
        // for the top rarity is the pool's expectation.
        let odds = crate::game::odds::Odds::of(pool);
        let consolidated: Vec<(u32, f64)> = published.consolidated.iter().map(|r| (r.rarity, r.probability)).collect();
        assert_eq!(consolidated, odds.rarities);
        assert!((consolidated.iter().map(|r| r.1).sum::<f64>() - 1.0).abs() < 1e-9);
        assert_eq!((published.top_rarity, published.expected_draws_to_top), (odds.top_rarity, odds.draws_to_top));
        assert_eq!(published.expected_draws_to_top_now, published.expected_draws_to_top, "a count of 0 now");
        if pool.pity_after > 0 {
            let top: f64 = rates.rarities.iter().filter(|r| r.0 == odds.top_rarity).map(|r| r.1).sum();
            assert!(odds.draws_to_top < 1.0 / top, "{}: pity brings the top rarity nearer", published.pool);
        }
    }
    assert_eq!(p.last_rows, 0, "reading the rates writes nothing");
}

#[test]
fn the_summon_log_reads_back() {
    use crate::game::handlers::summon::SummonRecord;
    let mut p = Player::rich(0, 10_000);
    let res = answer!(p.ok(summon("pool.premium", 10)), Summon);
    let logs = p.logged(SUMMON_LOG);
    for (log, drawn) in logs.iter().zip(&res.monsters) {
        let record = SummonRecord::parse(&log.params, &log.result).expect("reads back");
        let monster = drawn.monster.as_ref().expect("a monster");
        assert_eq!(
            (record.monster_id, record.monster.as_str(), record.by_pity),
            (monster.id, monster.template.as_str(), drawn.by_pity)
        );
        assert_eq!((record.params(), record.result()), (log.params.clone(), log.result.clone()));
    }
    assert!(SummonRecord::parse("pool=x version=2", "monster=y").is_err());
    assert!(logs.iter().all(|l| !l.params.contains("keyed")), "a user without a key draws from the seed's stream");

    // A keyed user's draws say so; a row without the mark (before keys) reads as unkeyed.
    let mut keyed = Player::rich(0, 10_000);
    keyed.state.profile = keyed.state.profile.clone().with_rng_key([3; 32]);
    keyed.ok(summon("pool.premium", 1));
    let log = keyed.logged(SUMMON_LOG).pop().expect("a draw");
    assert!(log.params.ends_with(" keyed=1"), "{}", log.params);
    assert!(SummonRecord::parse(&log.params, &log.result).expect("reads back").keyed);
}

/// The summon rows a player's log holds, newest first, as the store answers a page.
fn own_log(p: &Player) -> Vec<crate::storage::LoggedAction> {
    let rows = p.logged(SUMMON_LOG).into_iter().enumerate().map(|(i, l)| crate::storage::LoggedAction {
        log_id: 100 + i as u64,
        user_id: l.user_id,
        action: l.action.to_owned(),
        params: l.params.clone(),
        result: l.result.clone(),
        at_ms: l.at_ms,
    });
    rows.rev().collect()
}

#[test]
fn the_summon_history_shows_each_draw_as_logged_a_page_at_a_time() {
    use crate::game::reads::Fetched;
    use summoner_proto::api::ListSummonsReq;
    let mut p = Player::rich(10_000, 0);
    let drawn = answer!(p.ok(summon("pool.normal", 10)), Summon);
    let mut rows = own_log(&p);
    // One row more than the page, as the read asks: the page says where the next starts.
    rows.truncate(5);
    p.fetched = Some(Fetched::OwnLog(rows));
    let page = answer!(p.ok(Q::ListSummons(ListSummonsReq { before: 0, limit: 4 })), ListSummons);
    assert_eq!(page.summons.len(), 4);
    assert_eq!(page.next_before, page.summons[3].log_id);
    let newest = drawn.monsters.last().and_then(|m| m.monster.as_ref()).expect("a monster");
    assert_eq!((page.summons[0].monster_id, page.summons[0].pool.as_str()), (newest.id, "pool.normal"));
    assert_eq!(page.summons[0].gamedata_version, p.data.version);
    // The last page: no row beyond it.
    let rows = own_log(&p).split_off(8);
    p.fetched = Some(Fetched::OwnLog(rows));
    let last = answer!(p.ok(Q::ListSummons(ListSummonsReq { before: 102, limit: 4 })), ListSummons);
    assert_eq!((last.summons.len(), last.next_before), (2, 0));
    let refused = p.call(Q::ListSummons(ListSummonsReq { before: 0, limit: 101 }));
    assert_eq!(refused.error, ErrorCode::InvalidArgument as i32);
}

#[test]
fn only_operations_that_read_name_what_they_read() {
    use crate::game::dispatch::needs;
    use crate::game::reads::{Asking, Need};
    use summoner_proto::api::{GetFriendSnapshotReq, GetUserReq, ListSummonsReq, RecommendFriendsReq};
    let p = Player::new();
    let ask = Asking { state: &p.state, now_ms: p.now, test_operations: false };
    assert_eq!(needs(&ask, &Q::RecommendFriends(RecommendFriendsReq {})), Some(Need::Candidates { bucket: 0 }));
    assert_eq!(
        needs(&ask, &Q::GetFriendSnapshot(GetFriendSnapshotReq { user_id: 2 })),
        None,
        "a stranger is refused unread"
    );
    assert_eq!(needs(&ask, &Q::GetUser(GetUserReq {})), None);
    let page = needs(&ask, &Q::ListSummons(ListSummonsReq { before: 0, limit: 0 }));
    assert_eq!(page, Some(Need::OwnLog { action: SUMMON_LOG, before: u64::MAX, limit: 21 }));
    assert_eq!(needs(&ask, &Q::ListSummons(ListSummonsReq { before: 0, limit: 101 })), None);
}
