//! The admin listener over real HTTP: what the public port no longer serves, the token, and
//! the operator's views of a live server.

#[macro_use]
mod common;

use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use summoner::service::open::store_config;
use summoner::storage::batch::BatchHook;
use summoner::storage::db_store::DbStore;
use summoner_actors::ManualClock;
use summoner_proto::api::{ErrorCode, ExploreReq, GetUserReq, request::Payload};
use tokio::sync::{mpsc, oneshot};

use common::{TestServer, assert_status, config, logged_in, profile};

const ADMIN: &str = "admin-secret";

async fn start() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin.token = ADMIN.into();
    (TestServer::start(config, Arc::new(ManualClock::new())).await, dir)
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.expect("the server answers").status().as_u16()
}

#[actix_web::test]
async fn the_public_port_serves_the_api_and_probes_only() {
    let (server, _dir) = start().await;
    let http = reqwest::Client::new();
    for path in ["/metrics", "/admin/gamedata", "/admin/actors", "/admin/"] {
        assert_eq!(status(http.get(format!("{}{path}", server.url)).bearer_auth(ADMIN)).await, 404, "{path}");
    }
    assert_eq!(status(http.post(format!("{}/admin/actors/passivate", server.url)).bearer_auth(ADMIN)).await, 404);
    let ready = http.get(format!("{}/readyz", server.url)).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready\n");
    assert_eq!(status(http.get(format!("{}/healthz", server.url))).await, 200);

    // The admin listener: metrics and the detailed probe without a token, the rest with it.
    assert_eq!(status(http.get(format!("{}/metrics", server.admin_url))).await, 200);
    assert_eq!(status(http.get(format!("{}/readyz", server.admin_url))).await, 200);
    assert_eq!(status(http.get(format!("{}/admin/gamedata", server.admin_url))).await, 401);
    assert_eq!(status(http.get(format!("{}/admin/gamedata", server.admin_url)).bearer_auth("wrong")).await, 401);
    assert_eq!(status(http.get(format!("{}/admin/gamedata", server.admin_url)).bearer_auth(ADMIN)).await, 200);
    // The API is not served on the admin port.
    assert_eq!(status(http.post(format!("{}/api", server.admin_url)).body("x")).await, 404);
    server.stop().await;
}

/// Holds the next game-shard batch until the test lets it go.
#[derive(Default)]
struct HoldNext {
    held: Mutex<Option<(mpsc::UnboundedSender<()>, oneshot::Receiver<()>)>>,
}

impl BatchHook for HoldNext {
    fn before_commit(&self, shard: &str, _users: &[i64]) -> BoxFuture<'static, Result<(), String>> {
        let held = shard.starts_with("game").then(|| self.held.lock().unwrap().take()).flatten();
        async move {
            if let Some((entered, release)) = held {
                let _ = entered.send(());
                let _ = release.await;
            }
            Ok(())
        }
        .boxed()
    }

    fn after_commit(&self, _shard: &str, _users: &[i64]) -> BoxFuture<'static, Result<(), String>> {
        async { Ok(()) }.boxed()
    }
}

async fn admin_json(server: &TestServer, path: &str) -> Value {
    let reply = reqwest::Client::new()
        .get(format!("{}{path}", server.admin_url))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("the admin listener answers");
    assert_eq!(reply.status().as_u16(), 200, "{path}");
    reply.json().await.expect("JSON")
}

