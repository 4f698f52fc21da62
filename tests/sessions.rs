//! Accounts and sessions over real HTTP: register, login, authenticated calls, 401s,
//! expiry and renewal, logout, and a new login ending the previous session.

#[macro_use]
mod common;

use std::sync::Arc;

use common::{TestServer, assert_status, logged_in, profile};
use summoner_actors::ManualClock;
use summoner_client::device;
use summoner_proto::api::{
    Credential, ErrorCode, GetUserReq, LogoutReq, PlatformId, RegisterRes, SetNicknameReq, credential,
    request::Payload, response,
};

on_every_backend! {
    /// Register, login and an authenticated call; Register is idempotent per sign-in id.
    async fn register_login_and_call(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let mut client = server.client();

        let first = client.register(device("dev-1")).await.unwrap();
        assert_status(&first, 200, ErrorCode::Ok);
        let Some(response::Payload::Register(first)) = first.response.payload else { panic!("no payload") };
        assert!(first.created);
        let again = client.register(device("dev-1")).await.unwrap();
        let Some(response::Payload::Register(again)) = again.response.payload else { panic!("no payload") };
        assert_eq!((again.user_id, again.created), (first.user_id, false));
        let other = client.register(device("dev-2")).await.unwrap();
        let Some(response::Payload::Register(other)) = other.response.payload else { panic!("no payload") };
        assert_ne!(other.user_id, first.user_id);

        let login = client.login(device("dev-1")).await.unwrap();
        assert_status(&login, 200, ErrorCode::Ok);
        let Some(response::Payload::Login(login)) = login.response.payload else { panic!("no payload") };
        assert_eq!(login.session_token.len(), 32);
        assert_eq!(login.ttl_secs, 3600);
        assert_eq!(login.user.as_ref().map(|u| u.user_id), Some(first.user_id));

        let renamed = client.call(Payload::SetNickname(SetNicknameReq { nickname: "  Miho  ".into() })).await.unwrap();
        assert_status(&renamed, 200, ErrorCode::Ok);
        assert_eq!(renamed.response.seq, 1);
        let user = profile(&mut client).await;
        assert_eq!((user.user_id, user.nickname.as_str()), (first.user_id, "Miho"));
        for probe in ["healthz", "readyz"] {
            let answer = reqwest::get(format!("{}/{probe}", server.url)).await.unwrap();
            assert_eq!(answer.status().as_u16(), 200, "{probe}");
        }
        let metrics = reqwest::get(format!("{}/metrics", server.admin_url)).await.unwrap().text().await.unwrap();
        let version = format!("summoner_gamedata_version {}", summoner::game::data::GameData::embedded().unwrap().version);
        for expected in [
            r#"summoner_requests_total{op="SetNickname",status="200"}"#,
            r#"summoner_request_duration_seconds_bucket{op="Login""#,
            "summoner_live_user_actors 1",
            version.as_str(),
            "summoner_deliveries_total ",
            "summoner_delivery_lag_seconds_count ",
            r#"summoner_batch_size_count{shard="game-"#,
            r#"summoner_commit_duration_seconds_count{shard="log-"#,
            "summoner_session_store_lookups_total ",
            "summoner_cache_writes_behind_total ",
            "summoner_cache_writes_dropped_total 0",
            r#"summoner_requests_in_flight{stage="persistence"} 0"#,
            "summoner_user_mailbox_requests 0",
            "summoner_user_mailbox_max_depth 0",
            r#"summoner_persistence_queue_jobs{shard="game-1"} 0"#,
            r#"summoner_persistence_oldest_job_seconds{shard="log-1"} 0"#,
            "summoner_process_cpu_seconds_total ",
            "summoner_process_resident_memory_bytes ",
        ] {
            assert!(metrics.contains(expected), "no {expected} in /metrics:\n{metrics}");
        }
        server.stop().await;
    }
}

