//! The HTTP edge: undecodable bodies, unknown payloads, size and content-type limits, and
//! overload answers, each with a decodable `Response` body.

#[macro_use]
mod common;

use std::sync::Arc;

use common::gated_store::GatedStore;
use common::{TestServer, assert_status, config, logged_in};
use prost::Message;
use summoner_actors::ManualClock;
use summoner_proto::api::{ErrorCode, ExploreReq, GetUserReq, Request, SetNicknameReq, request::Payload};

on_every_backend! {
    /// Garbage bytes and a request without a known payload are 400.
    async fn undecodable_bodies_are_400(config) {
        let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        let client = server.client();
        let garbage = client.post_raw(vec![0xff, 0xff, 0xff, 0x01, 0x02], "application/x-protobuf").await.unwrap();
        assert_status(&garbage, 400, ErrorCode::MalformedRequest);
        let empty = client.post_raw(Request { seq: 1, ..Default::default() }.encode_to_vec(), "application/x-protobuf");
        assert_status(&empty.await.unwrap(), 400, ErrorCode::UnknownOperation);
        let json = client.post_raw(b"{}".to_vec(), "application/json").await.unwrap();
        assert_status(&json, 415, ErrorCode::UnsupportedMediaType);
        server.stop().await;
    }
}

on_every_backend! {
    /// A body over the configured limit is 413, with a decodable body; one under it is served.
    async fn large_bodies_are_413(config) {
        let mut config = config.clone();
        config.limits.max_body_bytes = 1024;
        let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
        let (client, _) = logged_in(&server, "dev-big").await;
        let big = Payload::SetNickname(SetNicknameReq { nickname: "n".repeat(2048) });
        let answer = client.send(1, big).await.unwrap();
        assert_status(&answer, 413, ErrorCode::PayloadTooLarge);
        let fits = Payload::SetNickname(SetNicknameReq { nickname: "n".repeat(900) });
        assert_status(&client.send(1, fits).await.unwrap(), 200, ErrorCode::InvalidArgument);
        server.stop().await;
    }
}

/// A user's full mailbox and a full server answer 503 with Retry-After; others go on.
#[actix_web::test]
async fn overload_is_503_with_retry_after() {
    let (store, mut gate) = GatedStore::new();
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.limits.user_mailbox = 1;
    config.limits.max_in_flight = 2;
    config.limits.retry_after_secs = 3;
    let server = TestServer::start_with_store(config, store).await;
    let (a, a_id) = logged_in(&server, "dev-a").await;
    let (mut b, b_id) = logged_in(&server, "dev-b").await;
    // B's first request of the day records its login: let that one commit now.
    gate.gate.add_permits(1);
    assert_status(&b.call(Payload::GetUser(GetUserReq {})).await.unwrap(), 200, ErrorCode::Ok);
    assert_eq!(gate.entered.recv().await, Some(b_id));

    // A's Explore waits at the commit gate, holding A's only mailbox slot.
    let mut a_explore = a.clone();
    let pending = actix_web::rt::spawn(async move { a_explore.call(Payload::Explore(ExploreReq {})).await });
    assert_eq!(gate.entered.recv().await, Some(a_id));
    let busy = a.send(2, Payload::GetUser(GetUserReq {})).await.unwrap();
    assert_status(&busy, 503, ErrorCode::Overloaded);
    assert_eq!(busy.retry_after, Some(3));

    // B is served meanwhile (1 of 2 server permits is taken by A's pending request).
    let b_answer = b.call(Payload::GetUser(GetUserReq {})).await.unwrap();
    assert_status(&b_answer, 200, ErrorCode::Ok);

    // With B's Explore also waiting at the gate, the server is full.
    let mut b_explore = b.clone();
    let pending_b = actix_web::rt::spawn(async move { b_explore.call(Payload::Explore(ExploreReq {})).await });
    gate.entered.recv().await.unwrap();
    let full = server.client().post_raw(vec![1, 2, 3], "application/x-protobuf").await.unwrap();
    assert_status(&full, 503, ErrorCode::Overloaded);

    gate.gate.add_permits(2);
    assert_status(&pending.await.unwrap().unwrap(), 200, ErrorCode::Ok);
    assert_status(&pending_b.await.unwrap().unwrap(), 200, ErrorCode::Ok);
    server.stop().await;
}