#[actix_web::test]
async fn a_request_held_at_its_commit_shows_in_flight_at_the_persistence_stage() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin.token = ADMIN.into();
    let hook = Arc::new(HoldNext::default());
    let mut settings = store_config(&config);
    settings.hook = Some(hook.clone());
    let store = Arc::new(DbStore::open(&settings, 0).await.expect("store opens"));
    let server = TestServer::start_with_store(config, store).await;
    let (mut client, user) = logged_in(&server, "dev-held").await;
    let idle = admin_json(&server, "/admin/requests").await;
    assert_eq!(idle["in_flight"], 0);

    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (release, release_rx) = oneshot::channel();
    *hook.held.lock().unwrap() = Some((entered_tx, release_rx));
    let mut explorer = client.clone();
    let pending = actix_web::rt::spawn(async move { explorer.call(Payload::Explore(ExploreReq {})).await });
    entered.recv().await.expect("the batch is held");

    let view = admin_json(&server, "/admin/requests").await;
    assert_eq!(view["in_flight"], 1, "{view}");
    let held = &view["requests"][0];
    assert_eq!(held["user_id"], user, "{view}");
    assert_eq!(held["op"], "Explore");
    assert_eq!(held["stage"], "persistence");
    assert_eq!(held["shard"], 1, "the user's game shard");
    assert!(held["age_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{held}");
    assert_eq!(held["overdue"], false);
    let by_stage: Vec<(String, u64)> = serde_json::from_value(view["by_stage"].clone()).unwrap();
    assert!(by_stage.contains(&("persistence".into(), 1)), "{by_stage:?}");

    let shards = admin_json(&server, "/admin/shards").await;
    let game = shards["shards"].as_array().unwrap().iter().find(|s| s["shard"] == "game-1").expect("game-1 listed");
    assert_eq!(game["in_batch"], 1, "{shards}");
    assert!(game["oldest_job_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{shards}");

    release.send(()).unwrap();
    assert_status(&pending.await.unwrap().unwrap(), 200, ErrorCode::Ok);
    let after = admin_json(&server, "/admin/requests").await;
    assert_eq!(after["in_flight"], 0, "answered requests leave the view");
    let shards = admin_json(&server, "/admin/shards").await;
    let game = shards["shards"].as_array().unwrap().iter().find(|s| s["shard"] == "game-1").unwrap().clone();
    assert_eq!((game["queued"].clone(), game["in_batch"].clone()), (0.into(), 0.into()), "{shards}");
    assert!(game["oldest_job_ms"].is_null());
    assert!(game["batches"].as_u64().unwrap() >= 1);
    let _ = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
    server.stop().await;
}

/// A request whose caller stopped waiting (its deadline passed, the client got a 500) while
/// its commit is held stays in view, overdue, where it waits: the actor still works on it.
#[actix_web::test]
async fn a_request_past_its_deadline_stays_in_view_while_the_actor_works_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin.token = ADMIN.into();
    config.limits.request_timeout_ms = 300;
    let hook = Arc::new(HoldNext::default());
    let mut settings = store_config(&config);
    settings.hook = Some(hook.clone());
    let store = Arc::new(DbStore::open(&settings, 0).await.expect("store opens"));
    let server = TestServer::start_with_store(config, store).await;
    let (mut client, user) = logged_in(&server, "dev-overdue").await;
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (release, release_rx) = oneshot::channel();
    *hook.held.lock().unwrap() = Some((entered_tx, release_rx));
    let timed_out = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
    assert_eq!(timed_out.status, 500, "the caller gave up: {:?}", timed_out.response);
    entered.recv().await.expect("the batch is held");

    let view = admin_json(&server, "/admin/requests").await;
    let held = &view["requests"][0];
    assert_eq!((held["user_id"].as_u64(), held["stage"].as_str()), (Some(user), Some("persistence")), "{view}");
    assert_eq!(held["overdue"], true, "{view}");
    assert!(held["age_ms"].as_f64().is_some_and(|ms| ms >= 300.0), "{held}");

    release.send(()).unwrap();
    // The retry finds the write made once; the request then leaves the view.
    let retried = client.send(client.last_seq(), Payload::Explore(ExploreReq {})).await.unwrap();
    assert_status(&retried, 200, ErrorCode::Ok);
    assert_eq!(admin_json(&server, "/admin/requests").await["in_flight"], 0);
    server.stop().await;
}

async fn admin_call(server: &TestServer, method: reqwest::Method, path: &str) -> (u16, String) {
    let reply = reqwest::Client::new()
        .request(method, format!("{}{path}", server.admin_url))
        .bearer_auth(ADMIN)
        .header("x-summoner-operator", "tester")
        .send()
        .await
        .expect("the admin listener answers");
    (reply.status().as_u16(), reply.text().await.unwrap())
}

async fn admin_post(server: &TestServer, path: &str) -> (u16, String) {
    admin_call(server, reqwest::Method::POST, path).await
}

async fn admin_get(server: &TestServer, path: &str) -> (u16, String) {
    admin_call(server, reqwest::Method::GET, path).await
}