on_every_backend! {
    /// Sign-in in one call: a Login with `register_if_new` of a new credential registers it
    /// and opens its session, the actor holding what storage holds (read back after a
    /// passivation); again, it logs in to that account and ends the first session; Register
    /// finds it; a malformed credential or a plain Login of a new one writes nothing; an
    /// account whose profile row is missing (a sign-up interrupted before writing it) gets
    /// the row back at its next sign-in.
    async fn sign_in_registers_once_then_logs_in(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let signed_in = |answer: summoner_client::Answer| {
            assert_status(&answer, 200, ErrorCode::Ok);
            match answer.response.payload {
                Some(response::Payload::Login(login)) => login,
                other => panic!("no login payload: {other:?}"),
            }
        };
        let mut first = server.client();
        let login = signed_in(first.sign_in(device("dev-s")).await.unwrap());
        assert!(login.registered);
        assert_eq!(login.session_token.len(), 32);
        let user = login.user.expect("the new user");
        assert_eq!(login.routing_key, user.user_id.to_string());
        assert_eq!(profile(&mut first).await, user, "the actor holds the user the sign-up answered");

        let renamed = first.call(Payload::SetNickname(SetNicknameReq { nickname: "Sora".into() })).await.unwrap();
        assert_status(&renamed, 200, ErrorCode::Ok);
        let held = profile(&mut first).await;
        assert!(server.running.directory.passivate(user.user_id).await, "the signed-up user's actor was live");
        assert_eq!(profile(&mut first).await, held, "an activation reads back what the signed-up actor held");

        let mut second = server.client();
        let again = signed_in(second.sign_in(device("dev-s")).await.unwrap());
        assert!(!again.registered);
        assert_eq!(again.user.map(|u| (u.user_id, u.nickname)), Some((user.user_id, "Sora".to_owned())));
        let ended = first.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_eq!(ended.status, 401, "the second sign-in ended the first session");
        let registered = client_register(&mut second, "dev-s").await;
        assert_eq!((registered.user_id, registered.created), (user.user_id, false));

        let common_url = config.storage.common();
        let counts = async || {
            let mut counts = vec![common::game_rows(&config, "users", "").await];
            for table in ["accounts", "account_auth", "sessions"] {
                counts.push(common::count_rows(&common_url, table, "").await);
            }
            counts
        };
        let before = counts().await;
        assert_status(&second.sign_in(device("")).await.unwrap(), 200, ErrorCode::InvalidArgument);
        assert_status(&second.login(device("dev-new")).await.unwrap(), 200, ErrorCode::NotRegistered);
        assert_eq!(counts().await, before, "nothing written");

        // Sign-ins at once, in no order, some of one new credential: each credential
        // registers once, every sign-in logs in to its credential's account, and each
        // account is in storage as its sign-in answered (read back after a passivation).
        let devices = ["dev-z", "dev-a", "dev-z", "dev-m", "dev-a", "dev-z", "dev-b"];
        let at_once = futures_util::future::join_all(devices.iter().map(|d| async {
            let mut client = server.client();
            let login = signed_in(client.sign_in(device(d)).await.unwrap());
            (*d, client, login)
        }))
        .await;
        let mut accounts = std::collections::BTreeMap::new();
        for (d, _, login) in &at_once {
            let id = login.user.as_ref().map(|u| u.user_id);
            assert_eq!(*accounts.entry(*d).or_insert(id), id, "{d}: one account");
        }
        for d in ["dev-z", "dev-a", "dev-m", "dev-b"] {
            assert_eq!(at_once.iter().filter(|(x, _, l)| *x == d && l.registered).count(), 1, "{d} registered once");
        }
        assert_eq!(accounts.values().collect::<std::collections::BTreeSet<_>>().len(), 4, "four accounts");
        // Each sign-in ended the session of the one before it: one session per credential
        // lives on, and the user it reads after a passivation is what its sign-in answered.
        server.running.directory.passivate_all().await;
        let mut live = std::collections::BTreeMap::new();
        for (d, mut client, login) in at_once {
            let answer = client.call(Payload::GetUser(GetUserReq {})).await.unwrap();
            if answer.status == 401 {
                continue;
            }
            assert_status(&answer, 200, ErrorCode::Ok);
            let Some(response::Payload::GetUser(read)) = answer.response.payload else { panic!("no payload") };
            assert_eq!(read.user, login.user, "{d}: storage holds what the sign-in answered");
            *live.entry(d).or_insert(0) += 1;
        }
        assert_eq!(live.into_iter().collect::<Vec<_>>(), [("dev-a", 1), ("dev-b", 1), ("dev-m", 1), ("dev-z", 1)]);

        // Retired by the passivation above: the next sign-in activates the user again.
        assert!(server.running.directory.live(user.user_id).is_none());
        for url in config.storage.game() {
            common::exec_sql(&url, &format!("DELETE FROM users WHERE user_id = {}", user.user_id)).await;
        }
        let repaired = signed_in(second.sign_in(device("dev-s")).await.unwrap());
        assert_eq!((repaired.registered, repaired.user.map(|u| u.user_id)), (false, Some(user.user_id)));
        assert_eq!(profile(&mut second).await.user_id, user.user_id);
        // A stop ships every action log: five registrations, three logins and the seven at
        // once; a sign-up whose profile statement met a repair's row (a sign-in of the same
        // credential alongside) logs in again through an activation, so up to three more.
        server.stop().await;
        assert_eq!(common::action_log_count(&config, "register").await, 5);
        let logins = common::action_log_count(&config, "login").await;
        assert!((10..=13).contains(&logins), "{logins} logins");
    }
}

