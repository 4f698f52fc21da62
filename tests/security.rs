//! The public surface under abuse, over real HTTP: rate limits answer 429 with Retry-After
//! before any database or cache call; `X-Forwarded-For` counts only from trusted proxies; a
//! flood of made-up session tokens costs a bounded number of reads, from one address or from
//! thousands; a body that trickles
//! in is cut off with 408 and its admission slot freed.

#[macro_use]
mod common;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use prost::Message;
use summoner::config::Config;
use summoner::service::open::store_config;
use summoner::storage::db_store::DbStore;
use summoner_actors::ManualClock;
use summoner_client::{Client, device};
use summoner_proto::api::{ErrorCode, GetUserReq, LoginReq, Request, request::Payload};

use common::redis::{caches, with_redis};
use common::{TestServer, assert_status, config, count_rows, exec_sql, logged_in};
use summoner::service::tokens::device_key;

/// A server on SQLite whose statements the test can count.
async fn start(config: Config) -> (TestServer, Arc<DbStore>) {
    let store = Arc::new(DbStore::open(&store_config(&config), 0).await.expect("store opens"));
    let server = TestServer::start_with_store(config, store.clone()).await;
    (server, store)
}

/// Statements run on every database so far, and the cache's round trips.
fn calls(server: &TestServer, store: &DbStore) -> (u64, u64) {
    let dbs = store.databases();
    let statements = dbs.common.queries.get() + dbs.game.values().map(|d| d.queries.get()).sum::<u64>();
    (statements, server.running.directory.backend().cache().traffic().round_trips)
}

#[actix_web::test]
async fn over_a_rate_limit_is_429_with_retry_after_and_costs_no_store_or_cache_call() {
    for redis in caches() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        if let Some(urls) = &redis {
            config = with_redis(config, urls);
        }
        config.rate_limits.sign_in_per_minute = 3;
        config.rate_limits.session_per_minute = 6;
        config.rate_limits.session_burst = 3;
        let (server, store) = start(config).await;
        // Register and Login: two of the address's three sign-ins.
        let (mut client, _) = logged_in(&server, "dev-limited").await;
        assert_status(&client.login(device("dev-limited")).await.unwrap(), 200, ErrorCode::Ok);
        server.running.directory.backend().store().flush().await.unwrap();
        let before = calls(&server, &store);
        let refused = client.login(device("dev-limited")).await.unwrap();
        assert_status(&refused, 429, ErrorCode::RateLimited);
        assert!(refused.retry_after.is_some_and(|s| (1..=60).contains(&s)), "{:?}", refused.retry_after);
        assert_eq!(calls(&server, &store), before, "a refused sign-in touches neither storage nor cache");

        // Every operation of a session: three at once, then the fourth waits.
        for _ in 0..3 {
            assert_status(&client.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 200, ErrorCode::Ok);
        }
        server.running.directory.backend().store().flush().await.unwrap();
        let before = calls(&server, &store);
        let seq = client.last_seq() + 1;
        let limited = client.send(seq, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&limited, 429, ErrorCode::RateLimited);
        assert!(limited.retry_after.is_some_and(|s| s >= 1));
        assert_eq!(limited.response.seq, seq, "the answer names the seq to retry");
        assert_eq!(calls(&server, &store), before, "a refused request touches neither storage nor cache");
        server.stop().await;
    }
}

/// A Login sent as if through a proxy that says the client is `forwarded_for`.
async fn login_forwarded(server: &TestServer, device_id: &str, forwarded_for: &str) -> u16 {
    let request = Request {
        seq: 0,
        payload: Some(Payload::Login(LoginReq { credential: Some(device(device_id)), ..Default::default() })),
        ..Default::default()
    };
    reqwest::Client::new()
        .post(format!("{}/api", server.url))
        .header("content-type", "application/x-protobuf")
        .header("x-forwarded-for", forwarded_for)
        .body(request.encode_to_vec())
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

#[actix_web::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    for trusted in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.rate_limits.sign_in_per_minute = 2;
        if trusted {
            config.rate_limits.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        }
        let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
        let _ = logged_in(&server, "dev-proxy").await;
        // 127.0.0.1 spent its two sign-ins; a request naming another client through
        // X-Forwarded-For gets that client's bucket only if 127.0.0.1 is a trusted proxy.
        let status = login_forwarded(&server, "dev-proxy", "198.51.100.7").await;
        assert_eq!(status, if trusted { 200 } else { 429 }, "trusted: {trusted}");
        server.stop().await;
    }
}

