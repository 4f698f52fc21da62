//! The game's operations over HTTP on every backend: a player summons, builds a team, wins
//! a battle, checks in, claims quests and mail and shops, and all of it is there after the
//! actor retired; an operator's grant reaches a live and a retired user exactly once.

#[macro_use]
mod common;

use std::sync::Arc;

use common::{TestServer, action_log_count, assert_status, call, count_rows, logged_in, ok, profile};
use summoner::config::Config;
use summoner::game::battle_sim::{self, Lineup};
use summoner::game::entities::{Entity, Monster};
use summoner::storage::rows::{RowWrite, Value};
use summoner::storage::tables::USERS;
use summoner_actors::ManualClock;
use summoner_proto::api::{
    BattleInput, BuyItemReq, CheckInReq, ClaimMailReq, ClaimQuestReq, DebugGrantMonstersReq, EnhanceMonsterReq,
    ErrorCode, EvolveMonsterReq, FinishBattleReq, GetSummonRatesReq, ListMailReq, ListMonstersReq, ListQuestsReq,
    ListSummonsReq, LockMonsterReq, SellMonsterReq, SetTeamReq, StartBattleReq, SummonReq, request::Payload,
};

const ADMIN: &str = "admin-secret";
const FIRST: &str = "stage.01.01:normal";

async fn start(config: &Config) -> TestServer {
    let mut config = config.clone();
    config.admin.token = ADMIN.into();
    TestServer::start(config, Arc::new(ManualClock::new())).await
}

async fn grant(server: &TestServer, user: u64, grant_id: &str) -> (u16, String) {
    let body = serde_json::json!({
        "grant_id": grant_id,
        "title": "Sorry for the downtime",
        "rewards": [{ "what": "gems", "amount": 300 }, { "what": "item.evolve_stone", "amount": 2 }],
        "expires_in_days": 7,
    });
    let response = reqwest::Client::new()
        .post(format!("{}/admin/users/{user}/mail?reason=outage", server.admin_url))
        .header("Authorization", format!("Bearer {ADMIN}"))
        .header("x-summoner-operator", "tester")
        .body(body.to_string())
        .send()
        .await
        .expect("admin answers");
    (response.status().as_u16(), response.text().await.expect("a body"))
}

on_every_backend! {
    /// A player reads their own summon history, newest first, a page at a time; a limit out
    /// of range is refused.
    async fn a_player_pages_through_their_summon_history(config) {
        let server = start(&config).await;
        let (mut client, user) = logged_in(&server, "dev-history").await;
        common::rich(&server, user).await;
        let mut drawn = Vec::new();
        for _ in 0..2 {
            let ten = answer!(ok(&mut client, Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 10 })).await, Summon);
            drawn.extend(ten.monsters.iter().map(|m| m.monster.as_ref().expect("a monster").id));
        }
        // The draws' log rows reach the log shard once the shipper copied them.
        server.running.directory.backend().store().flush().await.expect("shipped");
        let mut listed = Vec::new();
        let mut before = 0;
        loop {
            let page = answer!(ok(&mut client, Payload::ListSummons(ListSummonsReq { before, limit: 7 })).await, ListSummons);
            assert!(page.summons.len() <= 7);
            assert!(page.summons.iter().all(|s| s.pool == "pool.normal" && s.gamedata_version > 0 && s.rarity >= 1));
            listed.extend(page.summons.iter().map(|s| (s.log_id, s.monster_id)));
            if page.next_before == 0 {
                break;
            }
            before = page.next_before;
        }
        let ids: Vec<u64> = listed.iter().map(|(_, monster)| *monster).collect();
        let newest_first: Vec<u64> = drawn.iter().rev().copied().collect();
        assert_eq!(ids, newest_first, "every draw once, newest first");
        assert!(listed.windows(2).all(|w| w[0].0 > w[1].0), "log ids fall page after page");
        let too_many = call(&mut client, Payload::ListSummons(ListSummonsReq { before: 0, limit: 101 })).await;
        assert_status(&too_many, 200, ErrorCode::InvalidArgument);
        server.stop().await;
    }
}

