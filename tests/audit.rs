//! Summon and battle audits on every backend: a logged draw replays to the same monster,
//! through the admin endpoint and the library the CLI calls, also after a newer game-data
//! version is in force and from a fresh catalog that finds the old version in the archive; a
//! tampered log row does not; observed rates are reported per pool and version; a logged
//! battle replays to the result the server paid by.

#[macro_use]
mod common;

use std::sync::Arc;

use common::sheets::{build_with, shipped_version, shipped_version_line};
use common::{TestServer, exec_sql, logged_in};
use summoner::config::Config;
use summoner::service::audit;
use summoner::service::open::open_catalog;
use summoner::storage::Store;
use summoner::storage::rows::{RowWrite, Value};
use summoner::storage::tables::USERS;
use summoner_actors::ManualClock;
use summoner_client::Client;
use summoner_proto::api::{
    BattleInput, DebugGrantMonstersReq, ErrorCode, FinishBattleReq, SetTeamReq, StartBattleReq, SummonReq,
    request::Payload, response::Payload as A,
};
use summoner_proto::files;

const ADMIN: &str = "admin-secret";

/// Ten draws from the normal pool; answers the ids of the monsters drawn.
async fn ten_pull(client: &mut Client) -> Vec<u64> {
    let answer =
        client.call(Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 10 })).await.expect("answered");
    assert_eq!(answer.code(), ErrorCode::Ok, "{:?}", answer.response);
    match answer.response.payload {
        Some(A::Summon(res)) => res.monsters.iter().map(|m| m.monster.as_ref().expect("a monster").id).collect(),
        other => panic!("not a summon answer: {other:?}"),
    }
}

async fn replay(server: &TestServer, user: u64, draw: u64) -> (u16, serde_json::Value) {
    admin_get(server, &format!("/admin/audit/summon?user={user}&draw={draw}")).await
}