#[actix_web::test]
async fn a_flood_of_made_up_session_tokens_costs_a_bounded_number_of_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.rate_limits.session_lookups_per_minute = 20;
    let (server, store) = start(config).await;
    let (mut player, _) = logged_in(&server, "dev-real").await;
    let sessions_read = || store.databases().common.queries.get();
    let before = sessions_read();
    let (mut unauthenticated, mut limited) = (0, 0);
    let mut forger = Client::new(&server.url);
    for i in 0..200u32 {
        let mut token = [0u8; 32];
        token[..4].copy_from_slice(&i.to_le_bytes());
        token[4] = 0xAB;
        forger.set_token(token.to_vec());
        match forger.call(Payload::GetUser(GetUserReq {})).await.unwrap().status {
            401 => unauthenticated += 1,
            429 => limited += 1,
            other => panic!("a made-up token got {other}"),
        }
    }
    // The bucket holds 20 and refills one every 3 s while the flood goes on.
    assert!((20..30).contains(&unauthenticated), "{unauthenticated} looked up, {limited} refused");
    assert_eq!(unauthenticated + limited, 200);
    let reads = sessions_read() - before;
    assert!(reads <= unauthenticated, "{reads} reads of the common database for {unauthenticated} look-ups");
    // A player whose session this process holds is not held back by the flood.
    assert_status(&player.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 200, ErrorCode::Ok);
    server.stop().await;
}

/// Made-up token number `i` (never a real one: real tokens are random).
fn made_up_token(i: u32) -> Vec<u8> {
    let mut token = [0xCDu8; 32];
    token[..4].copy_from_slice(&i.to_le_bytes());
    token.to_vec()
}

/// A GetUser with `token`, as if through a proxy that says the client is `forwarded_for`;
/// answers its status and `Retry-After`.
async fn call_forwarded(http: &reqwest::Client, url: &str, token: Vec<u8>, forwarded_for: &str) -> (u16, Option<u64>) {
    let request = Request { seq: 1, session_token: token, payload: Some(Payload::GetUser(GetUserReq {})) };
    let answer = http
        .post(format!("{url}/api"))
        .header("content-type", "application/x-protobuf")
        .header("x-forwarded-for", forwarded_for)
        .body(request.encode_to_vec())
        .send()
        .await
        .expect("the server answers");
    let retry_after = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok());
    (answer.status().as_u16(), retry_after)
}

