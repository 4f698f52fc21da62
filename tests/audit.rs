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
use summoner_actors::{Clock, ManualClock};
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

/// Action-log rows (log id, user, action, params, at) as one INSERT on a log shard.
fn log_rows(rows: &[(u64, u64, &str, String, i64)]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|(id, user, action, params, at)| format!("({id}, {user}, '{action}', '{params}', '', {at})"))
        .collect();
    format!("INSERT INTO action_log (log_id, user_id, action, params, result, at_ms) VALUES {}", values.join(", "))
}

on_every_backend! {
    /// The bot_scores job scores the users active on the last game day from the action logs
    /// of three days: a macro on a 30-second loop, the same every day, trading in a closed ring
    /// tops the list with its features; a player with heavy-tailed pauses at other hours each
    /// day, trading with a friend who has friends of their own, scores lower. A second run
    /// replaces the day's rows. Bad limits are refused, the list needs the admin token.
    async fn the_suspects_of_a_day_are_scored_from_the_logs_and_listed(config) {
        let mut config: Config = config.clone();
        config.admin.token = ADMIN.into();
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let reset = server.running.catalog.current().reset.clone();
        let now = server.clock.now_ms();
        let day = reset.last_reset(reset.last_reset(now) - 1);
        let days = [reset.last_reset(reset.last_reset(day - 1) - 1), reset.last_reset(day - 1), day];
        let (bot, ring, player, friend) = (9_001u64, [9_002u64, 9_003], 9_010u64, 9_011u64);
        let mut rows = Vec::new();
        let mut id = 50_000_000u64;
        let mut next = || { id += 1; id };
        let loop_of = ["explore", "summon", "battle_start", "battle_finish"];
        let mut seed = 12_345u64;
        for (d, start) in days.iter().enumerate() {
            for i in 0..200i64 {
                rows.push((next(), bot, loop_of[i as usize % 4], String::new(), start + 3_600_000 + i * 30_000));
            }
            let mut at = start + (d as i64 * 5 + 2) * 3_600_000;
            for i in 0..80 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                at += (1_000i64 << ((seed >> 33) % 12)) + ((seed >> 20) % 5_000) as i64;
                let at = at.min(start + 86_399_000 - i);
                // A request logs several rows at one instant (its currency first, say): one action.
                rows.push((next(), player, "currency", String::new(), at));
                rows.push((next(), player, ["explore", "summon", "list_friends", "buy_item", "battle_start"][(seed >> 40) as usize % 5], String::new(), at));
            }
        }
        // The bot's gifts keep its rhythm; its ring's come at night.
        let after_loop = days[2] + 3_600_000 + 200 * 30_000;
        for (k, to) in [ring[0], ring[1], ring[0]].into_iter().enumerate() {
            rows.push((next(), bot, "gift_sent", format!("to={to} points=5"), after_loop + k as i64 * 30_000));
        }
        let last = days[2] + 20 * 3_600_000;
        for (from, to) in [(ring[0], ring[1]), (ring[1], bot), (ring[0], bot), (ring[1], ring[0])] {
            for k in 0..2 {
                rows.push((next(), from, "gift_sent", format!("to={to} points=5"), last + k));
            }
        }
        for (from, to) in [(player, friend), (player, friend), (player, friend), (friend, 9_100), (friend, 9_101), (friend, 9_102)] {
            rows.push((next(), from, "gift_sent", format!("to={to} points=5"), last + 10));
        }
        // The friend's other friends have friends of their own.
        for stranger in 9_100..9_103u64 {
            for further in 0..4 {
                rows.push((next(), stranger, "gift_sent", format!("to={} points=5", 9_200 + stranger * 10 + further), last + 20));
            }
        }
        let log = config.storage.log()[0].clone();
        for chunk in rows.chunks(200) {
            exec_sql(&log, &log_rows(chunk)).await;
        }

        let http = reqwest::Client::new();
        let run = |name: &'static str| {
            let http = http.clone();
            let url = format!("{}/admin/jobs/{name}/run", server.admin_url);
            async move {
                let answer: serde_json::Value = http.post(url).bearer_auth(ADMIN).send().await.expect("answers").json().await.expect("json");
                answer
            }
        };
        let first = run("bot_scores").await;
        assert_eq!(first["outcome"], "done", "{first}");
        // The bot, its ring, the player, the friend and the friend's three friends acted that day.
        assert_eq!(first["count"], 8, "{first}");
        let (status, listed) = admin_get(&server, "/admin/suspects").await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed["day_ms"], day);
        let suspects = listed["suspects"].as_array().expect("a list").clone();
        assert_eq!(suspects.len(), 8, "{listed}");
        assert_eq!(suspects[0]["user_id"], bot, "{listed}");
        let features = &suspects[0]["features"];
        assert_eq!(features["regularity"], 1.0, "{features}");
        assert!(features["self_similarity"].as_f64().expect("a number") > 0.99, "{features}");
        assert_eq!(features["social_closure"], 1.0, "{features}");
        let score_of = |user: u64| suspects.iter().find(|s| s["user_id"] == user).and_then(|s| s["score"].as_f64()).expect("scored");
        assert!(score_of(bot) > 0.9 && score_of(player) < 0.5, "{listed}");
        let closure_of = |user: u64| suspects.iter().find(|s| s["user_id"] == user).map(|s| s["features"]["social_closure"].clone());
        assert_eq!((closure_of(bot), closure_of(ring[0])), (Some(1.0.into()), Some(1.0.into())), "{listed}");
        assert_eq!(closure_of(player), Some(0.2.into()), "one in five of the friends' friends' trades: {listed}");
        assert_eq!(closure_of(friend), Some(0.0.into()), "the friend's outer circle tells nothing: {listed}");

        let again = run("bot_scores").await;
        assert_eq!(again["count"], 8, "{again}");
        let (_, relisted) = admin_get(&server, "/admin/suspects?limit=500").await;
        assert_eq!(relisted["suspects"].as_array().map(Vec::len), Some(8), "a second run replaces each row: {relisted}");
        let (_, one) = admin_get(&server, "/admin/suspects?limit=1").await;
        assert_eq!(one["suspects"][0]["user_id"], bot);
        let (_, same) = admin_get(&server, &format!("/admin/suspects?day={}&limit=1", day + 5 * 3_600_000)).await;
        assert_eq!((&same["day_ms"], &same["suspects"][0]["user_id"]), (&day.into(), &bot.into()), "any instant names its day");
        let (_, earlier) = admin_get(&server, &format!("/admin/suspects?day={}", days[0])).await;
        assert_eq!(earlier["suspects"].as_array().map(Vec::len), Some(0), "that day was not scored: {earlier}");
        assert_eq!(admin_get(&server, "/admin/suspects?limit=0").await.0, 400);
        assert_eq!(admin_get(&server, "/admin/suspects?limit=501").await.0, 400);
        let anonymous = http.get(format!("{}/admin/suspects", server.admin_url)).send().await.expect("answers");
        assert_eq!(anonymous.status().as_u16(), 401);
        // The admin page lists them too, highest first.
        let page = http.get(format!("{}/admin/", server.admin_url)).bearer_auth(ADMIN).send().await.expect("answers");
        let page = page.text().await.expect("a page");
        let table = &page[page.find("id=\"suspects\"").expect("the suspects' table")..];
        let first_row = &table[table.find("<tr><td>").expect("a row")..];
        assert!(first_row.starts_with(&format!("<tr><td><a href=\"/admin/page/users/{bot}\">")), "{first_row}");

        // The friend's account is being erased, and the erasure's last step deleted their
        // score: a run whose read came before it does not bring the row back.
        let common_url = config.storage.common();
        exec_sql(&common_url, &format!("INSERT INTO account_deletions (user_id, game_shard, log_shard, requested_at_ms, due_at_ms, phase, phase_at_ms) VALUES ({friend}, 0, 0, 0, 0, 1, 0)")).await;
        exec_sql(&log, &format!("DELETE FROM bot_scores WHERE user_id = {friend}")).await;
        let after = run("bot_scores").await;
        assert_eq!(after["count"], 7, "the user being erased is not scored: {after}");
        let (_, listed) = admin_get(&server, "/admin/suspects?limit=500").await;
        let listed: Vec<&serde_json::Value> = listed["suspects"].as_array().expect("a list").iter().map(|s| &s["user_id"]).collect();
        assert!(!listed.contains(&&friend.into()), "{listed:?}");
        server.stop().await;
    }
}