async fn admin_get(server: &TestServer, path: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", server.admin_url))
        .header("Authorization", format!("Bearer {ADMIN}"))
        .send()
        .await
        .expect("admin answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

async fn reload(server: &TestServer) -> u16 {
    let response = reqwest::Client::new()
        .post(format!("{}/admin/gamedata/reload", server.admin_url))
        .header("Authorization", format!("Bearer {ADMIN}"))
        .send()
        .await
        .expect("admin answers");
    response.status().as_u16()
}

on_every_backend! {
    async fn logged_draws_replay_across_versions_and_rates_are_reported(config) {
        let gamedata = tempfile::tempdir().expect("a folder");
        // The shipped version, then the next two.
        let v = shipped_version();
        let (shipped, second, third) = (shipped_version_line(), format!("version,{}", v + 1), format!("version,{}", v + 2));
        files::write(gamedata.path(), &build_with(&[])).expect("the shipped version written");
        let mut config: Config = config.clone();
        config.admin.token = ADMIN.into();
        config.gamedata.dir = gamedata.path().to_path_buf();
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut client, user) = logged_in(&server, "dev-gambler").await;
        let gold = USERS.column("gold").expect("gold column");
        let store = server.running.directory.backend().store().clone();
        store
            .write_outside(user, vec![RowWrite::Patch { table: &USERS, key: vec![Value::uint(user)], set: vec![(gold, Value::Int(1_000_000))] }])
            .await
            .expect("gold granted");
        server.running.directory.live(user).expect("live").send(summoner_actors::Refresh::Everything).await.expect("refreshed");

        let under_v2 = ten_pull(&mut client).await;
        let (status, replayed) = replay(&server, user, under_v2[3]).await;
        assert_eq!(status, 200, "{replayed}");
        assert_eq!(replayed["matches"], true, "{replayed}");
        assert_eq!(replayed["logged"]["version"], v);
        assert_eq!(replay(&server, user, 12_345).await.0, 404);

        // The next version draws rarity 1 far less often; the shipped version's draws still replay
        // on the tables they were drawn with.
        let next = build_with(&[("meta.csv", &shipped, &second), ("summon_rates.csv", "pool.normal,1,900", "pool.normal,1,90")]);
        files::write(gamedata.path(), &next).expect("the next version written");
        assert_eq!(reload(&server).await, 200);
        let under_v3 = ten_pull(&mut client).await;
        for draw in [under_v2[0], under_v2[9], under_v3[0], under_v3[9]] {
            let (status, replayed) = replay(&server, user, draw).await;
            assert_eq!((status, &replayed["matches"]), (200, &serde_json::Value::Bool(true)), "{replayed}");
        }
        let reports = audit::rates(store.as_ref(), &server.running.catalog).await.expect("rates");
        let versions: Vec<(String, u32, u64)> = reports.iter().map(|r| (r.pool.clone(), r.version, r.draws)).collect();
        assert_eq!(versions, [("pool.normal".to_string(), v, 10), ("pool.normal".to_string(), v + 1, 10)]);
        assert!(reports.iter().all(|r| r.rarity_test.is_some()));
        // Over all draws, pity ones included, each rarity's count beside the odds with pity.
        for report in &reports {
            assert_eq!(report.consolidated.iter().map(|c| c.1).sum::<u64>(), report.draws, "{report:?}");
            assert!((report.consolidated.iter().map(|c| c.2).sum::<f64>() - 1.0).abs() < 1e-9);
            assert!((report.consolidated.iter().map(|c| c.3).sum::<f64>() - 1.0).abs() < 1e-9);
        }

        // A version the archive holds with other content is refused: its draws would not replay.
        let other_v4 = build_with(&[("meta.csv", &shipped, &third)]);
        files::write(&files::archived(&config.gamedata.archive, v + 2), &other_v4).expect("archived");
        let third_build = build_with(&[("meta.csv", &shipped, &third), ("summon_rates.csv", "pool.normal,1,900", "pool.normal,1,9")]);
        files::write(gamedata.path(), &third_build).expect("the third version written");
        assert_eq!(reload(&server).await, 422);
        assert_eq!(server.running.catalog.current().version, v + 1);
        files::write(gamedata.path(), &next).expect("the next version back");
        server.stop().await;

        // A fresh catalog (as the CLI opens one) serves the next version and finds the shipped one
        // in the archive.
        let catalog = open_catalog(&config).expect("catalog");
        assert_eq!(catalog.current().version, v + 1);
        let store = Arc::new(summoner::storage::db_store::DbStore::open_reader(&summoner::service::open::store_config(&config)).await.expect("store"));
        let again = audit::replay_summon(store.as_ref(), &catalog, user, under_v2[5]).await.expect("replayed");
        assert!(store.write_outside(user, Vec::new()).await.is_err(), "an audit's store writes nothing");
        assert!(again.matches && again.logged.record.version == v);

        // The same through the CLI, as an operator runs it.
        let (code, out) = audit_cli(&config, &["replay-summon", "--user", &user.to_string(), "--draw", &under_v2[5].to_string()]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("MATCH") && out.contains(&format!("under game-data version {v}")), "{out}");
        let (code, out) = audit_cli(&config, &["rates"]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("pool.normal (game data v") && out.contains("chi-square over rarities"), "{out}");
        assert!(out.contains("all draws (pity included)") && out.contains("long run"), "{out}");

        // A log row changed after the fact no longer matches.
        let other = if again.logged.record.monster == "mon.slime.water.1" { "mon.slime.fire.1" } else { "mon.slime.water.1" };
        for url in config.storage.log() {
            exec_sql(&url, &format!(
                "UPDATE action_log SET result = REPLACE(result, 'monster={}', 'monster={other}') WHERE log_id = {}",
                again.logged.record.monster, again.logged.log_id
            )).await;
        }
        let tampered = audit::replay_summon(store.as_ref(), &catalog, user, under_v2[5]).await.expect("replayed");
        assert!(!tampered.matches);
        let (code, out) = audit_cli(&config, &["replay-summon", "--user", &user.to_string(), "--draw", &under_v2[5].to_string()]);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("MISMATCH"), "{out}");
    }
}