on_every_backend! {
    /// A session of play, then the same state after the actor retired and reloaded.
    async fn a_player_summons_builds_a_team_battles_and_claims(config) {
        let server = start(&config).await;
        let (mut client, user) = logged_in(&server, "dev-player").await;
        let granted = ok(&mut client, Payload::DebugGrantMonsters(DebugGrantMonstersReq {
            template: "mon.slime.fire.1".into(),
            count: 5,
        })).await;
        let team = answer!(granted, DebugGrantMonsters).monster_ids;
        // The odds, as published: every pool of the game data in force, summing to one.
        let rates = answer!(ok(&mut client, Payload::GetSummonRates(GetSummonRatesReq {})).await, GetSummonRates);
        let data = server.running.catalog.current();
        assert_eq!((rates.gamedata_version, rates.pools.len()), (data.version, data.pools().len()));
        for pool in &rates.pools {
            let total: f64 = pool.monsters.iter().map(|m| m.probability).sum();
            assert!((total - 1.0).abs() < 1e-9 && !pool.rarities.is_empty(), "{}", pool.pool);
        }
        let summoned = answer!(ok(&mut client, Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })).await, Summon);
        let drawn = summoned.monsters[0].monster.as_ref().expect("a monster").id;
        let poor = call(&mut client, Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })).await;
        assert_status(&poor, 200, ErrorCode::NotEnoughGold);

        ok(&mut client, Payload::SetTeam(SetTeamReq { slot: 1, monster_ids: team.clone() })).await;
        let started = answer!(ok(&mut client, Payload::StartBattle(StartBattleReq { stage: FIRST.into(), team_slot: 1 })).await, StartBattle);
        assert_eq!(started.battle_seed, started.battle_token);
        // Auto-battle: the server plays it from the seed; a win sooner than the stage allows is refused.
        let auto = FinishBattleReq { battle_token: started.battle_token, elapsed_ms: 60_000, ..Default::default() };
        let too_fast = call(&mut client, Payload::FinishBattle(auto.clone())).await;
        assert_status(&too_fast, 200, ErrorCode::BattleTooFast);
        server.clock.advance_ms(60_000);
        let past_bounds = FinishBattleReq {
            inputs: vec![BattleInput { turn: 31, slot: 0, target: None }],
            ..auto.clone()
        };
        assert_status(&call(&mut client, Payload::FinishBattle(past_bounds)).await, 200, ErrorCode::BattleInputsInvalid);
        // Five against the first stage win; a claimed loss is not the server's result.
        let claimed_loss = FinishBattleReq { won: false, stars: 0, claims_result: true, ..auto.clone() };
        assert_status(&call(&mut client, Payload::FinishBattle(claimed_loss)).await, 200, ErrorCode::BattleResultMismatch);
        let won = answer!(ok(&mut client, Payload::FinishBattle(auto.clone())).await, FinishBattle);
        assert!(won.won && (1..=3).contains(&won.stars) && won.turns > 0);
        assert!(won.first_clear && won.drops.len() == 1);
        let replayed = call(&mut client, Payload::FinishBattle(auto)).await;
        assert_status(&replayed, 200, ErrorCode::BattleReplayed);

        let checked = answer!(ok(&mut client, Payload::CheckIn(CheckInReq {})).await, CheckIn);
        ok(&mut client, Payload::ClaimQuest(ClaimQuestReq { quest: "quest.daily.checkin".into() })).await;
        let again = call(&mut client, Payload::ClaimQuest(ClaimQuestReq { quest: "quest.daily.checkin".into() })).await;
        assert_status(&again, 200, ErrorCode::QuestAlreadyClaimed);
        let mail = answer!(ok(&mut client, Payload::ListMail(ListMailReq {})).await, ListMail).mail;
        assert_eq!(mail.iter().map(|m| m.id).collect::<Vec<_>>(), [checked.mail_id]);
        ok(&mut client, Payload::ClaimMail(ClaimMailReq { mail_id: checked.mail_id, all: false })).await;
        ok(&mut client, Payload::BuyItem(BuyItemReq { item: "shop.stamina.small".into() })).await;
        let before = profile(&mut client).await;

        // Everything above is in storage: a fresh activation sees the same.
        server.clock.advance_ms(301_000);
        assert_eq!(server.running.passivate_idle().await, 1);
        let after = profile(&mut client).await;
        assert_eq!((after.gold, after.gems, after.level, after.exp), (before.gold, before.gems, before.level, before.exp));
        let listed = answer!(ok(&mut client, Payload::ListMonsters(ListMonstersReq { offset: 0, limit: 100 })).await, ListMonsters);
        let ids: Vec<u64> = listed.monsters.iter().map(|m| m.id).collect();
        assert!(ids.contains(&drawn) && ids.contains(&won.drops[0].id) && team.iter().all(|id| ids.contains(id)));
        let quests = answer!(ok(&mut client, Payload::ListQuests(ListQuestsReq {})).await, ListQuests).quests;
        let stage3 = quests.iter().find(|q| q.quest == "quest.daily.stage3").expect("listed");
        assert_eq!(stage3.progress, 1);
        assert!(quests.iter().any(|q| q.quest == "quest.daily.checkin" && q.claimed));
        let battle = call(&mut client, Payload::StartBattle(StartBattleReq { stage: "stage.01.01:hard".into(), team_slot: 1 })).await;
        assert_status(&battle, 200, ErrorCode::Ok);

        server.running.directory.backend().store().flush().await.expect("logs shipped");
        assert_eq!(action_log_count(&config, "summon").await, 1, "one summon-log row per draw");
        assert_eq!(action_log_count(&config, "suspicious").await, 3, "the fast, the mismatched and the replayed finish");
        let _ = user;
        server.stop().await;
    }
}