/// Made-up tokens from many addresses, each under its own limit: the database reads stay
/// within the process's budget per second, whatever the number of addresses; past the budget
/// a token gets 503 with `Retry-After`; a token found unknown is not read again. The count of
/// tokens (`SUMMONER_FLOOD_TOKENS`, 20,000 by default, ten per address) can be raised to
/// measure the 100,000 from 10,000 addresses; the figures are printed.
#[actix_web::test]
async fn made_up_tokens_from_many_addresses_read_the_database_within_a_budget() {
    let tokens: u32 = std::env::var("SUMMONER_FLOOD_TOKENS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let per_second = 50;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.rate_limits.session_lookups_per_minute = 300;
    config.rate_limits.session_store_lookups_per_second = per_second;
    config.rate_limits.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let (server, store) = start(config).await;
    let (mut player, _) = logged_in(&server, "dev-real").await;
    let reads = || store.databases().common.queries.get();

    // One token again and again: read once.
    let http = reqwest::Client::new();
    let before = reads();
    for _ in 0..10 {
        assert_eq!(call_forwarded(&http, &server.url, made_up_token(u32::MAX), "203.0.113.1").await.0, 401);
    }
    // One look-up; the node's lease renewal may add a statement or two meanwhile.
    let read = reads() - before;
    assert!((1..=3).contains(&read), "{read} statements for one token sent ten times: remembered as unknown");

    let before = reads();
    let started = Instant::now();
    let answers: Vec<(u16, Option<u64>)> = futures_util::stream::iter(0..tokens)
        .map(|i| {
            let (http, url) = (http.clone(), server.url.clone());
            let address = format!("198.18.{}.{}", (i / 10) / 250, (i / 10) % 250 + 1);
            async move { call_forwarded(&http, &url, made_up_token(i), &address).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let read = reads() - before;
    let unauthenticated = answers.iter().filter(|(status, _)| *status == 401).count();
    let over_budget = answers.iter().filter(|(status, _)| *status == 503).count();
    println!(
        "{tokens} made-up tokens from {} addresses in {:.1} s: {read} database look-ups, {unauthenticated} answered 401, \
         {over_budget} 503 over the budget of {per_second}/s",
        tokens.div_ceil(10),
        elapsed.as_secs_f64()
    );
    assert_eq!(unauthenticated + over_budget, answers.len(), "only 401 and 503");
    assert!(answers.iter().filter(|(s, _)| *s == 503).all(|(_, wait)| wait.is_some_and(|w| w >= 1)));
    // Each 401 of a distinct token is one look-up; the common database also serves the node's
    // lease renewals meanwhile (a few statements a second).
    let allowed = u64::from(per_second) * (elapsed.as_secs() + 2);
    assert!(unauthenticated as u64 <= allowed, "{unauthenticated} looked up in {elapsed:?} past {per_second}/s");
    let background = 10 * (elapsed.as_secs() + 1);
    assert!(read <= unauthenticated as u64 + background, "{read} reads for {unauthenticated} look-ups");
    assert!(over_budget > 0, "the flood outran the budget");
    // A player whose session this process holds is not held back by the flood.
    assert_status(&player.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 200, ErrorCode::Ok);
    server.stop().await;
}

/// One address opens 1,500 idle connections: past its cap (50 here) each is closed as soon as
/// it is accepted, so it holds no descriptor, and a new client from another address is
/// answered within a second meanwhile.
#[actix_web::test]
async fn an_address_flooding_with_idle_connections_holds_its_cap_and_others_are_served() {
    use tokio::io::AsyncReadExt;

    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.limits.connections_per_address = 50;
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    let refused_before = summoner::metrics::METRICS.connections_refused.get();
    // The flood comes from 127.0.0.2 (Linux answers all of 127/8 on loopback).
    let mut flood = Vec::new();
    for _ in 0..1_500 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        flood.push(socket.connect(server.running.addr).await.expect("connects"));
    }
    // Each connection past the cap is shut by the server: its read ends.
    let closed = futures_util::stream::iter(flood.iter_mut())
        .map(|stream| async move {
            let mut byte = [0u8; 1];
            matches!(stream.read(&mut byte).await, Ok(0) | Err(_))
        })
        .buffer_unordered(1_500)
        .filter(|closed| std::future::ready(*closed))
        .take(1_450)
        .count();
    let closed = tokio::time::timeout(Duration::from_secs(60), closed).await.expect("the connections past the cap end");
    assert_eq!(closed, 1_450);
    assert_eq!(summoner::metrics::METRICS.connections_refused.get() - refused_before, 1_450);

    // Another client meanwhile: answered at once.
    let started = Instant::now();
    let answered = tokio::time::timeout(Duration::from_secs(1), logged_in(&server, "dev-during-flood")).await;
    assert!(answered.is_ok(), "a new client waited past a second during the flood");
    println!("a new client's Register and Login took {:?} while one address held 50 connections", started.elapsed());
    drop(flood);
    server.stop().await;
}

/// Sends the head of a request whose body of `length` bytes then trickles, a byte every
/// `gap`, until the server answers; answers the status line and how long it took.
fn trickle(addr: std::net::SocketAddr, length: usize, gap: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    write!(
        stream,
        "POST /api HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-protobuf\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    stream.set_read_timeout(Some(gap)).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    for _ in 0..length {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            // Nothing yet: the server still waits for the body; send one more byte.
            Err(_) => {
                if stream.write_all(&[0x08]).is_err() {
                    break;
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&answer);
    (text.lines().next().unwrap_or("").to_owned(), started.elapsed())
}

#[actix_web::test]
async fn a_body_that_trickles_in_is_cut_off_with_408_and_its_slot_freed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.limits.body_timeout_ms = 400;
    config.limits.max_in_flight = 1;
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    let addr = server.running.addr;
    let (status, took) =
        actix_web::rt::task::spawn_blocking(move || trickle(addr, 1_000, Duration::from_millis(50))).await.unwrap();
    assert!(status.starts_with("HTTP/1.1 408"), "answered {status:?}");
    assert!(took < Duration::from_secs(5), "cut off after {took:?}");
    // The one admission slot is free again: a player is served, not refused as overload.
    let (mut client, _) = logged_in(&server, "dev-after-trickle").await;
    assert_status(&client.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 200, ErrorCode::Ok);
    server.stop().await;
}

on_every_backend! {
    /// Device ids are stored hashed. Rows from before hashing are hashed by a one-off step at
    /// the first start that knows it; the step is recorded, and later starts do not scan again.
    async fn device_ids_are_stored_hashed_and_older_rows_are_hashed_once_at_start(config) {
        let clock = Arc::new(ManualClock::new());
        let server = TestServer::start(config.clone(), clock.clone()).await;
        let (_, user) = logged_in(&server, "dev-secret-42").await;
        server.stop().await;
        let common = config.storage.common();
        let stored = |id: &str| format!("provider = 'device' AND auth_id = '{id}'");
        assert_eq!(count_rows(&common, "account_auth", &stored("dev-secret-42")).await, 0, "never the id itself");
        assert_eq!(count_rows(&common, "account_auth", &stored(&device_key("dev-secret-42"))).await, 1);

        let step = "name = 'rekey_auth_ids:device'";
        assert_eq!(count_rows(&common, "maintenance_steps", step).await, 1, "the first start recorded the step");

        // A database from before the step: a row holds the id itself, and no step is recorded.
        // The next start replaces it, once.
        let legacy = format!("UPDATE account_auth SET auth_id = 'dev-secret-42' WHERE user_id = {user}");
        assert_eq!(exec_sql(&common, &legacy).await, 1);
        assert_eq!(exec_sql(&common, &format!("DELETE FROM maintenance_steps WHERE {step}")).await, 1);
        let server = TestServer::start(config.clone(), clock.clone()).await;
        assert_eq!(count_rows(&common, "account_auth", &stored("dev-secret-42")).await, 0);
        assert_eq!(count_rows(&common, "maintenance_steps", step).await, 1);
        server.stop().await;

        // Recorded: a later start does not scan the accounts again (a raw id planted now stays).
        let planted = "INSERT INTO account_auth (provider, auth_id, user_id, created_at_ms) VALUES ('device', 'planted-raw-id', 1, 0)";
        assert_eq!(exec_sql(&common, planted).await, 1);
        let server = TestServer::start(config.clone(), clock).await;
        assert_eq!(count_rows(&common, "account_auth", &stored("planted-raw-id")).await, 1, "no second scan");
        let mut again = server.client();
        let login = again.login(device("dev-secret-42")).await.unwrap();
        assert_status(&login, 200, ErrorCode::Ok);
        let Some(summoner_proto::api::response::Payload::Login(res)) = login.response.payload else { panic!("no login") };
        assert_eq!(res.user.map(|u| u.user_id), Some(user), "the same account");
        server.stop().await;
    }
}

on_every_backend! {
    async fn shard_registry_rows_hold_no_password(config) {
        if !config.storage.common().starts_with("postgres") {
            // SQLite has no password; the MariaDB of the tests has none to add.
            return;
        }
        use summoner::storage::registry::with_password;
        let mut config = config.clone();
        config.storage.game_shards = config.storage.game().iter().map(|u| with_password(u, "hunter2")).collect();
        config.storage.log_shards = config.storage.log().iter().map(|u| with_password(u, "hunter2")).collect();
        let clock = Arc::new(ManualClock::new());
        let server = TestServer::start(config.clone(), clock.clone()).await;
        let (_, _) = logged_in(&server, "dev-registry").await;
        server.stop().await;
        let common = config.storage.common();
        assert!(count_rows(&common, "shards", "").await >= 2);
        assert_eq!(count_rows(&common, "shards", "location LIKE '%hunter2%'").await, 0, "no password in the registry");

        // A row an earlier version stored with its password: the next start removes it.
        let legacy = with_password(&config.storage.game()[0], "legacy-pw");
        assert_eq!(exec_sql(&common, &format!("UPDATE shards SET location = '{legacy}' WHERE kind = 'game' AND shard_no = 1")).await, 1);
        let server = TestServer::start(config.clone(), clock).await;
        assert_eq!(count_rows(&common, "shards", "location LIKE '%legacy-pw%'").await, 0);
        let mut client = server.client();
        assert_status(&client.login(device("dev-registry")).await.unwrap(), 200, ErrorCode::Ok);
        server.stop().await;
    }
}

#[actix_web::test]
async fn public_readiness_probes_reuse_one_check_per_second() {
    let dir = tempfile::tempdir().unwrap();
    let (server, store) = start(config(dir.path())).await;
    let http = reqwest::Client::new();
    let pings = || store.databases().common.queries.get();
    let (before, started) = (pings(), Instant::now());
    for _ in 0..50 {
        let ready = http.get(format!("{}/readyz", server.url)).send().await.unwrap();
        assert_eq!((ready.status().as_u16(), ready.text().await.unwrap().as_str()), (200, "ready\n"));
    }
    // One check per elapsed second at most (each pings the common database once).
    let checks = pings() - before;
    let bound = started.elapsed().as_secs() + 1;
    assert!(
        checks >= 1 && checks <= bound,
        "{checks} pings of the common database for 50 probes in {:?}",
        started.elapsed()
    );
    // The admin listener's probe checks every time.
    let before = pings();
    for _ in 0..3 {
        assert_eq!(http.get(format!("{}/readyz", server.admin_url)).send().await.unwrap().status().as_u16(), 200);
    }
    assert!(pings() - before >= 3);
    server.stop().await;
}

on_every_backend! {
    /// Each new user's streams are keyed by 256 bits from the operating system's generator,
    /// stored with the profile (64 hex digits), different for every user.
    async fn every_new_user_gets_a_256_bit_stream_key_of_their_own(config) {
        use summoner::game::profile::Profile;

        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (_, a) = logged_in(&server, "dev-key-a").await;
        let (_, b) = logged_in(&server, "dev-key-b").await;
        let store = server.running.directory.backend().store().clone();
        store.flush().await.unwrap();
        let key = |user: u64| {
            let store = store.clone();
            async move {
                let loaded = store.load_user(user, &[]).await.expect("the user loads");
                Profile::from_row(&loaded.state.profile).expect("a profile").stream_key().expect("a 256-bit key")
            }
        };
        let (ka, kb) = (key(a).await, key(b).await);
        assert_ne!(ka, kb);
        assert_ne!(ka, [0; 32]);
        server.stop().await;
    }
}

on_every_backend! {
    /// Names stored before their form was fixed (NFC) are rewritten once at start, a step
    /// recorded in `maintenance_steps`: nicknames on every game shard and clan names.
    async fn names_stored_before_nfc_are_rewritten_once(config) {
        use summoner_proto::api::CreateClanReq;

        let clock = Arc::new(ManualClock::new());
        let server = TestServer::start(config.clone(), clock.clone()).await;
        let (mut leader, user) = logged_in(&server, "dev-nfc").await;
        common::rich(&server, user).await;
        common::ok(&mut leader, Payload::CreateClan(CreateClanReq { name: "Owls".into(), open: true })).await;
        server.running.directory.backend().store().flush().await.unwrap();
        server.stop().await;
        let common_url = config.storage.common();
        let step = "name = 'names_in_stored_form'";
        assert_eq!(count_rows(&common_url, "maintenance_steps", step).await, 1, "recorded at the first start");

        // As an older version stored them: decomposed.
        for url in config.storage.game() {
            exec_sql(&url, &format!("UPDATE users SET nickname = 'Zoe\u{308}' WHERE user_id = {user}")).await;
        }
        exec_sql(&config.storage.clan(), "UPDATE clans SET name = 'Owle\u{301}s' WHERE name = 'Owls'").await;
        assert_eq!(exec_sql(&common_url, &format!("DELETE FROM maintenance_steps WHERE {step}")).await, 1);
        let server = TestServer::start(config.clone(), clock.clone()).await;
        server.stop().await;
        // Counted in characters (MariaDB's default collation finds both forms equal): the
        // composed "Zoë" has 3, the decomposed 4.
        let chars = |url: &str| if url.starts_with("mysql") { "CHAR_LENGTH" } else { "LENGTH" };
        let clan_url = config.storage.clan();
        let composed = format!("user_id = {user} AND {}(nickname) = 3", chars(&clan_url));
        assert_eq!(common::game_rows(&config, "users", &composed).await, 1, "the nickname is composed");
        let composed_clan = format!("{}(name) = 5", chars(&clan_url));
        assert_eq!(count_rows(&clan_url, "clans", &composed_clan).await, 1, "the clan name is composed");

        // Recorded: a later start does not scan again.
        exec_sql(&clan_url, "UPDATE clans SET name = 'Owle\u{301}s'").await;
        let server = TestServer::start(config.clone(), clock).await;
        let decomposed_clan = format!("{}(name) = 6", chars(&clan_url));
        assert_eq!(count_rows(&clan_url, "clans", &decomposed_clan).await, 1, "no second rewrite");
        server.stop().await;
    }
}

on_every_backend! {
    /// A user from before stream keys keeps the gameplay stream of their 63-bit seed (their
    /// draws replay as before) and gets a key for the side streams at their first activation,
    /// stored with their next commit: battle tokens no longer come from the seed.
    async fn a_user_from_before_keys_gets_a_side_key_and_keeps_their_draws(config) {
        use summoner::game::profile::Profile;
        use summoner_proto::api::{SummonReq, response};

        let clock = Arc::new(ManualClock::new());
        let server = TestServer::start(config.clone(), clock.clone()).await;
        let (_, user) = logged_in(&server, "dev-legacy-key").await;
        server.stop().await;
        for url in config.storage.game() {
            exec_sql(&url, &format!("UPDATE users SET rng_key = '' WHERE user_id = {user}")).await;
        }
        let server = TestServer::start(config.clone(), clock).await;
        let (mut client, again) = logged_in(&server, "dev-legacy-key").await;
        assert_eq!(again, user);
        let summoned = common::ok(&mut client, Payload::Summon(SummonReq { pool: "pool.normal".into(), count: 1 })).await;
        let response::Payload::Summon(summoned) = summoned else { panic!("not a summon") };
        let store = server.running.directory.backend().store().clone();
        store.flush().await.unwrap();
        let loaded = store.load_user(user, &[]).await.expect("loads");
        let profile = Profile::from_row(&loaded.state.profile).expect("a profile");
        assert!(profile.rng_key.starts_with("side:") && profile.side_key().is_some(), "{}", profile.rng_key);
        assert!(profile.stream_key().is_none(), "the draws keep the seed's stream");
        let draw = summoned.monsters[0].monster.as_ref().expect("a monster").id;
        let replay = summoner::service::audit::replay_summon(store.as_ref(), &server.running.catalog, user, draw)
            .await
            .expect("replayed");
        assert!(replay.matches && !replay.logged.record.keyed, "{replay:?}");
        server.stop().await;
    }
}