on_every_backend! {
    /// A stage battle played with the player's inputs replays to the result the server paid
    /// by, through the admin endpoint and the CLI; a changed log row does not.
    async fn logged_battles_replay_to_the_result_paid(config) {
        let mut config: Config = config.clone();
        config.admin.token = ADMIN.into();
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut client, user) = logged_in(&server, "dev-fighter").await;
        let call = async |client: &mut Client, payload: Payload| {
            let answer = client.call(payload).await.expect("answered");
            assert_eq!(answer.code(), ErrorCode::Ok, "{:?}", answer.response);
            answer.response.payload.expect("a payload")
        };
        let grant = DebugGrantMonstersReq { template: "mon.slime.fire.1".into(), count: 4 };
        let Some(A::DebugGrantMonsters(granted)) = Some(call(&mut client, Payload::DebugGrantMonsters(grant)).await) else {
            panic!("not a grant")
        };
        call(&mut client, Payload::SetTeam(SetTeamReq { slot: 1, monster_ids: granted.monster_ids })).await;
        let start = StartBattleReq { stage: "stage.01.01:normal".into(), team_slot: 1 };
        let A::StartBattle(started) = call(&mut client, Payload::StartBattle(start)).await else { panic!("not a start") };
        server.clock.advance_ms(60_000);
        let inputs = vec![BattleInput { turn: 1, slot: 0, target: Some(0) }, BattleInput { turn: 2, slot: 3, target: None }];
        let finish = FinishBattleReq { battle_token: started.battle_token, inputs, ..Default::default() };
        let A::FinishBattle(finished) = call(&mut client, Payload::FinishBattle(finish)).await else { panic!("not a finish") };

        let token = started.battle_token;
        let (status, replayed) = admin_get(&server, &format!("/admin/audit/battle?user={user}&token={token}")).await;
        assert_eq!(status, 200, "{replayed}");
        assert_eq!(replayed["matches"], true, "{replayed}");
        assert_eq!(replayed["replayed"]["won"], finished.won, "{replayed}");
        assert_eq!(replayed["replayed"]["turns"], finished.turns, "{replayed}");
        assert_eq!(replayed["logged"]["inputs"].as_array().map(Vec::len), Some(2), "{replayed}");
        assert_eq!(replayed["logged"]["lineup"]["team"].as_array().map(Vec::len), Some(4), "{replayed}");
        assert_eq!(admin_get(&server, &format!("/admin/audit/battle?user={user}&token={}", token ^ 1)).await.0, 404);
        server.stop().await;

        let args = ["replay-battle", "--user", &user.to_string(), "--token", &token.to_string()];
        let (code, out) = audit_cli(&config, &args);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains("MATCH") && out.contains(&format!("turns {}", finished.turns)), "{out}");
        // The result logged changed after the fact no longer matches.
        for url in config.storage.log() {
            exec_sql(&url, &format!(
                "UPDATE action_log SET result = REPLACE(result, 'turns={}', 'turns={}') WHERE user_id = {user} AND action = 'battle_finish'",
                finished.turns, finished.turns + 1
            )).await;
        }
        let (code, out) = audit_cli(&config, &args);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("MISMATCH"), "{out}");
    }
}

/// Runs `summoner-audit ARGS` on the databases and game data of `config`; answers its exit
/// code and what it printed.
fn audit_cli(config: &summoner::config::Config, args: &[&str]) -> (Option<i32>, String) {
    let list = |urls: Vec<String>| format!("[{}]", urls.join(", "));
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_summoner-audit"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SUMMONER_")) {
        command.env_remove(name);
    }
    let output = command
        .args(args)
        .env("SUMMONER_STORAGE__COMMON_URL", config.storage.common())
        .env("SUMMONER_STORAGE__CLAN_URL", config.storage.clan())
        .env("SUMMONER_STORAGE__GAME_SHARDS", list(config.storage.game()))
        .env("SUMMONER_STORAGE__LOG_SHARDS", list(config.storage.log()))
        .env("SUMMONER_GAMEDATA__DIR", &config.gamedata.dir)
        .env("SUMMONER_GAMEDATA__ARCHIVE", &config.gamedata.archive)
        .env("SUMMONER_LOG__FILTER", "warn")
        .output()
        .expect("summoner runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}