#[actix_web::test]
async fn operators_list_inspect_passivate_and_kick_live_users() {
    let (server, _dir) = start().await;
    let (mut miho, miho_id) = logged_in(&server, "dev-miho").await;
    server.clock.advance_ms(1_000);
    let (mut jun, jun_id) = logged_in(&server, "dev-jun").await;
    assert_status(&miho.call(Payload::Explore(ExploreReq {})).await.unwrap(), 200, ErrorCode::Ok);
    let gold = profile(&mut miho).await.gold;
    server.clock.advance_ms(1_000);
    let _ = profile(&mut jun).await;

    let list = admin_json(&server, "/admin/actors?sort=last_active").await;
    assert_eq!((list["live"].clone(), list["matched"].clone()), (2.into(), 2.into()), "{list}");
    let listed: Vec<u64> = list["actors"].as_array().unwrap().iter().map(|a| a["user_id"].as_u64().unwrap()).collect();
    assert_eq!(listed, [jun_id, miho_id], "the most recently active first");
    assert_eq!(list["actors"][0]["shard"], 1);
    assert_eq!(admin_json(&server, "/admin/actors?sort=age").await["actors"][0]["user_id"], miho_id);
    assert_eq!(
        admin_json(&server, "/admin/actors?sort=mailbox&shard=1&limit=1").await["actors"].as_array().unwrap().len(),
        1
    );
    assert_eq!(admin_json(&server, "/admin/actors?shard=2").await["matched"], 0);
    assert_eq!(admin_json(&server, "/admin/actors?offset=1").await["actors"][0]["user_id"], miho_id);
    for bad in ["sort=sideways", "limit=0", "limit=5000", "shard=x", "colour=red"] {
        assert_eq!(admin_get(&server, &format!("/admin/actors?{bad}")).await.0, 400, "{bad}");
    }

    // One user, live: the actor's state, the session without its token, the last seq.
    let (status, text) = admin_get(&server, &format!("/admin/users/{miho_id}")).await;
    assert_eq!(status, 200);
    assert!(!text.contains("token"), "no token in the view: {text}");
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((view["live"].clone(), view["read_only"].clone()), (true.into(), false.into()));
    assert_eq!(view["state"]["profile"]["gold"], gold);
    assert_eq!(view["last_seq"], miho.last_seq());
    assert!(view["session"]["id"].as_u64().is_some() && view["session"]["expires_at_ms"].as_i64().is_some());
    assert_eq!(view["state"]["monsters"], view["state"]["monsters_shown"].as_array().unwrap().len());
    assert!(view["state"]["monsters"].as_u64().unwrap() > 0, "the starter box: {view}");
    assert_eq!(view["mailbox_depth"], 0);

    // Passivated, the user is read from storage without an actor starting.
    let (status, text) = admin_post(&server, &format!("/admin/users/{miho_id}/passivate?reason=test")).await;
    assert_eq!((status, text.contains("\"passivated\":true")), (200, true), "{text}");
    assert_eq!(server.running.directory.live_actors(), 1);
    let stored = admin_json(&server, &format!("/admin/users/{miho_id}")).await;
    assert_eq!((stored["live"].clone(), stored["read_only"].clone()), (false.into(), true.into()));
    assert_eq!(stored["state"]["profile"]["gold"], gold);
    assert_eq!(stored["state"]["monsters"], view["state"]["monsters"]);
    assert_eq!(stored["session"]["id"], view["session"]["id"], "the stored session: {stored}");
    // Storage holds the reply of the last change; a later read's reply went to the cache.
    let (stored_seq, live_seq) = (stored["last_seq"].as_u64(), view["last_seq"].as_u64());
    assert!(stored_seq.is_some_and(|s| Some(s) <= live_seq), "{stored_seq:?} after {live_seq:?}");
    assert_eq!(server.running.directory.live_actors(), 1, "inspecting a retired user activates nothing");

    // A kick ends the session: the next request answers 401; logging in again works.
    let (status, text) = admin_post(&server, &format!("/admin/users/{jun_id}/kick?reason=test")).await;
    assert_eq!((status, text.contains("\"session_ended\":true")), (200, true), "{text}");
    assert_status(&jun.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 401, ErrorCode::Unauthenticated);
    // Miho's actor is retired; a kick reaches her too.
    assert_eq!(admin_post(&server, &format!("/admin/users/{miho_id}/kick?reason=test")).await.0, 200);
    assert_status(&miho.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 401, ErrorCode::Unauthenticated);

    for (path, expected) in [("/admin/users/424242", 404), ("/admin/users/abc", 400), ("/admin/users/0", 400)] {
        assert_eq!(admin_get(&server, path).await.0, expected, "{path}");
    }
    assert_eq!(admin_post(&server, "/admin/users/424242/kick?reason=test").await.0, 404);
    assert_eq!(admin_post(&server, "/admin/users/abc/passivate?reason=test").await.0, 400);
    let anonymous = reqwest::Client::new().get(format!("{}/admin/actors", server.admin_url)).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    server.stop().await;
}