on_every_backend! {
    /// Game-logic refusals are 200 with a code, and change nothing.
    async fn refusals_answer_200_with_a_code(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let mut client = server.client();
        assert_status(&client.register(device("")).await.unwrap(), 200, ErrorCode::InvalidArgument);
        let bad_platform = Credential {
            kind: Some(credential::Kind::Platform(PlatformId { provider: "Bad Provider".into(), id_token: "x".into(), ..Default::default() })),
        };
        assert_status(&client.register(bad_platform).await.unwrap(), 200, ErrorCode::InvalidArgument);
        assert_status(&client.login(device("nobody")).await.unwrap(), 200, ErrorCode::NotRegistered);

        let (mut client, _) = logged_in(&server, "dev-r").await;
        let before = profile(&mut client).await;
        let refused = client.call(Payload::SetNickname(SetNicknameReq { nickname: "x".into() })).await.unwrap();
        assert_status(&refused, 200, ErrorCode::InvalidArgument);
        assert_eq!(profile(&mut client).await, before);
        server.stop().await;
    }
}

on_every_backend! {
    /// A missing, malformed or unknown token is 401 UNAUTHENTICATED with a decodable body.
    async fn unknown_tokens_are_401(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let mut client = server.client();
        for token in [vec![], vec![7u8; 5], vec![7u8; 32]] {
            client.set_token(token);
            let answer = client.call(Payload::GetUser(GetUserReq {})).await.unwrap();
            assert_status(&answer, 401, ErrorCode::Unauthenticated);
        }
        server.stop().await;
    }
}

on_every_backend! {
    /// A session idle past its TTL is 401 SESSION_EXPIRED; activity renews it.
    async fn sessions_expire_unless_renewed_by_activity(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut client, _) = logged_in(&server, "dev-e").await;
        let ttl_ms = 3600 * 1000;

        server.clock.advance_ms(ttl_ms - 1000);
        profile(&mut client).await; // renews
        server.clock.advance_ms(ttl_ms - 1000);
        profile(&mut client).await; // still valid: renewed by the previous call

        server.clock.advance_ms(ttl_ms);
        let expired = client.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&expired, 401, ErrorCode::SessionExpired);

        // Logging in again gives a working session.
        client.login(device("dev-e")).await.unwrap();
        profile(&mut client).await;
        server.stop().await;
    }
}

on_every_backend! {
    /// Logout ends the session; a new login ends the previous one.
    async fn logout_and_relogin_end_sessions(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut client, _) = logged_in(&server, "dev-l").await;
        let old_token = client.token().to_vec();

        let mut second = server.client();
        second.login(device("dev-l")).await.unwrap();
        assert_ne!(second.token(), old_token.as_slice());
        let stale = client.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&stale, 401, ErrorCode::Unauthenticated);
        profile(&mut second).await;

        let logout = second.call(Payload::Logout(LogoutReq {})).await.unwrap();
        assert_status(&logout, 200, ErrorCode::Ok);
        let after = second.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&after, 401, ErrorCode::Unauthenticated);
        server.stop().await;
        assert_eq!(common::action_log_count(&config, "logout").await, 1);
        assert_eq!(common::action_log_count(&config, "login").await, 2);
    }
}

/// Registers `device_id` through `client`; answers Register's payload.
async fn client_register(client: &mut summoner_client::Client, device_id: &str) -> RegisterRes {
    let answer = client.register(device(device_id)).await.unwrap();
    assert_status(&answer, 200, ErrorCode::Ok);
    match answer.response.payload {
        Some(response::Payload::Register(r)) => r,
        other => panic!("no register payload: {other:?}"),
    }
}