on_every_backend! {
    /// A client that plays the battle itself, from the seed and the units it knows, finds the
    /// server's result: a claimed result other than the simulation's is refused, and a loss
    /// the server played pays nothing whatever the client would have liked.
    async fn a_claimed_result_is_checked_against_the_server_s_simulation(config) {
        let server = start(&config).await;
        let (mut client, _) = logged_in(&server, "dev-weakling").await;
        let grant = DebugGrantMonstersReq { template: "mon.slime.water.1".into(), count: 1 };
        let team = answer!(ok(&mut client, Payload::DebugGrantMonsters(grant)).await, DebugGrantMonsters).monster_ids;
        ok(&mut client, Payload::SetTeam(SetTeamReq { slot: 1, monster_ids: team })).await;
        let started = answer!(ok(&mut client, Payload::StartBattle(StartBattleReq { stage: FIRST.into(), team_slot: 1 })).await, StartBattle);
        server.clock.advance_ms(60_000);

        // The client's own copy of the battle: its monster and the stage's enemies, as the game data makes them.
        let data = server.running.catalog.current();
        let level = data.stage(FIRST).expect("the first stage").level.clone();
        let enemies = level.enemies.iter().map(|e| battle_sim::unit(&data, e, level.enemy_level, 0)).collect();
        let lineup = Lineup::new(vec![battle_sim::unit(&data, "mon.slime.water.1", 1, 0)], enemies, &|a, b| data.strong_against(a, b));
        let outcome = lineup.simulate(started.battle_seed, &[]).expect("no inputs");
        let finish = |won: bool, stars: u32| FinishBattleReq {
            battle_token: started.battle_token, won, stars, elapsed_ms: 60_000, claims_result: true, ..Default::default()
        };
        let other = if outcome.won { finish(false, 0) } else { finish(true, 1) };
        assert_status(&call(&mut client, Payload::FinishBattle(other)).await, 200, ErrorCode::BattleResultMismatch);
        let gold = started.user.as_ref().expect("the user").gold;
        let done = answer!(ok(&mut client, Payload::FinishBattle(finish(outcome.won, outcome.stars))).await, FinishBattle);
        assert_eq!((done.won, done.stars, done.turns), (outcome.won, outcome.stars, outcome.turns));
        let after = done.user.expect("the user").gold;
        assert_eq!(after, gold + done.gold, "paid by the server's result");
        assert_eq!(done.gold > 0, outcome.won, "a loss pays nothing");
    }
}

