//! The operators' console as JSON, on every backend with users on two game shards: players
//! found by nickname prefix (any case, `%` and `_` themselves, paged), device id, platform
//! subject, clan name and id; a user's history listing each action once, newest first, with
//! the summon replayed, balances before and after, kind and time filters and stable pages;
//! the operator audit log recording who did what and why; the user view's friends, requests
//! and clan; the live view counting requests as they are sent.

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};
use summoner::config::Config;
use summoner_actors::{Clock, ManualClock};
use summoner_client::Client;
use summoner_proto::api::{
    BuyItemReq, ClaimMailReq, CreateClanReq, DebugAddFriendReq, DebugGrantMonstersReq, FinishBattleReq, JoinClanReq,
    ListMailReq, SendFriendRequestReq, SetNicknameReq, SetTeamReq, StartBattleReq, SummonReq, request::Payload,
};

use common::{TestServer, exec_sql, logged_in, ok};

const ADMIN: &str = "admin-secret";

async fn start(mut config: Config) -> TestServer {
    config.admin.token = ADMIN.into();
    TestServer::start(config, Arc::new(ManualClock::new())).await
}

/// An admin request's status and JSON (or text) body.
async fn admin(server: &TestServer, method: reqwest::Method, path: &str, operator: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", server.admin_url)).bearer_auth(ADMIN);
    if let Some(operator) = operator {
        request = request.header("x-summoner-operator", operator);
    }
    let reply = request.send().await.expect("the admin listener answers");
    let status = reply.status().as_u16();
    let text = reply.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn get(server: &TestServer, path: &str) -> Value {
    let (status, body) = admin(server, reqwest::Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn get_status(server: &TestServer, path: &str) -> u16 {
    admin(server, reqwest::Method::GET, path, None).await.0
}

fn ids(found: &Value) -> Vec<u64> {
    found["players"].as_array().expect("players").iter().map(|p| p["user_id"].as_u64().expect("an id")).collect()
}

async fn nicknamed(server: &TestServer, device: &str, nickname: &str) -> (Client, u64) {
    let (mut client, user) = logged_in(server, device).await;
    ok(&mut client, Payload::SetNickname(SetNicknameReq { nickname: nickname.into() })).await;
    (client, user)
}

on_every_backend! {
    async fn players_are_found_by_nickname_device_subject_clan_and_id_on_every_shard(config) {
        let server = start(config.clone()).await;
        let names = ["Tourist", "tourmaline", "TOURNEY", "Tou%r", "Tou_x", "Other", "Émile"];
        let mut players = Vec::new();
        for (i, name) in names.iter().enumerate() {
            players.push(nicknamed(&server, &format!("dev-console-{i}"), name).await);
        }
        let users: Vec<u64> = players.iter().map(|p| p.1).collect();
        let user = |i: usize| users[i];

        // A prefix whatever its case, across both game shards, by user id.
        let found = get(&server, "/admin/search?nickname=tou").await;
        assert_eq!(ids(&found), (0..5).map(user).collect::<Vec<_>>(), "{found}");
        let shards: BTreeSet<i64> =
            found["players"].as_array().unwrap().iter().map(|p| p["game_shard"].as_i64().unwrap()).collect();
        assert_eq!(shards.len(), 2, "one query per shard found both: {found}");
        assert_eq!(found["players"][2]["nickname"], "TOURNEY");
        // `%` and `_` are themselves, not wildcards.
        assert_eq!(ids(&get(&server, "/admin/search?nickname=Tou%25").await), vec![user(3)]);
        assert_eq!(ids(&get(&server, "/admin/search?nickname=tou_").await), vec![user(4)]);
        // Beyond ASCII, a prefix as written is found on every backend.
        assert_eq!(ids(&get(&server, "/admin/search?nickname=%C3%89mi").await), vec![user(6)]);
        // Pages of two add up to the whole, each player once.
        let (mut paged, mut after) = (Vec::new(), 0);
        loop {
            let page = get(&server, &format!("/admin/search?nickname=TOU&limit=2&after={after}")).await;
            paged.extend(ids(&page));
            match page["next_after"].as_u64() {
                Some(next) => after = next,
                None => break,
            }
        }
        assert_eq!(paged, (0..5).map(user).collect::<Vec<_>>());

        // A device id, hashed as the server stores it; a user id.
        assert_eq!(ids(&get(&server, "/admin/search?device=dev-console-1").await), vec![user(1)]);
        assert!(ids(&get(&server, "/admin/search?device=dev-console-9").await).is_empty());
        assert_eq!(ids(&get(&server, &format!("/admin/search?id={}", user(5))).await), vec![user(5)]);
        // A platform subject, under the provider named (none is configured to try by itself).
        let linked = format!(
            "INSERT INTO account_auth (provider, auth_id, user_id, created_at_ms) VALUES ('acme', 'sub-77', {}, 0)",
            user(2)
        );
        exec_sql(&config.storage.common_url, &linked).await;
        assert_eq!(ids(&get(&server, "/admin/search?subject=sub-77&provider=acme").await), vec![user(2)]);
        // Without a provider, each configured one is tried: none is, so it must be named.
        assert_eq!(get_status(&server, "/admin/search?subject=sub-77").await, 400);

        // A clan's name prefix: its members, each with their seat.
        common::rich(&server, user(0)).await;
        let clan = answer!(
            ok(&mut players[0].0, Payload::CreateClan(CreateClanReq { name: "Night Owls".into(), open: true })).await,
            CreateClan
        );
        let clan_id = clan.clan.expect("a clan").clan_id;
        ok(&mut players[3].0, Payload::JoinClan(JoinClanReq { clan_id })).await;
        let members = get(&server, "/admin/search?clan=Night").await;
        assert_eq!(ids(&members), vec![user(0), user(3)], "{members}");
        assert_eq!(members["players"][0]["clan"]["role"], "leader");
        assert_eq!(members["players"][1]["clan"]["name"], "Night Owls");

        // Bad searches are refused and answer nothing.
        let bad_searches = [
            "",
            "?nickname=",
            "?nickname=a&device=b",
            "?nickname=%01x",
            "?id=0",
            "?id=x",
            "?provider=acme",
            "?shard=1",
            "?nickname=a&limit=0",
            "?nickname=a&limit=201",
            "?nickname=a&after=18446744073709551615",
        ];
        for bad in bad_searches {
            assert_eq!(get_status(&server, &format!("/admin/search{bad}")).await, 400, "{bad}");
        }
        server.stop().await;
    }
}

/// The rows of `history` whose action is one of `kinds`, newest first.
fn actions(history: &Value, kinds: &[&str]) -> Vec<String> {
    history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .filter(|a| kinds.contains(&a.as_str()))
        .collect()
}

fn entry<'h>(history: &'h Value, action: &str) -> &'h Value {
    history["entries"].as_array().unwrap().iter().find(|e| e["action"] == action).expect(action)
}

on_every_backend! {
    async fn a_users_history_lists_each_action_once_with_replays_balances_and_the_operators_grant(config) {
        let server = start(config).await;
        let (mut client, user) = nicknamed(&server, "dev-historian", "Historian").await;
        let step = |server: &TestServer| server.clock.advance_ms(1_000);
        common::rich(&server, user).await;
        ok(&mut client, Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })).await;
        step(&server);
        let grant = DebugGrantMonstersReq { template: "mon.slime.fire.1".into(), count: 5 };
        let granted = answer!(ok(&mut client, Payload::DebugGrantMonsters(grant)).await, DebugGrantMonsters);
        ok(&mut client, Payload::SetTeam(SetTeamReq { slot: 1, monster_ids: granted.monster_ids })).await;
        let start = StartBattleReq { stage: "stage.01.01:normal".into(), team_slot: 1 };
        let started = answer!(ok(&mut client, Payload::StartBattle(start)).await, StartBattle);
        server.clock.advance_ms(60_000);
        let finish = FinishBattleReq { battle_token: started.battle_token, elapsed_ms: 60_000, ..Default::default() };
        ok(&mut client, Payload::FinishBattle(finish)).await;
        step(&server);

        // An operator's grant: recorded with who and why, paid when claimed.
        let body = json!({ "grant_id": "sorry-1", "title": "Sorry", "rewards": [{ "what": "gems", "amount": 300 }], "expires_in_days": 7 });
        let send = |operator: Option<&'static str>, query: &'static str| {
            let mut request = reqwest::Client::new()
                .post(format!("{}/admin/users/{user}/mail{query}", server.admin_url))
                .bearer_auth(ADMIN)
                .body(body.to_string());
            if let Some(operator) = operator {
                request = request.header("x-summoner-operator", operator);
            }
            request.send()
        };
        assert_eq!(send(None, "?reason=outage").await.unwrap().status().as_u16(), 400, "no operator named");
        assert_eq!(send(Some("mina"), "").await.unwrap().status().as_u16(), 400, "no reason given");
        let sent = send(Some("mina"), "?reason=outage%20on%20the%207th").await.unwrap();
        assert_eq!(sent.status().as_u16(), 200);
        let mail_id = sent.json::<Value>().await.unwrap()["mail_id"].as_u64().unwrap();
        step(&server);
        let claimed_at = server.clock.now_ms();
        ok(&mut client, Payload::ClaimMail(ClaimMailReq { mail_id, all: false })).await;
        step(&server);
        ok(&mut client, Payload::BuyItem(BuyItemReq { item: "shop.stamina.small".into() })).await;

        let audit = get(&server, &format!("/admin/audit/operators?user={user}")).await;
        let recorded = audit["actions"].as_array().unwrap();
        assert_eq!(recorded.len(), 1, "the refused sends were not taken: {audit}");
        assert_eq!((recorded[0]["operator"].as_str(), recorded[0]["action"].as_str()), (Some("mina"), Some("grant")));
        assert_eq!(recorded[0]["reason"], "outage on the 7th");
        assert!(recorded[0]["outcome"].as_str().unwrap().starts_with(&format!("mail {mail_id} in place")), "{audit}");

        // What the history reads has reached the log shard.
        server.running.directory.backend().store().flush().await.expect("logs shipped");
        let now = common::profile(&mut client).await;
        let kinds = ["buy_item", "claim_mail", "operator_grant", "battle_finish", "battle_start", "summon"];
        let history = get(&server, &format!("/admin/users/{user}/history?limit=200")).await;
        assert_eq!(actions(&history, &kinds), kinds, "each once, newest first: {history}");
        let log_ids: Vec<u64> = history["entries"].as_array().unwrap().iter().map(|e| e["log_id"].as_u64().unwrap()).collect();
        assert!(log_ids.windows(2).all(|w| w[0] > w[1]), "newest first: {log_ids:?}");
        let summon = entry(&history, "summon");
        assert_eq!(summon["replay"]["matches"], true, "{summon}");
        assert_eq!(summon["replay"]["replayed_monster"], summon["replay"]["logged_monster"]);
        // The claim's gems and the purchase's price, before and after.
        let change = |action: &str, pick: &dyn Fn(&Value) -> bool| -> Value {
            let balances = entry(&history, action)["balances"].as_array().cloned().unwrap_or_default();
            balances.into_iter().find(|b| pick(b)).unwrap_or_else(|| panic!("{action}: {history}"))
        };
        let claim = change("claim_mail", &|b| b["currency"] == "gems");
        assert_eq!((claim["currency"].as_str(), claim["delta"].as_i64()), (Some("gems"), Some(300)), "{claim}");
        assert_eq!(claim["after"].as_i64().unwrap() - claim["before"].as_i64().unwrap(), 300);
        let grant_paid = &entry(&history, "operator_grant")["paid"];
        assert_eq!(grant_paid["claim_log_id"], entry(&history, "claim_mail")["log_id"], "{history}");
        assert_eq!(grant_paid["balances"][0]["delta"], 300);
        assert_eq!(grant_paid["balances"][0]["before"], claim["before"]);
        let price = change("buy_item", &|b| b["delta"].as_i64().is_some_and(|d| d < 0));
        assert_eq!(price["before"].as_i64().unwrap() + price["delta"].as_i64().unwrap(), price["after"].as_i64().unwrap());
        // The last balances logged are the profile's now; the claim's gems are the price's before.
        let balance_now = match price["currency"].as_str() {
            Some("gems") => now.gems,
            Some("gold") => now.gold,
            other => panic!("priced in {other:?}"),
        };
        assert_eq!(price["after"].as_u64(), Some(balance_now), "{price}");
        if price["currency"] == "gems" {
            assert_eq!(price["before"], claim["after"]);
        }

        // Filters: by kind (balances still shown), by time.
        let bought = get(&server, &format!("/admin/users/{user}/history?kind=buy_item")).await;
        assert_eq!(actions(&bought, &kinds), ["buy_item"]);
        assert_eq!(bought["entries"].as_array().unwrap().len(), 1, "{bought}");
        assert_eq!(bought["entries"][0]["balances"], entry(&history, "buy_item")["balances"]);
        let since = get(&server, &format!("/admin/users/{user}/history?from={claimed_at}")).await;
        assert_eq!(actions(&since, &kinds), ["buy_item", "claim_mail"]);
        let until = get(&server, &format!("/admin/users/{user}/history?to={claimed_at}&kind=summon,claim_mail")).await;
        assert_eq!(actions(&until, &kinds), ["summon"]);
        // Pages add up to the whole, and a page ends inside a request only when its rows
        // fill the page.
        // (`last`: the previous page's last time, and whether one request filled that page.)
        let (mut paged, mut before, mut last) = (Vec::new(), 0, None);
        loop {
            let page = get(&server, &format!("/admin/users/{user}/history?limit=3&before={before}")).await;
            let rows = page["entries"].as_array().unwrap();
            assert!(!rows.is_empty(), "{page}");
            let times: Vec<i64> = rows.iter().map(|e| e["at_ms"].as_i64().unwrap()).collect();
            if let Some((last_at, filled)) = last {
                assert!(filled || times[0] != last_at, "a request split between pages: {page}");
            }
            last = Some((times[times.len() - 1], times.iter().all(|t| *t == times[0])));
            paged.extend(rows.iter().map(|e| e["log_id"].as_u64().unwrap()));
            match page["next_before"].as_u64() {
                Some(next) => before = next,
                None => break,
            }
        }
        assert_eq!(paged, log_ids);

        assert_eq!(get_status(&server, "/admin/users/424242/history").await, 404);
        for bad in ["?kind=DROP%20TABLE", &format!("?from={claimed_at}&to={claimed_at}"), "?from=yesterday", "?colour=red", "?limit=0"] {
            assert_eq!(get_status(&server, &format!("/admin/users/{user}/history{bad}")).await, 400, "{bad}");
        }
        server.stop().await;
    }
}

