//! Random sequences of operations for many users, checking after every step: balances never
//! go below zero and equal the starting balance plus every logged change; item counts equal
//! their logged changes; achievement progress equals what the events so far imply; a retry
//! of the same seq is answered with the same bytes and changes nothing.

use std::collections::BTreeMap;

use proptest::prelude::*;
use summoner_proto::api::{
    BuyItemReq, CheckInReq, ClaimMailReq, ClaimQuestReq, EnhanceMonsterReq, ErrorCode, ExploreReq, FinishBattleReq,
    LockMonsterReq, SellMonsterReq, SetTeamReq, StartBattleReq, SummonReq,
};

use super::*;

#[derive(Debug, Clone)]
enum Op {
    Explore,
    Summon {
        premium: bool,
        ten: bool,
    },
    SetTeam,
    /// A finish that claims `won` and `stars` when `claims` (else the server's result stands).
    Battle {
        stars: u32,
        won: bool,
        claims: bool,
    },
    Enhance,
    Sell,
    Lock,
    Buy(usize),
    CheckIn,
    Claim(usize),
    ClaimMail,
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Explore),
        3 => (any::<bool>(), any::<bool>()).prop_map(|(premium, ten)| Op::Summon { premium, ten }),
        1 => Just(Op::SetTeam),
        2 => (0u32..5, any::<bool>(), any::<bool>()).prop_map(|(stars, won, claims)| Op::Battle { stars, won, claims }),
        2 => Just(Op::Enhance),
        1 => Just(Op::Sell),
        1 => Just(Op::Lock),
        2 => (0usize..10).prop_map(Op::Buy),
        1 => Just(Op::CheckIn),
        2 => (0usize..40).prop_map(Op::Claim),
        1 => Just(Op::ClaimMail),
        1 => (0i64..2 * 86_400_000).prop_map(Op::Wait),
    ]
}

/// What the events so far imply for the achievements that never reset.
#[derive(Default)]
struct Tally {
    explores: u64,
    draws: u64,
    enhances: u64,
}

fn run(p: &mut Player, op: &Op, tally: &mut Tally) {
    let ids: Vec<u64> = p.state.owned.monsters.keys().copied().collect();
    let payload = match op {
        Op::Explore => Q::Explore(ExploreReq {}),
        Op::Summon { premium, ten } => Q::Summon(SummonReq {
            pool: if *premium { "pool.premium" } else { "pool.normal" }.into(),
            count: if *ten { 10 } else { 1 },
        }),
        Op::SetTeam => Q::SetTeam(SetTeamReq { slot: 1, monster_ids: ids.iter().take(5).copied().collect() }),
        Op::Battle { stars, won, claims } => {
            let start = p.call(Q::StartBattle(StartBattleReq { stage: "stage.01.01:normal".into(), team_slot: 1 }));
            let Some(A::StartBattle(started)) = start.payload else { return };
            p.now += 5_000;
            Q::FinishBattle(FinishBattleReq {
                battle_token: started.battle_token,
                won: *won,
                stars: *stars,
                elapsed_ms: 5_000,
                claims_result: *claims,
                ..Default::default()
            })
        }
        Op::Enhance => Q::EnhanceMonster(EnhanceMonsterReq {
            target: ids.first().copied().unwrap_or(0),
            food: ids.iter().skip(5).take(2).copied().collect(),
        }),
        Op::Sell => Q::SellMonster(SellMonsterReq { monster_ids: ids.last().copied().into_iter().collect() }),
        Op::Lock => Q::LockMonster(LockMonsterReq { monster_id: ids.get(6).copied().unwrap_or(0), locked: true }),
        Op::Buy(i) => {
            let items = &p.data.content.data.shop_items;
            Q::BuyItem(BuyItemReq { item: items[i % items.len()].uid.clone() })
        }
        Op::CheckIn => Q::CheckIn(CheckInReq {}),
        Op::Claim(i) => {
            let quests = p.data.quests();
            Q::ClaimQuest(ClaimQuestReq { quest: quests[i % quests.len()].uid.clone() })
        }
        Op::ClaimMail => Q::ClaimMail(ClaimMailReq { mail_id: 0, all: true }),
        Op::Wait(ms) => {
            p.now += ms;
            return;
        }
    };
    let response = p.call(payload.clone());
    if response.error == ErrorCode::Ok as i32 {
        match (&payload, &response.payload) {
            (Q::Explore(_), _) => tally.explores += 1,
            (Q::Summon(_), Some(A::Summon(res))) => tally.draws += res.monsters.len() as u64,
            (Q::EnhanceMonster(_), _) => tally.enhances += 1,
            _ => {}
        }
    }
    assert_eq!(p.retry_last(), response, "a retry gets the same answer");
}

/// Every balance as the currency log rebuilds it from the starting ones.
fn rebuilt(p: &Player, start: &BTreeMap<String, i128>) -> BTreeMap<String, i128> {
    let mut balances = start.clone();
    for log in p.logged("currency") {
        let fields: BTreeMap<&str, &str> = log.params.split(' ').filter_map(|kv| kv.split_once('=')).collect();
        let delta: i128 = fields["delta"].parse().expect("a delta");
        let balance = balances.entry(fields["name"].to_owned()).or_default();
        *balance += delta;
        assert!(*balance >= 0, "{} went below zero", fields["name"]);
        assert_eq!(log.result, format!("balance={balance}"), "the logged balance after");
    }
    balances
}

fn check(p: &Player, start: &BTreeMap<String, i128>, tally: &Tally) {
    let balances = rebuilt(p, start);
    assert_eq!(balances["gold"], i128::from(p.state.profile.gold));
    assert_eq!(balances["gems"], i128::from(p.state.profile.gems));
    for item in &p.data.content.data.items {
        let held = p.state.owned.counters.get(&item.uid).map_or(0, |c| c.value);
        assert!(held >= 0);
        assert_eq!(i128::from(held), balances.get(&item.uid).copied().unwrap_or(0), "{}", item.uid);
    }
    let progress = |id: &str| p.state.owned.quests.get(id).map_or(0, |q| q.progress);
    assert_eq!(progress("quest.ach.explore100"), tally.explores.min(100));
    assert_eq!(progress("quest.ach.summon100"), tally.draws.min(100));
    assert_eq!(progress("quest.ach.enhance50"), tally.enhances.min(50));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn balances_quests_and_retries_stay_consistent(users in proptest::collection::vec(proptest::collection::vec(op(), 1..60), 1..5)) {
        for ops in users {
            let mut p = Player::rich(30_000, 3_000);
            p.grant("mon.slime.fire.1", 6);
            let start: BTreeMap<String, i128> =
                [("gold".to_owned(), 30_000), ("gems".to_owned(), 3_000)].into_iter().collect();
            let mut tally = Tally::default();
            for op in &ops {
                run(&mut p, op, &mut tally);
                check(&p, &start, &tally);
            }
        }
    }
}
