//! Idempotent retries over real HTTP, across passivation and across a server restart.

#[macro_use]
mod common;

use std::sync::Arc;

use common::{TestServer, assert_status, logged_in, profile};
use summoner_actors::ManualClock;
use summoner_proto::api::{ErrorCode, ExploreReq, GetUserReq, LogoutReq, request::Payload, response};

fn gold_gained(answer: &summoner_client::Answer) -> u64 {
    match &answer.response.payload {
        Some(response::Payload::Explore(e)) => u64::from(e.gold_gained),
        other => panic!("not an Explore answer: {other:?}"),
    }
}

on_every_backend! {
    /// The same seq returns identical bytes every time and applies nothing; older seqs are
    /// STALE.
    async fn a_retry_returns_identical_bytes_and_applies_nothing_twice(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut client, _) = logged_in(&server, "dev-retry").await;
        let start = profile(&mut client).await; // seq 1

        let first = client.call(Payload::Explore(ExploreReq {})).await.unwrap(); // seq 2
        assert_status(&first, 200, ErrorCode::Ok);
        server.clock.advance_ms(10_000);
        let retry = client.send(2, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_eq!(retry.status, 200);
        assert_eq!(retry.bytes, first.bytes, "a retry answers the stored bytes");
        let again = client.send(2, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_eq!(again.bytes, first.bytes, "so does every later retry");
        let older = client.send(1, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&older, 200, ErrorCode::StaleRequest);

        let now = profile(&mut client).await; // seq 3
        assert_eq!(now.gold, start.gold + gold_gained(&first), "Explore applied exactly once");
        server.running.directory.backend().store().flush().await.expect("logs shipped");
        assert_eq!(common::action_log_count(&config, "explore").await, 1, "logged exactly once");
        assert_eq!(common::action_log_count(&config, "register").await, 1);
        assert_eq!(common::action_log_count(&config, "login").await, 1);
        server.stop().await;
    }
}

on_every_backend! {
    /// Passivation frees the actor; the next request re-activates it with the same state,
    /// and the stored reply still answers a retry.
    async fn passivation_and_reactivation_keep_state_and_stored_reply(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut client, _) = logged_in(&server, "dev-passive").await;
        let explored = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
        let seq = client.last_seq();

        assert_eq!(server.running.passivate_idle().await, 0, "an active actor stays");
        server.clock.advance_ms(301_000);
        assert_eq!(server.running.passivate_idle().await, 1);
        assert_eq!(server.running.directory.live_actors(), 0);

        let retry = client.send(seq, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_eq!(retry.bytes, explored.bytes);
        assert_eq!(server.running.directory.live_actors(), 1);
        let Some(response::Payload::Explore(e)) = explored.response.payload else { panic!("no payload") };
        let user = profile(&mut client).await;
        assert_eq!(Some(user.gold), e.user.map(|u| u.gold));
        server.stop().await;
    }
}

on_every_backend! {
    /// After a restart the session is valid without a new login, and a retry of the last
    /// request is answered from storage instead of being applied again.
    async fn a_restart_keeps_sessions_and_stored_responses(config) {
        let clock = Arc::new(ManualClock::new());
        let server = TestServer::start(config.clone(), clock.clone()).await;
        let (mut client, _) = logged_in(&server, "dev-restart").await;
        let explored = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
        let gold_after = match &explored.response.payload {
            Some(response::Payload::Explore(e)) => e.user.as_ref().map(|u| u.gold),
            _ => None,
        };
        server.stop().await;

        let server = TestServer::start(config.clone(), clock).await;
        let mut client2 = server.client();
        client2.set_token(client.token().to_vec());
        let retry = client2.send(1, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_eq!(retry.bytes, explored.bytes, "the stored answer survives the restart");
        let again = client2.send(2, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&again, 200, ErrorCode::Ok);
        let Some(response::Payload::GetUser(u)) = again.response.payload else { panic!("no payload") };
        assert_eq!(u.user.map(|u| u.gold), gold_after, "Explore applied once in all");
        server.stop().await;
    }
}

on_every_backend! {
    /// Seqs up to 2^63 - 1 are stored faithfully: a retry of the largest after a restart is
    /// answered from storage. 2^63 and above are refused with 400 and change nothing.
    async fn the_largest_seq_survives_a_restart_and_larger_ones_are_refused(config) {
        let clock = Arc::new(ManualClock::new());
        let server = TestServer::start(config.clone(), clock.clone()).await;
        let (client, _) = logged_in(&server, "dev-seq").await;
        for seq in [1 << 63, u64::MAX] {
            let refused = client.send(seq, Payload::Explore(ExploreReq {})).await.unwrap();
            assert_status(&refused, 400, ErrorCode::MalformedRequest);
        }
        let largest = i64::MAX as u64;
        let explored = client.send(largest, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
        server.stop().await;

        let server = TestServer::start(config.clone(), clock).await;
        let mut again = server.client();
        again.set_token(client.token().to_vec());
        let retry = again.send(largest, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_eq!(retry.bytes, explored.bytes, "the largest seq's reply survives the restart");
        let beyond = again.send(1 << 63, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&beyond, 400, ErrorCode::MalformedRequest);
        let stale = again.send(largest - 1, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&stale, 200, ErrorCode::StaleRequest);
        assert_eq!(common::action_log_count(&config, "explore").await, 1, "applied once");
        server.stop().await;
    }
}

on_every_backend! {
    /// An ended session's token answers only a retry of its last request (the Logout whose
    /// answer was lost), with the identical bytes, also from storage after a restart; any
    /// other request is 401, and so is the retry once a session TTL has passed.
    async fn an_ended_session_answers_only_a_retry_of_its_last_request(config) {
        let clock = Arc::new(ManualClock::new());
        let server = TestServer::start(config.clone(), clock.clone()).await;
        let (mut client, _) = logged_in(&server, "dev-ended").await;
        profile(&mut client).await; // seq 1
        let logout = client.call(Payload::Logout(LogoutReq {})).await.unwrap(); // seq 2
        assert_status(&logout, 200, ErrorCode::Ok);
        let retry = client.send(2, Payload::Logout(LogoutReq {})).await.unwrap();
        assert_eq!(retry.bytes, logout.bytes, "a retry of the Logout gets its answer");
        let older = client.send(1, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&older, 401, ErrorCode::Unauthenticated);
        let next = client.send(3, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&next, 401, ErrorCode::Unauthenticated);
        server.stop().await;

        let server = TestServer::start(config.clone(), clock.clone()).await;
        let mut again = server.client();
        again.set_token(client.token().to_vec());
        let retry = again.send(2, Payload::Logout(LogoutReq {})).await.unwrap();
        assert_eq!(retry.bytes, logout.bytes, "the answer is kept in storage across a restart");
        let next = again.send(3, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&next, 401, ErrorCode::Unauthenticated);
        clock.advance_ms(i64::from(config.sessions.ttl_secs) * 1_000);
        let late = again.send(2, Payload::Logout(LogoutReq {})).await.unwrap();
        assert_status(&late, 401, ErrorCode::Unauthenticated);
        assert_eq!(common::action_log_count(&config, "logout").await, 1, "applied once");
        server.stop().await;
    }
}

/// Fails the first commit that logs a `delete_account`, as a database that refused it would.
struct FailDeleteOnce(std::sync::atomic::AtomicBool);

impl common::hooked_store::CommitHook for FailDeleteOnce {
    fn commit(
        &self,
        inner: &summoner::storage::memory::MemoryStore,
        user: summoner_actors::UserId,
        place: summoner::storage::UserPlace,
        commit: summoner_actors::Commit<summoner::storage::Changes>,
    ) -> futures_util::future::BoxFuture<'static, summoner::storage::StoreResult<()>> {
        use summoner::storage::Store;
        let deleting = commit.writes.logs.iter().any(|l| l.action == "delete_account");
        if deleting && !self.0.swap(true, std::sync::atomic::Ordering::SeqCst) {
            let refused = summoner::storage::StoreError::Database("commit".into(), "refused by the test".into());
            return Box::pin(std::future::ready(Err(refused)));
        }
        inner.commit(user, place, commit)
    }
}

/// DeleteAccount whose commit failed after its read step recorded the deletion and ended the
/// session: its retry, reaching an actor that loads the ended session from storage, runs
/// again (the first record's time stands) and is answered; every retry of it gets those
/// bytes; another DeleteAccount or any other request with the token gets 401.
#[actix_web::test]
async fn a_delete_account_whose_commit_failed_runs_again_when_retried() {
    let store = Arc::new(common::hooked_store::HookedStore {
        inner: summoner::storage::memory::MemoryStore::new(),
        hook: FailDeleteOnce(std::sync::atomic::AtomicBool::new(false)),
    });
    let data_dir = tempfile::tempdir().expect("a data folder");
    let server = TestServer::start_with_store(common::config(data_dir.path()), store).await;
    let (mut client, user) = logged_in(&server, "dev-del-retry").await;
    // Answered at the same instant as the deletion is recorded (the clock does not move).
    assert_status(&client.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 200, ErrorCode::Ok);
    let delete = || {
        Payload::DeleteAccount(summoner_proto::api::DeleteAccountReq {
            credential: Some(summoner_client::device("dev-del-retry")),
        })
    };
    let failed = client.call(delete()).await.unwrap();
    assert_status(&failed, 500, ErrorCode::Internal);
    let seq = client.last_seq();
    server.clock.advance_ms(1_000);
    // The actor retired: the next activation reads the session as storage has it, ended by
    // the record.
    assert!(server.running.directory.live(user).is_none(), "the actor retired after the failed commit");
    let retry = client.send(seq, delete()).await.unwrap();
    assert_status(&retry, 200, ErrorCode::Ok);
    let Some(response::Payload::DeleteAccount(answer)) = &retry.response.payload else { panic!("no payload") };
    assert_eq!(answer.erased_after_ms, failed.response.server_time_ms + 7 * 86_400_000, "the first record's time");
    let again = client.send(seq, delete()).await.unwrap();
    assert_eq!(again.bytes, retry.bytes);
    let another = client.send(seq + 1, delete()).await.unwrap();
    assert_status(&another, 401, ErrorCode::Unauthenticated);
    let next = client.send(seq + 2, Payload::GetUser(GetUserReq {})).await.unwrap();
    assert_status(&next, 401, ErrorCode::Unauthenticated);
    server.stop().await;
}

/// A kicked session's token cannot run DeleteAccount (nor anything else): only the request
/// that ended a session may run again on it.
#[actix_web::test]
async fn a_kicked_token_runs_nothing() {
    let data_dir = tempfile::tempdir().expect("a data folder");
    let mut config = common::config(data_dir.path());
    config.admin.token = "admin-token".into();
    let common_url = config.storage.common();
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    let (mut client, user) = logged_in(&server, "dev-kicked").await;
    assert_status(&client.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 200, ErrorCode::Ok);
    // The kick comes later than the last answer.
    server.clock.advance_ms(1_000);
    let kicked = reqwest::Client::new()
        .post(format!("{}/admin/users/{user}/kick?reason=test", server.admin_url))
        .bearer_auth("admin-token")
        .header("x-summoner-operator", "tester")
        .send()
        .await
        .expect("the admin listener answers");
    assert_eq!(kicked.status().as_u16(), 200);
    let delete = Payload::DeleteAccount(summoner_proto::api::DeleteAccountReq {
        credential: Some(summoner_client::device("dev-kicked")),
    });
    assert_status(&client.call(delete.clone()).await.unwrap(), 401, ErrorCode::Unauthenticated);
    // Nor with seq 0, the seq a kick records as having ended the session.
    assert_status(&client.send(0, delete).await.unwrap(), 401, ErrorCode::Unauthenticated);
    assert_eq!(common::count_rows(&common_url, "account_deletions", "").await, 0, "nothing recorded");
    server.stop().await;
}
