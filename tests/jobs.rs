//! Scheduled jobs over real HTTP: each one run through the admin listener against every
//! backend (and every cache), deleting what is past its time and nothing else, with what a
//! run did reported by the admin API and `/metrics`.

mod common;

use std::sync::Arc;

use serde_json::Value;
use summoner::config::Config;
use summoner_actors::{Clock, ManualClock};
use summoner_proto::api::{
    CheckInReq, ClaimMailReq, CreateClanReq, DebugGrantMonstersReq, ErrorCode, FinishBattleReq, ListMailReq,
    SetTeamReq, StartBattleReq, request::Payload,
};

use common::{TestServer, assert_status, call, count_rows, game_rows, logged_in, ok};

const ADMIN: &str = "admin-secret";
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

async fn start(config: &Config) -> TestServer {
    let mut config = config.clone();
    config.admin.token = ADMIN.into();
    // Only the test runs them, and only the test passivates actors.
    config.jobs.enabled = false;
    config.sessions.sweep_interval_secs = 3_600;
    TestServer::start(config, Arc::new(ManualClock::new())).await
}

/// Runs job `name` through the admin listener; answers the status and the body as JSON
/// (Null when it is not JSON).
async fn run_job(server: &TestServer, name: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/admin/jobs/{name}/run", server.admin_url))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("the admin listener answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Runs job `name`, which must finish; answers its count.
async fn run_done(server: &TestServer, name: &str) -> i64 {
    let (status, run) = run_job(server, name).await;
    assert_eq!(status, 200, "{name}: {run}");
    assert_eq!(run["outcome"], "done", "{name}: {run}");
    run["count"].as_i64().expect("a count")
}

/// Sends an operator's grant; answers the status.
async fn send_grant(server: &TestServer, user: u64, grant: &Value) -> u16 {
    let answer = reqwest::Client::new()
        .post(format!("{}/admin/users/{user}/mail?reason=test", server.admin_url))
        .bearer_auth(ADMIN)
        .header("x-summoner-operator", "tester")
        .body(grant.to_string())
        .send()
        .await
        .expect("grant answers");
    answer.status().as_u16()
}

async fn log_rows(config: &Config, condition: &str) -> i64 {
    let mut total = 0;
    for url in config.storage.log() {
        total += count_rows(&url, "action_log", condition).await;
    }
    total
}

on_every_backend! {
    /// Mail expired or claimed a week ago and battles that ran out a day ago are deleted,
    /// operators' grants are kept (a late retry of the grant must find it), and the user's
    /// live actor, which still holds those rows, goes on without an error.
    async fn old_mail_and_battles_are_deleted_and_grants_kept(config) {
        let server = start(&config).await;
        let (mut client, user) = logged_in(&server, "jobs-mail").await;
        let granted = answer!(ok(&mut client, Payload::DebugGrantMonsters(DebugGrantMonstersReq {
            template: "mon.slime.fire.1".into(),
            count: 5,
        })).await, DebugGrantMonsters);
        ok(&mut client, Payload::SetTeam(SetTeamReq { slot: 1, monster_ids: granted.monster_ids })).await;
        let claimed = answer!(ok(&mut client, Payload::CheckIn(CheckInReq {})).await, CheckIn).mail_id;
        ok(&mut client, Payload::ClaimMail(ClaimMailReq { mail_id: claimed, all: false })).await;
        let grant = serde_json::json!({
            "grant_id": "jobs-test", "title": "t", "rewards": [{ "what": "gems", "amount": 5 }], "expires_in_days": 1,
        });
        assert_eq!(send_grant(&server, user, &grant).await, 200);

        // The next game day: a second check-in's mail, left unclaimed, and a battle never finished.
        server.clock.advance_ms(DAY_MS);
        let (mut client, _) = logged_in(&server, "jobs-mail").await;
        ok(&mut client, Payload::CheckIn(CheckInReq {})).await;
        let battle = answer!(ok(&mut client, Payload::StartBattle(StartBattleReq {
            stage: "stage.01.01:normal".into(), team_slot: 1,
        })).await, StartBattle);
        let system_mail = game_rows(&config, "mail", "kind <> 'grant'").await;
        assert!(system_mail >= 2, "two check-in mails at least: {system_mail}");
        assert_eq!(game_rows(&config, "battles", "").await, 1);

        // Nothing is old enough yet.
        assert_eq!(run_done(&server, "expired_mail").await, 0);
        assert_eq!(run_done(&server, "stale_battles").await, 0);

        // 30 days of mail life and 7 kept after, a day after the battle ran out.
        server.clock.advance_ms(38 * DAY_MS);
        assert_eq!(run_done(&server, "expired_mail").await, system_mail);
        assert_eq!(run_done(&server, "stale_battles").await, 1);
        assert_eq!(game_rows(&config, "mail", "kind <> 'grant'").await, 0);
        assert_eq!(game_rows(&config, "mail", "kind = 'grant'").await, 1, "the grant's row stays");
        assert_eq!(game_rows(&config, "battles", "").await, 0);
        assert_eq!(run_done(&server, "expired_mail").await, 0, "a second run finds nothing");

        // The live actor still holds the rows: its next requests do not trip on them.
        let (mut client, _) = logged_in(&server, "jobs-mail").await;
        let listed = answer!(ok(&mut client, Payload::ListMail(ListMailReq {})).await, ListMail);
        assert!(listed.mail.is_empty(), "nothing claimable: {:?}", listed.mail);
        let late = call(&mut client, Payload::FinishBattle(FinishBattleReq {
            battle_token: battle.battle_token, elapsed_ms: 60_000, ..Default::default()
        })).await;
        assert_status(&late, 200, ErrorCode::BattleExpired);
        ok(&mut client, Payload::StartBattle(StartBattleReq { stage: "stage.01.01:normal".into(), team_slot: 1 })).await;
        // A grant sent again after its mail expired is still once-only.
        assert_eq!(send_grant(&server, user, &grant).await, 200);
        assert_eq!(game_rows(&config, "mail", "kind = 'grant'").await, 1);

        // A fresh activation reads what is left.
        server.clock.advance_ms(301_000);
        assert_eq!(server.running.passivate_idle().await, 1);
        let (mut client, _) = logged_in(&server, "jobs-mail").await;
        ok(&mut client, Payload::ListMail(ListMailReq {})).await;
        server.stop().await;
    }
}

on_every_backend! {
    /// Action-log rows are kept for the configured days (never fewer than 90: the summon
    /// log's legal minimum), and deleted after.
    async fn the_action_log_is_kept_its_retention_then_deleted(config) {
        let mut config = config;
        config.jobs.action_log_keep_days = 90;
        let server = start(&config).await;
        let (mut client, _) = logged_in(&server, "jobs-log").await;
        ok(&mut client, Payload::CheckIn(CheckInReq {})).await;
        let store = server.running.directory.backend().store().clone();
        store.flush().await.expect("logs shipped");
        let first = log_rows(&config, "").await;
        assert!(first >= 3, "register, login and the check-in at least: {first}");
        assert_eq!(log_rows(&config, "action = 'check_in'").await, 1);

        server.clock.advance_ms(89 * DAY_MS);
        assert_eq!(run_done(&server, "action_log_retention").await, 0, "89 days old: kept");

        server.clock.advance_ms(2 * DAY_MS);
        let (mut client, _) = logged_in(&server, "jobs-log").await;
        ok(&mut client, Payload::CheckIn(CheckInReq {})).await;
        store.flush().await.expect("logs shipped");
        let now = server.clock.now_ms();
        let recent = log_rows(&config, &format!("at_ms >= {}", now - HOUR_MS)).await;
        assert!(recent >= 2, "the login and the check-in of today: {recent}");

        assert_eq!(run_done(&server, "action_log_retention").await, first, "91 days old: deleted");
        assert_eq!(log_rows(&config, "").await, recent, "today's rows are kept");
        assert_eq!(log_rows(&config, "action = 'check_in'").await, 1);
        server.stop().await;
    }
}

on_every_backend! {
    /// A clan action's result, kept so its retry finds it, is deleted once past the retry
    /// window (`jobs.clan_ops_keep_days`), not before.
    async fn clan_action_results_are_deleted_past_the_retry_window(config) {
        let mut config = config;
        config.jobs.clan_ops_keep_days = 7;
        let server = start(&config).await;
        let (mut leader, leader_id) = logged_in(&server, "jobs-clan").await;
        common::rich(&server, leader_id).await;
        ok(&mut leader, Payload::CreateClan(CreateClanReq { name: "Keepers".into(), open: true })).await;
        let clan = config.storage.clan();
        assert_eq!(count_rows(&clan, "clan_ops", "").await, 1);

        server.clock.advance_ms(6 * DAY_MS);
        assert_eq!(run_done(&server, "clan_ops_retention").await, 0, "6 days old: kept");
        server.clock.advance_ms(2 * DAY_MS);
        assert_eq!(run_done(&server, "clan_ops_retention").await, 1, "8 days old: deleted");
        assert_eq!(count_rows(&clan, "clan_ops", "").await, 0);
        assert_eq!(count_rows(&clan, "clans", "").await, 1, "the clan itself stays");
        server.stop().await;
    }
}

/// Players gone quiet leave the recommendation buckets, on every cache.
#[actix_web::test]
async fn stale_players_leave_the_recommendation_buckets() {
    for urls in common::redis::caches() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = common::config(dir.path());
        if let Some(urls) = &urls {
            config = common::redis::with_redis(config, urls);
        }
        let server = start(&config).await;
        logged_in(&server, "jobs-quiet-1").await;
        logged_in(&server, "jobs-quiet-2").await;
        assert_eq!(run_done(&server, "recommendations").await, 0, "both were active just now");
        // Nobody joins their level's bucket since (a player joining would trim it too).
        server.clock.advance_ms(2 * HOUR_MS);
        assert_eq!(run_done(&server, "recommendations").await, 2, "on {urls:?}");
        assert_eq!(run_done(&server, "recommendations").await, 0);
        server.stop().await;
    }
}

