//! User actors under stress: a handler panic costs one request, and concurrent requests
//! of one user never lose an update.

#[macro_use]
mod common;

use std::sync::Arc;

use common::{TestServer, assert_status, logged_in, profile};
use futures_util::future::join_all;
use summoner_actors::ManualClock;
use summoner_proto::api::{DebugPanicReq, ErrorCode, ExploreReq, request::Payload, response};

on_every_backend! {
    /// A panic answers 500 to that request only; the actor restarts from storage (the
    /// panicking draft is gone), its next request works, and other users notice nothing.
    async fn a_handler_panic_costs_only_that_request(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut victim, _) = logged_in(&server, "dev-panic").await;
        let (mut bystander, _) = logged_in(&server, "dev-calm").await;
        let before = profile(&mut victim).await;

        let panicked = victim.call(Payload::DebugPanic(DebugPanicReq {})).await.unwrap();
        assert_status(&panicked, 500, ErrorCode::Internal);
        let explored = victim.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
        let Some(response::Payload::Explore(e)) = explored.response.payload else { panic!("no payload") };
        assert_eq!(before.gold + u64::from(e.gold_gained), profile(&mut victim).await.gold);
        assert_status(&bystander.call(Payload::Explore(ExploreReq {})).await.unwrap(), 200, ErrorCode::Ok);
        server.stop().await;
    }
}

on_every_backend! {
    /// Many concurrent requests of one user: each is applied or refused as a whole, and the
    /// final state is exactly the sum of the applied ones.
    async fn concurrent_requests_of_one_user_never_lose_an_update(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let (mut client, _) = logged_in(&server, "dev-race").await;
        let start = profile(&mut client).await; // seq 1
        let requests = (2..=11u64).map(|seq| {
            let client = client.clone();
            async move { client.send(seq, Payload::Explore(ExploreReq {})).await }
        });
        let answers = join_all(requests).await;
        let mut applied = 0;
        let mut gold = 0;
        for answer in answers {
            let answer = answer.unwrap();
            assert_eq!(answer.status, 200, "{:?}", answer.response);
            match answer.code() {
                ErrorCode::Ok => {
                    applied += 1;
                    let Some(response::Payload::Explore(e)) = answer.response.payload else { panic!("no payload") };
                    gold += u64::from(e.gold_gained);
                }
                // A request overtaken by a later seq is refused whole.
                ErrorCode::StaleRequest => {}
                other => panic!("unexpected code {other:?}"),
            }
        }
        assert!(applied >= 1);
        let after = client.send(12, Payload::GetUser(summoner_proto::api::GetUserReq {})).await.unwrap();
        assert_status(&after, 200, ErrorCode::Ok);
        let Some(response::Payload::GetUser(after)) = after.response.payload else { panic!("no payload") };
        let end = after.user.expect("user");
        assert_eq!(end.gold, start.gold + gold, "the applied requests add up exactly");
        server.stop().await;
    }
}

on_every_backend! {
    /// A new player's actor, started from what their sign-up wrote instead of a read, is
    /// supervised like any other: a panic costs that request, and it restarts from storage
    /// with every answered request in it.
    async fn a_signed_up_players_actor_restarts_from_storage(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let mut client = server.client();
        assert_status(&client.sign_in(summoner_client::device("dev-adopted")).await.unwrap(), 200, ErrorCode::Ok);
        let explored = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
        let before = profile(&mut client).await;

        let panicked = client.call(Payload::DebugPanic(DebugPanicReq {})).await.unwrap();
        assert_status(&panicked, 500, ErrorCode::Internal);
        assert_eq!(profile(&mut client).await, before, "the restarted actor read what was answered");
        let explored = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
        let Some(response::Payload::Explore(e)) = explored.response.payload else { panic!("no payload") };
        assert_eq!(profile(&mut client).await.gold, before.gold + u64::from(e.gold_gained));
        server.stop().await;
    }
}