on_every_backend! {
    /// The same grant sent twice to a user who is playing and to one whose actor retired:
    /// each finds one mail at their next request, claims it once, and a third send after
    /// the claim writes nothing.
    async fn an_operator_grant_reaches_live_and_retired_users_once(config) {
        let server = start(&config).await;
        let (mut retired, retired_id) = logged_in(&server, "dev-away").await;
        profile(&mut retired).await;
        server.clock.advance_ms(301_000);
        assert_eq!(server.running.passivate_idle().await, 1);
        let (mut live, live_id) = logged_in(&server, "dev-here").await;
        profile(&mut live).await;

        for (user, client) in [(live_id, &mut live), (retired_id, &mut retired)] {
            let (status, first) = grant(&server, user, "outage-2026-11").await;
            assert_eq!(status, 200, "{first}");
            let (status, second) = grant(&server, user, "outage-2026-11").await;
            assert_eq!(status, 200, "{second}");
            let sent: serde_json::Value = serde_json::from_str(&first).expect("json");
            let mail_id = sent["mail_id"].as_u64().expect("a mail id");
            let listed = answer!(ok(client, Payload::ListMail(ListMailReq {})).await, ListMail).mail;
            assert_eq!(listed.iter().map(|m| m.id).collect::<Vec<_>>(), [mail_id]);
            let gems = profile(client).await.gems;
            ok(client, Payload::ClaimMail(ClaimMailReq { mail_id, all: false })).await;
            assert_eq!(profile(client).await.gems, gems + 300);
            assert_eq!(grant(&server, user, "outage-2026-11").await.0, 200);
            let none = call(client, Payload::ClaimMail(ClaimMailReq { mail_id: 0, all: true })).await;
            assert_status(&none, 200, ErrorCode::NothingToClaim);
            let mut rows = 0;
            for url in config.storage.game() {
                rows += count_rows(&url, "mail", &format!("user_id = {user}")).await;
            }
            assert_eq!(rows, 1, "one mail row, however often the grant was sent");
        }
        assert_eq!(grant(&server, 424_242, "outage-2026-11").await.0, 404);
        server.running.directory.backend().store().flush().await.expect("logs shipped");
        assert_eq!(action_log_count(&config, "operator_grant").await, 6, "every send is on record");
        let refused = reqwest::Client::new()
            .post(format!("{}/admin/users/{live_id}/mail?reason=test", server.admin_url))
            .header("Authorization", format!("Bearer {ADMIN}"))
            .header("x-summoner-operator", "tester")
            .body(r#"{"grant_id":"x","title":"t","rewards":[{"what":"diamonds","amount":1}],"expires_in_days":1}"#)
            .send()
            .await
            .expect("answers");
        assert_eq!(refused.status().as_u16(), 422);
        server.stop().await;
    }
}

on_every_backend! {
    /// The monster box over HTTP: lock, feed, sell, and evolve with stones from a grant;
    /// what each refused changed nothing, and all of it is there after the actor retired.
    async fn the_monster_box_locks_feeds_sells_and_evolves(config) {
        let server = start(&config).await;
        let (mut client, user) = logged_in(&server, "dev-keeper").await;
        let granted = ok(&mut client, Payload::DebugGrantMonsters(DebugGrantMonstersReq {
            template: "mon.slime.water.1".into(),
            count: 8,
        })).await;
        let ids = answer!(granted, DebugGrantMonsters).monster_ids;
        ok(&mut client, Payload::LockMonster(LockMonsterReq { monster_id: ids[1], locked: true })).await;
        let locked = call(&mut client, Payload::EnhanceMonster(EnhanceMonsterReq { target: ids[0], food: vec![ids[1]] })).await;
        assert_status(&locked, 200, ErrorCode::MonsterLocked);
        let fed = answer!(ok(&mut client, Payload::EnhanceMonster(EnhanceMonsterReq { target: ids[0], food: vec![ids[2], ids[3], ids[6]] })).await, EnhanceMonster);
        assert!(fed.monster.expect("a monster").level > 1);
        let sold = answer!(ok(&mut client, Payload::SellMonster(SellMonsterReq { monster_ids: vec![ids[4]] })).await, SellMonster);
        assert!(sold.gold_gained > 0);
        let gone = call(&mut client, Payload::SellMonster(SellMonsterReq { monster_ids: vec![ids[4]] })).await;
        assert_status(&gone, 200, ErrorCode::NoSuchMonster);

        // An operator raises one to its level cap and grants stones; then it evolves.
        let capped = Monster { id: ids[5], template: "mon.slime.water.1".into(), level: 20, exp: 0, grade: 0, locked: false, acquired_at_ms: 0 };
        let store = server.running.directory.backend().store().clone();
        let gold = USERS.column("gold").expect("gold column");
        let rich = RowWrite::Patch { table: &USERS, key: vec![Value::uint(user)], set: vec![(gold, Value::Int(100_000))] };
        store.write_outside(user, vec![RowWrite::Update(Monster::TABLE, capped.row(user)), rich]).await.expect("raised");
        let live = server.running.directory.live(user).expect("live");
        assert!(live.send(summoner_actors::Refresh::Everything).await.expect("answered"), "read again");
        let (status, body) = grant(&server, user, "stones").await;
        assert_eq!(status, 200, "{body}");
        let short = call(&mut client, Payload::EvolveMonster(EvolveMonsterReq { monster_id: ids[5] })).await;
        assert_status(&short, 200, ErrorCode::NotEnoughItems);
        ok(&mut client, Payload::ClaimMail(ClaimMailReq { mail_id: 0, all: true })).await;
        let evolved = answer!(ok(&mut client, Payload::EvolveMonster(EvolveMonsterReq { monster_id: ids[5] })).await, EvolveMonster);
        assert_eq!(evolved.monster.expect("a monster").rarity, 2);

        server.clock.advance_ms(301_000);
        assert_eq!(server.running.passivate_idle().await, 1);
        let listed = answer!(ok(&mut client, Payload::ListMonsters(ListMonstersReq { offset: 0, limit: 0 })).await, ListMonsters);
        let by_id = |id: u64| listed.monsters.iter().find(|m| m.id == id).cloned();
        let starter: u32 = server.running.catalog.current().content.data.starter_box.iter().map(|m| m.count).sum();
        assert_eq!(listed.total, starter + 4, "the starter box, and 8 granted, 3 fed, 1 sold");
        assert!(by_id(ids[1]).expect("kept").locked);
        assert_eq!(by_id(ids[5]).expect("kept").rarity, 2);
        assert!(by_id(ids[0]).expect("kept").level > 1);
        server.stop().await;
    }
}