/// The jobs as operators see them: listed with their schedule and last run, run on demand,
/// counted in `/metrics`; behind the token, and not on the public port.
#[actix_web::test]
async fn jobs_are_listed_run_and_counted_on_the_admin_listener_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(dir.path());
    config.admin.token = ADMIN.into();
    config.jobs.enabled = true;
    config.jobs.mail_every_secs = 7_200;
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    let http = reqwest::Client::new();
    let jobs_url = format!("{}/admin/jobs", server.admin_url);
    assert_eq!(http.get(&jobs_url).send().await.unwrap().status().as_u16(), 401);
    let run_url = format!("{}/admin/jobs/expired_mail/run", server.admin_url);
    assert_eq!(http.post(&run_url).send().await.unwrap().status().as_u16(), 401);
    assert_eq!(http.get(format!("{}/admin/jobs", server.url)).bearer_auth(ADMIN).send().await.unwrap().status(), 404);

    assert_eq!(run_done(&server, "expired_mail").await, 0);
    let (status, _) = run_job(&server, "no_such_job").await;
    assert_eq!(status, 404);

    let listed: Value = http.get(&jobs_url).bearer_auth(ADMIN).send().await.unwrap().json().await.unwrap();
    let jobs = listed["jobs"].as_array().expect("a list");
    let names: Vec<&str> = jobs.iter().filter_map(|j| j["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "expired_mail",
            "stale_battles",
            "action_log_retention",
            "clan_ops_retention",
            "bot_scores",
            "recommendations",
            "account_deletions"
        ]
    );
    let mail = &jobs[0];
    assert_eq!((mail["every_secs"].as_i64(), mail["timeout_secs"].as_i64()), (Some(7_200), Some(300)));
    assert_eq!((mail["runs"].as_i64(), mail["last"]["outcome"].as_str()), (Some(1), Some("done")));
    assert_eq!(jobs[1]["runs"], 0);

    let metrics = http.get(format!("{}/metrics", server.admin_url)).send().await.unwrap().text().await.unwrap();
    let done_runs = metrics.lines().find(|l| {
        l.starts_with("summoner_job_runs_total{")
            && l.contains(r#"task="expired_mail""#)
            && l.contains(r#"outcome="done""#)
    });
    assert!(done_runs.is_some(), "{metrics}");
    assert!(metrics.contains(r#"summoner_job_last_success_timestamp_seconds{task="expired_mail"}"#));
    server.stop().await;
}