/// Sends `grant` to `user` as operator "mina"; answers the status and body.
async fn send_grant(server: &TestServer, user: u64, grant: &Value) -> (u16, Value) {
    let reply = reqwest::Client::new()
        .post(format!("{}/admin/users/{user}/mail?reason=compensation", server.admin_url))
        .bearer_auth(ADMIN)
        .header("x-summoner-operator", "mina")
        .body(grant.to_string())
        .send()
        .await
        .expect("the admin listener answers");
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

on_every_backend! {
    async fn a_claim_of_every_mail_pays_each_grant_its_own_rewards_and_refused_grants_are_not_recorded(config) {
        let server = start(config).await;
        let (mut client, user) = nicknamed(&server, "dev-claimer", "Claimer").await;
        let grant = |id: &str, what: &str, amount: u32| {
            json!({ "grant_id": id, "title": "Sorry", "rewards": [{ "what": what, "amount": amount }], "expires_in_days": 7 })
        };
        // Refused before anything is done: neither is on record.
        assert_eq!(send_grant(&server, user, &grant("bad", "diamonds", 1)).await.0, 422);
        assert_eq!(send_grant(&server, 424_242, &grant("lost", "gems", 1)).await.0, 404);
        let (status, gems) = send_grant(&server, user, &grant("sorry-gems", "gems", 300)).await;
        assert_eq!(status, 200, "{gems}");
        let (status, gold) = send_grant(&server, user, &grant("sorry-gold", "gold", 100)).await;
        assert_eq!(status, 200, "{gold}");
        let audit = get(&server, "/admin/audit/operators").await;
        assert_eq!(audit["actions"].as_array().unwrap().len(), 2, "only the grants made: {audit}");
        server.clock.advance_ms(1_000);
        ok(&mut client, Payload::ClaimMail(ClaimMailReq { mail_id: 0, all: true })).await;
        // The same grant again after the claim: one mail, paid by the same claim.
        server.clock.advance_ms(1_000);
        assert_eq!(send_grant(&server, user, &grant("sorry-gems", "gems", 300)).await.0, 200);
        server.running.directory.backend().store().flush().await.expect("logs shipped");

        let history = get(&server, &format!("/admin/users/{user}/history")).await;
        let rows = history["entries"].as_array().unwrap();
        let mail_of = |id: &Value| id.as_u64().unwrap();
        for (mail, currency, amount) in [(mail_of(&gems["mail_id"]), "gems", 300), (mail_of(&gold["mail_id"]), "gold", 100)] {
            let claim = rows.iter().find(|e| e["action"] == "claim_mail" && e["params"] == format!("id={mail}")).expect("claimed");
            let paid_alone = json!([{ "currency": currency, "delta": amount }]);
            let shown: Vec<Value> =
                claim["balances"].as_array().unwrap().iter().map(|b| json!({ "currency": b["currency"], "delta": b["delta"] })).collect();
            assert_eq!(Value::from(shown), paid_alone, "the claim of mail {mail} shows its own rewards: {claim}");
            let grants: Vec<&Value> =
                rows.iter().filter(|e| e["action"] == "operator_grant" && e["params"].as_str().unwrap().ends_with(&format!("mail={mail}"))).collect();
            assert!(!grants.is_empty());
            for g in grants {
                assert_eq!(g["paid"]["claim_log_id"], claim["log_id"], "{g}");
                assert_eq!(g["paid"]["balances"], claim["balances"], "{g}");
            }
        }
        assert_eq!(rows.iter().filter(|e| e["action"] == "operator_grant").count(), 3, "each send is on record");
        server.stop().await;
    }
}

on_every_backend! {
    async fn the_user_view_shows_friends_requests_clan_and_the_operators_actions(config) {
        let server = start(config).await;
        let (mut me, me_id) = nicknamed(&server, "dev-hub", "Hub").await;
        let (_friend, friend_id) = nicknamed(&server, "dev-pal", "Pal").await;
        let (_asked, asked_id) = nicknamed(&server, "dev-asked", "Asked").await;
        ok(&mut me, Payload::DebugAddFriend(DebugAddFriendReq { user_id: friend_id })).await;
        ok(&mut me, Payload::SendFriendRequest(SendFriendRequestReq { user_id: asked_id })).await;
        common::rich(&server, me_id).await;
        ok(&mut me, Payload::CreateClan(CreateClanReq { name: "Hubbers".into(), open: true })).await;

        // Actions need a reason and a named operator; a refused one is not recorded.
        let post = reqwest::Method::POST;
        let passivate = format!("/admin/users/{me_id}/passivate");
        assert_eq!(admin(&server, post.clone(), &passivate, Some("ana")).await.0, 400);
        assert_eq!(admin(&server, post.clone(), &format!("{passivate}?reason=x"), None).await.0, 400);
        assert_eq!(admin(&server, post.clone(), &format!("{passivate}?reason=%01"), Some("ana")).await.0, 400);
        assert_eq!(admin(&server, post.clone(), &format!("{passivate}?reason=stuck"), Some("ana")).await.0, 200);
        assert_eq!(admin(&server, post.clone(), "/admin/users/424242/kick?reason=spam", Some("ana")).await.0, 404);
        assert_eq!(admin(&server, post, "/admin/users/424242/passivate?reason=spam", Some("ana")).await.0, 404);

        let view = get(&server, &format!("/admin/users/{me_id}")).await;
        let state = &view["state"];
        assert_eq!(state["friends"][0]["user_id"], friend_id, "{view}");
        assert_eq!(view["around"]["people"][friend_id.to_string()]["nickname"], "Pal", "{view}");
        assert_eq!(state["friend_requests"][0]["user_id"], asked_id);
        assert_eq!(state["friend_requests"][0]["outgoing"], true);
        assert_eq!(view["around"]["people"][asked_id.to_string()]["nickname"], "Asked");
        assert_eq!(view["around"]["clan"]["name"], "Hubbers");
        assert_eq!(view["around"]["clan"]["role"], "leader");
        assert!(view["around"]["outbox"].is_array());
        assert!(state["stream_position"].as_u64().is_some(), "{view}");
        let actions = view["operator_actions"].as_array().unwrap();
        assert_eq!(actions.len(), 1, "{view}");
        assert_eq!((actions[0]["action"].as_str(), actions[0]["reason"].as_str()), (Some("passivate"), Some("stuck")));
        assert_eq!(actions[0]["outcome"], "passivated");
        // Only the action taken is on record: not the refused ones, not those on no one.
        let all = get(&server, "/admin/audit/operators").await;
        assert_eq!(all["actions"].as_array().unwrap().len(), 1, "{all}");
        assert_eq!(all["actions"][0]["operator"], "ana");
        assert_eq!(get(&server, "/admin/audit/operators?limit=1").await["next_before"], all["actions"][0]["action_id"]);
        assert_eq!(get_status(&server, "/admin/audit/operators?limit=0").await, 400);
        assert_eq!(get_status(&server, "/admin/audit/operators?user=x").await, 400);
        // The live actors' list names them.
        let live = get(&server, "/admin/actors").await;
        let pal = live["actors"].as_array().unwrap().iter().find(|a| a["user_id"] == friend_id).expect("Pal is live");
        assert_eq!(pal["nickname"], "Pal", "{live}");
        server.stop().await;
    }
}

#[actix_web::test]
async fn the_live_view_counts_requests_as_they_are_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(dir.path());
    // The test takes the samples itself; the server's own come a minute apart.
    config.admin.live_sample_ms = 60_000;
    let server = start(config).await;
    let (mut client, _) = logged_in(&server, "dev-live").await;
    let live = server.running.live.clone();
    let counted = |view: &Value, what: &str| -> u64 {
        view["points"].as_array().unwrap().iter().filter_map(|p| p["ops"]["ListMail"][what].as_u64()).sum()
    };
    live.sample(wall_ms());
    // The metrics are the process's: no other test of this binary sends ListMail.
    assert_eq!(counted(&get(&server, "/admin/live").await, "requests"), 0, "nothing of it yet");
    for _ in 0..20 {
        ok(&mut client, Payload::ListMail(ListMailReq {})).await;
    }
    live.sample(wall_ms());
    let view = get(&server, "/admin/live").await;
    assert_eq!(counted(&view, "requests"), 20, "{view}");
    assert_eq!(counted(&view, "errors"), 0);
    let point = view["points"].as_array().unwrap().iter().rev().find(|p| p["ops"]["ListMail"].is_object()).unwrap();
    let (p50, p99) =
        (point["ops"]["ListMail"]["p50_ms"].as_f64().unwrap(), point["ops"]["ListMail"]["p99_ms"].as_f64().unwrap());
    assert!(p50 > 0.0 && p99 >= p50, "{point}");
    assert!(point["total"]["requests"].as_u64().unwrap() >= 20);
    assert_eq!(view["window_ms"], 900_000);
    server.stop().await;
}

/// The wall clock in ms, as the server's sampler stamps its points.
fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