/// The rows of `table` in an export, as JSON objects.
fn exported<'a>(export: &'a Value, database_prefix: &str, table: &str) -> Vec<&'a Value> {
    export["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter(|t| t["table"] == table && t["database"].as_str().is_some_and(|d| d.starts_with(database_prefix)))
        .flat_map(|t| t["rows"].as_array().expect("rows").iter())
        .collect()
}

on_every_backend! {
    /// A player's data export: every row of theirs on every database (account, sign-in id as
    /// stored, session without its token's hash, profile, monsters, a friend request sent,
    /// clan membership and the clan they lead, the action log), and nobody else's.
    async fn an_export_holds_every_row_the_user_owns_on_every_database(config) {
        use summoner_proto::api::{CreateClanReq, DebugGrantMonstersReq, SendFriendRequestReq};

        let mut config = config.clone();
        config.admin.token = ADMIN.into();
        let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
        let (mut me, my_id) = logged_in(&server, "dev-export-me").await;
        let (_, other_id) = logged_in(&server, "dev-export-other").await;
        common::ok(&mut me, Payload::Explore(ExploreReq {})).await;
        let template = summoner::game::data::GameData::embedded().unwrap().content.data.monsters[0].uid.clone();
        common::ok(&mut me, Payload::DebugGrantMonsters(DebugGrantMonstersReq { template, count: 2 })).await;
        common::ok(&mut me, Payload::SendFriendRequest(SendFriendRequestReq { user_id: other_id })).await;
        common::rich(&server, my_id).await;
        common::ok(&mut me, Payload::CreateClan(CreateClanReq { name: "Exporters".into(), open: true })).await;
        let listed = common::ok(&mut me, Payload::ListMonsters(summoner_proto::api::ListMonstersReq::default())).await;
        let monsters = answer!(listed, ListMonsters).total;
        server.running.directory.backend().store().flush().await.expect("flushed");

        let export = admin_json(&server, &format!("/admin/users/{my_id}/export")).await;
        assert_eq!(export["user_id"], my_id);
        let accounts = exported(&export, "common", "accounts");
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0]["user_id"], my_id as i64);
        let auth = exported(&export, "common", "account_auth");
        assert_eq!(auth[0]["auth_id"], summoner::service::tokens::device_key("dev-export-me"));
        let sessions = exported(&export, "common", "sessions");
        assert_eq!(sessions.len(), 1);
        assert!(sessions[0].get("token_hash").is_none(), "the token's hash is not exported");
        let users = exported(&export, "game-", "users");
        assert_eq!(users.len(), 1, "only this user's profile");
        assert_eq!(users[0]["user_id"], my_id as i64);
        assert_eq!(exported(&export, "game-", "monsters").len(), monsters as usize);
        let asked = exported(&export, "game-", "friend_requests");
        assert_eq!((asked.len(), &asked[0]["other_id"]), (1, &Value::from(other_id as i64)));
        assert_eq!(exported(&export, "clan", "clans")[0]["name"], "Exporters");
        assert_eq!(exported(&export, "clan", "clan_members").len(), 1);
        let logged: Vec<&str> =
            exported(&export, "log-", "action_log").iter().filter_map(|r| r["action"].as_str()).collect();
        for action in ["register", "login", "explore", "friend_request_sent"] {
            assert!(logged.contains(&action), "{action} not in {logged:?}");
        }
        for withheld in ["rng_seed", "rng_key", "rng_word_pos", "id_next", "id_end"] {
            assert!(users[0].get(withheld).is_none(), "{withheld} stays the server's");
        }
        assert!(users[0].get("nickname").is_some());
        assert!(!exported(&export, "clan", "clan_ops").is_empty(), "the clan action's result");
        // Every row names this user in one of its user columns.
        let me_id = Value::from(my_id as i64);
        for table in export["tables"].as_array().unwrap() {
            for row in table["rows"].as_array().unwrap() {
                let named = ["user_id", "sender_id", "receiver_id", "leader_id"].iter().filter_map(|c| row.get(*c)).collect::<Vec<_>>();
                assert!(named.is_empty() || named.contains(&&me_id), "{}: another user's row {row}", table["table"]);
            }
        }

        let http = reqwest::Client::new();
        assert_eq!(status(http.get(format!("{}/admin/users/{my_id}/export", server.admin_url))).await, 401);
        let nobody = http.get(format!("{}/admin/users/424242/export", server.admin_url)).bearer_auth(ADMIN);
        assert_eq!(status(nobody).await, 404);
        server.stop().await;
    }
}
