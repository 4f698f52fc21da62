//! The cache, on the in-process store and on two real Redis shards: sessions found by token
//! after a restart, a reply kept at passivation and served to a retry, TTLs, keys spread
//! over both shards, no round trip where the actor holds what is needed, friend
//! recommendations and snapshots (friend lists read them), and a Redis outage with recovery.

#[macro_use]
mod common;

use std::sync::Arc;

use common::redis::{OwnRedis, caches, connect, pttl, shard_urls, with_redis};
use common::{TestServer, assert_status, logged_in, ok, profile};
use summoner::cache::Activity;
use summoner::cache::Cache as _;
use summoner::cache::keys::{self, Keys};
use summoner::cache::redis::{RedisCache, RedisSettings};
use summoner::config::Config;
use summoner::service::tokens::hash_token;
use summoner_actors::{Clock, ManualClock};
use summoner_client::device;
use summoner_proto::api::{
    DebugAddFriendReq, ErrorCode, ExploreReq, FriendCard, FriendSnapshot, GetFriendSnapshotReq, GetUserReq,
    ListFriendsReq, RecommendFriendsReq, SetNicknameReq, request::Payload, response,
};
use summoner_proto::cache::SessionRecord;

const HOUR_MS: i64 = 3_600_000;

/// A configuration on fresh SQLite databases, with the cache `redis` (None: in process).
fn config_with(dir: &tempfile::TempDir, redis: &Option<Vec<String>>) -> Config {
    let config = common::config(dir.path());
    match redis {
        Some(urls) => with_redis(config, urls),
        None => config,
    }
}

fn cache_name(redis: &Option<Vec<String>>) -> &'static str {
    if redis.is_some() { "redis" } else { "in-process" }
}

/// A server on fresh SQLite databases with the cache `redis`; the folder lives as long as
/// the caller keeps it.
async fn start_on(redis: &Option<Vec<String>>) -> (tempfile::TempDir, Config, TestServer) {
    eprintln!("-- on the {} cache", cache_name(redis));
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(&dir, redis);
    let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
    (dir, config, server)
}

/// Moves the clock past the idle timeout and passivates every idle actor.
async fn passivate_all(server: &TestServer) -> usize {
    server.clock.advance_ms(301_000);
    server.running.passivate_idle().await
}

#[actix_web::test]
async fn a_restart_keeps_sessions_valid_without_a_new_login() {
    for redis in caches() {
        let (_dir, config, server) = start_on(&redis).await;
        let clock = server.clock.clone();
        let (mut client, user) = logged_in(&server, "dev-restart").await;
        let renamed = client.call(Payload::SetNickname(SetNicknameReq { nickname: "Before".into() })).await.unwrap();
        assert_status(&renamed, 200, ErrorCode::Ok);
        server.stop().await;

        let server = TestServer::start(config.clone(), clock.clone()).await;
        assert_eq!(server.running.directory.live_actors(), 0);
        let mut again = server.client();
        again.set_token(client.token().to_vec());
        let answer = again.send(client.last_seq() + 1, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&answer, 200, ErrorCode::Ok);
        let Some(response::Payload::GetUser(me)) = answer.response.payload else { panic!("no payload") };
        let me = me.user.expect("a user");
        assert_eq!((me.user_id, me.nickname.as_str()), (user, "Before"));
        if redis.is_some() {
            let metrics = reqwest::get(format!("{}/metrics", server.admin_url)).await.unwrap().text().await.unwrap();
            let timed = r#"summoner_redis_call_duration_seconds_count{shard="redis-0"}"#;
            assert!(metrics.lines().any(|l| l.starts_with(timed) && !l.ends_with(" 0")), "no {timed}:\n{metrics}");
        }
        server.stop().await;
    }
}

#[actix_web::test]
async fn a_reply_no_database_holds_is_kept_when_the_actor_retires() {
    for redis in caches() {
        let (_dir, _, server) = start_on(&redis).await;
        let (mut client, _) = logged_in(&server, "dev-kept").await;
        let read = client.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&read, 200, ErrorCode::Ok);
        let seq = client.last_seq();

        assert_eq!(passivate_all(&server).await, 1);
        assert_eq!(server.running.directory.live_actors(), 0);
        // Answered afresh, the reply would carry the later clock; the kept one has the old.
        let retry = client.send(seq, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_eq!(retry.bytes, read.bytes, "the retry gets the kept bytes");
        let again = client.send(seq, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_eq!(again.bytes, read.bytes, "every retry gets the kept bytes");

        // A refusal is kept the same way.
        let refused = client.call(Payload::SetNickname(SetNicknameReq { nickname: String::new() })).await.unwrap();
        assert_status(&refused, 200, ErrorCode::InvalidArgument);
        assert_eq!(passivate_all(&server).await, 1);
        let retry = client.send(client.last_seq(), Payload::SetNickname(SetNicknameReq::default())).await.unwrap();
        assert_eq!(retry.bytes, refused.bytes);
        server.stop().await;
    }
}

/// The Redis shards, or None (the test is skipped outside CI when none are configured).
fn redis_shards() -> Option<Vec<String>> {
    let urls = shard_urls();
    if urls.is_none() {
        eprintln!("SUMMONER_TEST_REDIS_URLS is not set; skipping (CI sets it)");
    }
    urls
}

#[actix_web::test]
async fn redis_keys_spread_over_both_shards_with_their_ttls() {
    let Some(urls) = redis_shards() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(&dir, &Some(urls.clone()));
    let keys = Keys::new(&config.redis.key_prefix);
    let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
    let mut shards = Vec::new();
    for url in &urls {
        shards.push(connect(url).await);
    }

    let mut clients = Vec::new();
    let mut per_shard = vec![0; urls.len()];
    for i in 0..16 {
        let before = server.running.directory.backend().cache().traffic().round_trips;
        let (client, user) = logged_in(&server, &format!("dev-spread-{i}")).await;
        let trips = server.running.directory.backend().cache().traffic().round_trips - before;
        // The first Login also reads the notice, which the node then keeps for a few seconds.
        assert_eq!(trips, if i == 0 { 2 } else { 1 }, "Login is one round trip");
        let token = hash_token(client.token());
        let home = keys::token_shard(&token, urls.len());
        per_shard[home] += 1;
        for (n, conn) in shards.iter_mut().enumerate() {
            let ttl = pttl(conn, &keys.session(&token)).await;
            if n == home {
                assert!(ttl > HOUR_MS - 10_000 && ttl <= HOUR_MS, "session TTL {ttl} ms");
            } else {
                assert_eq!(ttl, -2, "a session lives on its own shard only");
            }
        }
        clients.push((client, user, token, home));
    }
    assert!(per_shard.iter().all(|&n| n > 0), "sessions on every shard: {per_shard:?}");

    // Each activation's first commit publishes the user's friend snapshot, behind its reply.
    for (client, ..) in &mut clients {
        ok(client, Payload::Explore(ExploreReq {})).await;
    }
    server.running.directory.backend().write_behind().settled().await;
    // Requests of live users are served by their actors: no round trip, and nothing behind.
    let before = server.running.directory.backend().cache().traffic();
    let sent_before = server.running.directory.backend().write_behind().sent();
    for (client, ..) in &mut clients {
        let read = client.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&read, 200, ErrorCode::Ok);
        let explored = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&explored, 200, ErrorCode::Ok);
    }
    server.running.directory.backend().write_behind().settled().await;
    assert_eq!(server.running.directory.backend().cache().traffic(), before, "requests of live actors touched Redis");
    assert_eq!(server.running.directory.backend().write_behind().sent(), sent_before, "nothing written behind");
    let read = clients[0].0.call(Payload::GetUser(GetUserReq {})).await.unwrap();
    for (_, _, token, home) in &clients {
        assert_eq!(pttl(&mut shards[*home], &keys.reply(token)).await, -2, "the actor holds its reply");
    }

    assert_eq!(passivate_all(&server).await, clients.len());
    let (_, _, token, home) = &clients[0];
    let ttl = pttl(&mut shards[*home], &keys.reply(token)).await;
    assert!(ttl > HOUR_MS - 10_000 && ttl <= HOUR_MS, "kept reply TTL {ttl} ms");
    // A reply already durable with its writes (Explore) is not copied to the cache.
    let (_, _, token, home) = &clients[1];
    assert_eq!(pttl(&mut shards[*home], &keys.reply(token)).await, -2);

    // One round trip for a passivated user's request: its session and kept reply together.
    let before = server.running.directory.backend().cache().traffic();
    let seq = clients[0].0.last_seq();
    let retry = clients[0].0.send(seq, Payload::GetUser(GetUserReq {})).await.unwrap();
    assert_eq!(retry.bytes, read.bytes);
    assert_eq!(server.running.directory.backend().cache().traffic().round_trips - before.round_trips, 1);

    // With a session renewal due too, the reply still waits for that one round trip: the
    // renewal's cache write goes behind it.
    server.clock.advance_ms(400_000);
    assert!(passivate_all(&server).await > 0);
    let backend = server.running.directory.backend();
    let (before, sent_before) = (backend.cache().traffic().round_trips, backend.write_behind().sent());
    ok(&mut clients[0].0, Payload::GetUser(GetUserReq {})).await;
    let behind = backend.write_behind().sent() - sent_before;
    backend.write_behind().settled().await;
    assert_eq!(behind, 1, "the renewal is written behind the reply");
    assert_eq!(backend.cache().traffic().round_trips - before, 2, "look-up, then the renewal");
    let (_, _, token, home) = &clients[0];
    let ttl = pttl(&mut shards[*home], &keys.session(token)).await;
    assert!(ttl > HOUR_MS - 10_000 && ttl <= HOUR_MS, "renewed session TTL {ttl} ms");

    // Friend data: snapshots (published by the nickname change below), and the level
    // buckets, on every shard, with their TTLs.
    for (client, ..) in &mut clients {
        ok(client, Payload::SetNickname(SetNicknameReq { nickname: "Seen".into() })).await;
    }
    server.running.directory.backend().write_behind().settled().await;
    let mut snapshot_shards = vec![0; urls.len()];
    for (_, user, ..) in &clients {
        let key = keys.snapshot(*user);
        let shard = keys::key_shard(&key, urls.len());
        snapshot_shards[shard] += 1;
        let ttl = pttl(&mut shards[shard], &key).await;
        assert!(ttl > HOUR_MS - 10_000 && ttl <= HOUR_MS, "snapshot TTL {ttl} ms");
    }
    assert!(snapshot_shards.iter().all(|&n| n > 0), "snapshots on every shard: {snapshot_shards:?}");
    for (shard, conn) in shards.iter_mut().enumerate() {
        let ttl = pttl(conn, &keys.active_bucket(0)).await;
        assert!(ttl > 2 * HOUR_MS - 10_000 && ttl <= 2 * HOUR_MS, "bucket TTL {ttl} ms on shard {shard}");
    }

    // Logout removes the session from Redis.
    let (client, _, token, home) = &mut clients[2];
    let out = client.call(Payload::Logout(Default::default())).await.unwrap();
    assert_status(&out, 200, ErrorCode::Ok);
    assert_eq!(pttl(&mut shards[*home], &keys.session(token)).await, -2);
    server.stop().await;
}

#[actix_web::test]
async fn recommendations_are_near_in_level_varied_and_never_friends() {
    for redis in caches() {
        let (_dir, _, server) = start_on(&redis).await;
        let (mut me, my_id) = logged_in(&server, "dev-me").await;
        let shard_count = redis.as_ref().map_or(1, Vec::len);
        let my_shard = keys::token_shard(&hash_token(me.token()), shard_count);
        // A recommendation reads the buckets on the caller's session shard: enough players
        // must have their session there.
        let mut others = Vec::new();
        let mut i = 0;
        while others.len() < 10 {
            let (client, id) = logged_in(&server, &format!("dev-other-{i}")).await;
            i += 1;
            if keys::token_shard(&hash_token(client.token()), shard_count) == my_shard {
                others.push(id);
            }
        }
        let friends = [others[0], others[1]];
        for friend in friends {
            ok(&mut me, Payload::DebugAddFriend(DebugAddFriendReq { user_id: friend })).await;
        }
        // Players far above (bucket 5: levels 26-30), active just now, on the same shard.
        let cache = server.running.directory.backend().cache().clone();
        let now = server.clock.now_ms();
        let mut n = 0u32;
        for id in 1..=20u64 {
            let token = loop {
                n += 1;
                let token = hash_token(&n.to_be_bytes());
                if keys::token_shard(&token, shard_count) == my_shard {
                    break token;
                }
            };
            let card = FriendCard { user_id: 1_000 + id, nickname: format!("far-{id}"), level: 27, active_at_ms: now };
            let record = SessionRecord { user_id: 1_000 + id, expires_at_ms: now + HOUR_MS, ..Default::default() };
            let activity = Activity { bucket: 5, card, window_ms: HOUR_MS, cap: 2000 };
            cache.put_session(token, record, now, None, Some(activity)).await.unwrap();
        }

        let mut seen = std::collections::HashSet::new();
        let mut lists = std::collections::HashSet::new();
        for _ in 0..8 {
            let before = cache.traffic().round_trips;
            let Some(response::Payload::RecommendFriends(r)) =
                Some(ok(&mut me, Payload::RecommendFriends(RecommendFriendsReq {})).await)
            else {
                panic!("not a recommendation")
            };
            if redis.is_some() {
                assert_eq!(cache.traffic().round_trips - before, 1, "one round trip per recommendation");
            }
            let ids: Vec<u64> = r.candidates.iter().map(|c| c.user_id).collect();
            assert_eq!(ids.len(), 5, "{ids:?}");
            for card in &r.candidates {
                assert!(card.user_id != my_id && !friends.contains(&card.user_id), "{ids:?}");
                assert!(others.contains(&card.user_id), "not a near-level active player: {card:?}");
                assert_eq!(card.level, 1);
            }
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), 5, "duplicates in {ids:?}");
            seen.extend(ids);
            lists.insert(sorted);
        }
        assert!(lists.len() > 1 && seen.len() > 5, "recommendations do not vary: {lists:?}");

        // A retry of the same seq gets the same list.
        let seq = me.last_seq();
        let first = me.send(seq, Payload::RecommendFriends(RecommendFriendsReq {})).await.unwrap();
        let again = me.send(seq, Payload::RecommendFriends(RecommendFriendsReq {})).await.unwrap();
        assert_eq!(again.bytes, first.bytes, "every retry gets the same list");
        assert_eq!(first.code(), ErrorCode::Ok);
        server.stop().await;
    }
}

#[actix_web::test]
async fn friend_snapshots_are_for_friends_and_refusals_change_nothing() {
    for redis in caches() {
        let (_dir, _, server) = start_on(&redis).await;
        let (mut me, my_id) = logged_in(&server, "dev-snap-me").await;
        let (mut friend, friend_id) = logged_in(&server, "dev-snap-friend").await;
        let (_, stranger_id) = logged_in(&server, "dev-snap-stranger").await;
        ok(&mut friend, Payload::SetNickname(SetNicknameReq { nickname: "Buddy".into() })).await;

        let not_friend =
            me.call(Payload::GetFriendSnapshot(GetFriendSnapshotReq { user_id: friend_id })).await.unwrap();
        assert_status(&not_friend, 200, ErrorCode::NotFriends);
        let added = ok(&mut me, Payload::DebugAddFriend(DebugAddFriendReq { user_id: friend_id })).await;
        let response::Payload::DebugAddFriend(added) = added else { panic!("not an add-friend answer") };
        assert_eq!(added.friend_ids, [friend_id]);
        let snapshot = ok(&mut me, Payload::GetFriendSnapshot(GetFriendSnapshotReq { user_id: friend_id })).await;
        let response::Payload::GetFriendSnapshot(snapshot) = snapshot else { panic!("not a snapshot") };
        let snapshot = snapshot.snapshot.expect("a snapshot");
        assert_eq!((snapshot.user_id, snapshot.nickname.as_str(), snapshot.level), (friend_id, "Buddy", 1));
        // A change friends see is published when it commits: the cached snapshot follows.
        ok(&mut friend, Payload::SetNickname(SetNicknameReq { nickname: "Pal".into() })).await;
        // Published after the reply, which does not wait for it.
        server.running.directory.backend().write_behind().settled().await;
        let snapshot = ok(&mut me, Payload::GetFriendSnapshot(GetFriendSnapshotReq { user_id: friend_id })).await;
        let response::Payload::GetFriendSnapshot(snapshot) = snapshot else { panic!("not a snapshot") };
        assert_eq!(snapshot.snapshot.map(|s| s.nickname), Some("Pal".to_owned()));

        for (target, code) in [(my_id, ErrorCode::InvalidArgument), (987_654_321, ErrorCode::UnknownUser)] {
            let refused = me.call(Payload::DebugAddFriend(DebugAddFriendReq { user_id: target })).await.unwrap();
            assert_status(&refused, 200, code);
        }
        let mine = profile(&mut me).await;
        assert_eq!(mine.friend_ids, [friend_id], "refusals changed the friend list");
        // The list is durable: it survives the actor.
        assert_eq!(passivate_all(&server).await, 3);
        assert_eq!(profile(&mut me).await.friend_ids, [friend_id]);
        assert!(!mine.friend_ids.contains(&stranger_id));
        server.stop().await;
    }
}

#[actix_web::test]
async fn a_friend_list_reads_published_snapshots_from_every_cache_and_the_rest_from_profiles() {
    for redis in caches() {
        let (_dir, _, server) = start_on(&redis).await;
        let (mut me, _) = logged_in(&server, "dev-list-me").await;
        let mut friends = Vec::new();
        for i in 0..6 {
            let (mut friend, friend_id) = logged_in(&server, &format!("dev-list-friend-{i}")).await;
            // A change friends see: committed, then published to the cache.
            ok(&mut friend, Payload::SetNickname(SetNicknameReq { nickname: format!("Friend{i}") })).await;
            ok(&mut me, Payload::DebugAddFriend(DebugAddFriendReq { user_id: friend_id })).await;
            friends.push(friend_id);
        }
        server.running.directory.backend().write_behind().settled().await;
        let published_by = server.clock.now_ms();
        server.clock.advance_ms(5_000);
        // One friend's snapshot is lost (an eviction): that one is read from its profile.
        let lost = friends[2];
        let cache = server.running.directory.backend().cache().clone();
        cache.forget_user(lost, Vec::new()).await.expect("forgotten");
        assert!(cache.snapshot(lost).await.expect("read").is_none());
        let listed = ok(&mut me, Payload::ListFriends(ListFriendsReq {})).await;
        let response::Payload::ListFriends(listed) = listed else { panic!("not a friend list") };
        assert_eq!(listed.friends.len(), 6);
        let now = server.clock.now_ms();
        for (i, friend) in listed.friends.iter().enumerate() {
            let snapshot = friend.snapshot.as_ref().expect("every friend is read");
            assert_eq!((snapshot.user_id, snapshot.nickname.as_str()), (friends[i], format!("Friend{i}").as_str()));
            if friends[i] == lost {
                assert_eq!(snapshot.taken_at_ms, now, "the lost one from its profile");
            } else {
                assert!(
                    snapshot.taken_at_ms <= published_by,
                    "from the cache: {} > {published_by}",
                    snapshot.taken_at_ms
                );
            }
            assert!(snapshot.team.is_empty() && !snapshot.has_team, "a list shows no team");
        }
        server.stop().await;
    }
}

#[actix_web::test]
async fn a_redis_outage_fails_what_needs_it_and_service_returns_by_itself() {
    // Where Redis is provided (CI), redis-server is installed too: start one of our own.
    if redis_shards().is_none() {
        return;
    }
    let mut redis = OwnRedis::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(dir.path());
    config.redis.urls = vec![redis.url()];
    config.redis.timeout_ms = 500;
    // This test is about recovery: no cool-down after a failure, so the first retry after
    // Redis returns reaches it (the cool-down has a test of its own).
    config.redis.cooldown_ms = 0;
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    let (mut live, _) = logged_in(&server, "dev-live").await;
    let (mut idle, _) = logged_in(&server, "dev-idle").await;
    let mut newcomer = server.client();
    assert!(newcomer.register(device("dev-new")).await.unwrap().is_ok());
    // Only the idle user's actor retires.
    server.clock.advance_ms(301_000);
    ok(&mut live, Payload::GetUser(GetUserReq {})).await;
    assert_eq!(server.running.passivate_idle().await, 1);

    redis.stop();
    // The live user's session renewal falls due: tried once, not on every request.
    server.clock.advance_ms(400_000);
    let before = server.running.directory.backend().cache().traffic().round_trips;
    let mut gold = 0;
    for _ in 0..3 {
        let Some(response::Payload::Explore(e)) = Some(ok(&mut live, Payload::Explore(ExploreReq {})).await) else {
            panic!("not an explore answer")
        };
        gold = e.user.expect("a user").gold;
    }
    server.running.directory.backend().write_behind().settled().await;
    assert_eq!(server.running.directory.backend().cache().traffic().round_trips - before, 1);
    // A user whose actor retired plays on as well: the database finds the session.
    let Some(response::Payload::Explore(e)) = Some(ok(&mut idle, Payload::Explore(ExploreReq {})).await) else {
        panic!("not an explore answer")
    };
    let idle_gold = e.user.expect("a user").gold;
    // What needs Redis answers a retryable 503: friend operations, Login, readiness.
    let down = live.call(Payload::RecommendFriends(RecommendFriendsReq {})).await.unwrap();
    assert_status(&down, 503, ErrorCode::Unavailable);
    assert_eq!(down.retry_after, Some(1));
    let login = newcomer.login(device("dev-new")).await.unwrap();
    assert_status(&login, 503, ErrorCode::Unavailable);
    let ready = reqwest::get(format!("{}/readyz", server.admin_url)).await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);

    redis.resume();
    // The client's retry of the same seq, as after any 503.
    let seq = live.last_seq();
    let mut answer = live.send(seq, Payload::RecommendFriends(RecommendFriendsReq {})).await.unwrap();
    for _ in 0..3 {
        if answer.status != 503 {
            break;
        }
        answer = live.send(seq, Payload::RecommendFriends(RecommendFriendsReq {})).await.unwrap();
    }
    assert_status(&answer, 200, ErrorCode::Ok);
    let login = newcomer.login(device("dev-new")).await.unwrap();
    assert_status(&login, 200, ErrorCode::Ok);
    assert_eq!(reqwest::get(format!("{}/readyz", server.admin_url)).await.unwrap().status().as_u16(), 200);

    // Writes acknowledged during the outage are durable: reload the user from storage.
    assert_eq!(passivate_all(&server).await, 3);
    assert_eq!(profile(&mut live).await.gold, gold);
    assert_eq!(profile(&mut idle).await.gold, idle_gold);
    server.stop().await;
}

#[actix_web::test]
async fn level_buckets_keep_the_newest_within_window_and_cap_on_every_cache() {
    for redis in caches() {
        let (_dir, config, server) = start_on(&redis).await;
        let cache = server.running.directory.backend().cache().clone();
        let card =
            |id: u64, at: i64| FriendCard { user_id: id, level: 12, nickname: format!("p{id}"), active_at_ms: at };
        let note_card = |card: FriendCard| {
            let (id, at) = (card.user_id, card.active_at_ms);
            let record = SessionRecord { user_id: id, expires_at_ms: at + HOUR_MS, ..Default::default() };
            let activity = Activity { bucket: 2, card, window_ms: 1_000, cap: 3 };
            cache.put_session(hash_token(&id.to_be_bytes()), record, at, None, Some(activity))
        };
        let note = |id: u64, at: i64| note_card(card(id, at));
        // Every player's session on one shard, so they share its buckets.
        let shard_count = redis.as_ref().map_or(1, Vec::len);
        let on_shard_0: Vec<u64> = (1..)
            .filter(|id: &u64| keys::token_shard(&hash_token(&id.to_be_bytes()), shard_count) == 0)
            .take(6)
            .collect();
        let token = hash_token(&on_shard_0[0].to_be_bytes());
        for (i, id) in on_shard_0[..5].iter().enumerate() {
            note(*id, (i as i64 + 1) * 100).await.unwrap();
        }
        let ids = |lists: Vec<Vec<FriendCard>>| -> Vec<Vec<u64>> {
            lists.into_iter().map(|l| l.into_iter().map(|c| c.user_id).collect()).collect()
        };
        let read = |limit: usize| cache.recent_active(token, vec![(2, limit), (3, limit)], 0);
        let newest = |n: usize| on_shard_0[..5].iter().rev().take(n).copied().collect::<Vec<_>>();
        assert_eq!(ids(read(10).await.unwrap()), [newest(3), vec![]], "newest first, capped at 3");
        assert_eq!(ids(read(2).await.unwrap()), [newest(2), vec![]], "limit");
        note(on_shard_0[5], 1_450).await.unwrap();
        let expected = [vec![on_shard_0[5], on_shard_0[4]], vec![]];
        assert_eq!(ids(read(10).await.unwrap()), expected, "older than the window dropped");
        // The same players noted again (later logins, one with a new nickname): still one
        // entry each, with the newest card.
        note(on_shard_0[4], 1_460).await.unwrap();
        note_card(FriendCard { nickname: "renamed".into(), ..card(on_shard_0[5], 1_470) }).await.unwrap();
        let lists = read(10).await.unwrap();
        assert_eq!(ids(lists.clone()), expected, "one entry per player, however often noted");
        assert_eq!((lists[0][0].nickname.as_str(), lists[0][0].active_at_ms), ("renamed", 1_470));
        if let Some(urls) = &redis {
            // Nothing else is kept for the players that left the bucket.
            let keys = Keys::new(&config.redis.key_prefix);
            let mut conn = connect(&urls[0]).await;
            let count = |cmd: &str, key: String| deadpool_redis::redis::cmd(cmd).arg(key).to_owned();
            let members: i64 = count("ZCARD", keys.active_bucket(2)).query_async(&mut conn).await.unwrap();
            let cards: i64 = count("HLEN", keys.active_cards(2)).query_async(&mut conn).await.unwrap();
            assert_eq!((members, cards), (2, 2));
        }
        server.stop().await;
    }
}

#[actix_web::test]
async fn the_server_cache_keeps_entries_for_their_ttl_on_every_cache() {
    for redis in caches() {
        let (_dir, config, server) = start_on(&redis).await;
        let cache = server.running.directory.backend().cache().clone();
        assert_eq!(cache.server_get("notice").await.unwrap(), None);
        cache.server_put("notice", b"maintenance at 04:00".to_vec(), std::time::Duration::from_secs(60)).await.unwrap();
        assert_eq!(cache.server_get("notice").await.unwrap().as_deref(), Some(&b"maintenance at 04:00"[..]));
        if let Some(urls) = &redis {
            let key = Keys::new(&config.redis.key_prefix).server("notice");
            let mut conn = connect(&urls[keys::key_shard(&key, urls.len())]).await;
            let ttl = pttl(&mut conn, &key).await;
            assert!(ttl > 50_000 && ttl <= 60_000, "server-cache TTL {ttl} ms");
        } else {
            server.clock.advance_ms(60_000);
            assert_eq!(cache.server_get("notice").await.unwrap(), None, "expired on the server clock");
        }
        server.stop().await;
    }
}

#[actix_web::test]
async fn ended_sessions_stay_ended_after_the_actor_retires_on_every_cache() {
    for redis in caches() {
        let (_dir, config, server) = start_on(&redis).await;
        let (mut first, _) = logged_in(&server, "dev-twice").await;
        let mut second = server.client();
        assert!(second.login(device("dev-twice")).await.unwrap().is_ok());
        assert_eq!(passivate_all(&server).await, 1);
        let old = first.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&old, 401, ErrorCode::Unauthenticated);
        if let Some(urls) = &redis {
            // The refused token's entry is gone, wherever it lived.
            let key = Keys::new(&config.redis.key_prefix).session(&hash_token(first.token()));
            for url in urls {
                assert_eq!(pttl(&mut connect(url).await, &key).await, -2);
            }
        }
        ok(&mut second, Payload::GetUser(GetUserReq {})).await;

        ok(&mut second, Payload::Logout(Default::default())).await;
        assert_eq!(passivate_all(&server).await, 1);
        let gone = second.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&gone, 401, ErrorCode::Unauthenticated);
        server.stop().await;
    }
}

#[actix_web::test]
async fn a_cache_that_lost_a_session_costs_the_player_nothing_on_every_cache() {
    for redis in caches() {
        let (_dir, _, server) = start_on(&redis).await;
        let cache = server.running.directory.backend().cache().clone();
        let (mut client, user) = logged_in(&server, "dev-lost").await;
        ok(&mut client, Payload::SetNickname(SetNicknameReq { nickname: "Kept".into() })).await;
        let token = hash_token(client.token());
        let lose_entries = || async {
            cache.end_session(token).await.expect("the cache answers");
            assert!(cache.find_session(token).await.expect("the cache answers").session.is_none());
        };

        // As a Redis restarted without persistence would: the entry is gone, the session not.
        assert_eq!(passivate_all(&server).await, 1);
        lose_entries().await;
        let Some(response::Payload::GetUser(me)) = ok(&mut client, Payload::GetUser(GetUserReq {})).await.into() else {
            panic!("not a GetUser answer")
        };
        let me = me.user.expect("a user");
        assert_eq!((me.user_id, me.nickname.as_str()), (user, "Kept"));
        // Found in the database, the session is renewed at once, which writes the entry back.
        server.running.directory.backend().write_behind().settled().await;
        let found = cache.find_session(token).await.expect("the cache answers").session.expect("entry written back");
        assert_eq!(found.user_id, user);

        // As Redis's TTL would when the session ran out: expired, not unknown.
        assert_eq!(passivate_all(&server).await, 1);
        lose_entries().await;
        server.clock.advance_ms(HOUR_MS);
        let expired = client.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&expired, 401, ErrorCode::SessionExpired);
        // A token no one issued stays unknown.
        let mut stranger = server.client();
        stranger.set_token(vec![9u8; 32]);
        let unknown = stranger.call(Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&unknown, 401, ErrorCode::Unauthenticated);
        server.stop().await;
    }
}

#[actix_web::test]
async fn the_operators_notice_reaches_logins_on_every_node() {
    for redis in caches() {
        eprintln!("-- on the {} cache", cache_name(&redis));
        let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut config = config_with(&dir_a, &redis);
        config.admin.token = "admin-secret".into();
        let node_a = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
        // A second node shares the cache (same Redis, same prefix); in process, there is one.
        let node_b = match &redis {
            Some(_) => {
                let mut config_b = config.clone();
                config_b.storage.data_dir = dir_b.path().to_path_buf();
                Some(TestServer::start(config_b, Arc::new(ManualClock::new())).await)
            }
            None => None,
        };
        let http = reqwest::Client::new();
        let put = |text: &'static str, token: &'static str| {
            http.put(format!("{}/admin/notice?ttl_secs=600", node_a.admin_url)).bearer_auth(token).body(text).send()
        };
        assert_eq!(put("sneaky", "wrong").await.unwrap().status().as_u16(), 401);
        assert_eq!(put("bell\u{7}", "admin-secret").await.unwrap().status().as_u16(), 422);
        assert_eq!(put("Maintenance at 04:00 UTC", "admin-secret").await.unwrap().status().as_u16(), 200);

        for node in std::iter::once(&node_a).chain(node_b.as_ref()) {
            let mut client = node.client();
            assert!(client.register(device("dev-notice")).await.unwrap().is_ok());
            let login = client.login(device("dev-notice")).await.unwrap();
            let Some(response::Payload::Login(login)) = login.response.payload else { panic!("no login") };
            assert_eq!(login.notice, "Maintenance at 04:00 UTC", "on {}", node.url);
        }
        if let Some(urls) = &redis {
            let key = Keys::new(&config.redis.key_prefix).server("notice");
            let ttl = pttl(&mut connect(&urls[keys::key_shard(&key, urls.len())]).await, &key).await;
            assert!(ttl > 590_000 && ttl <= 600_000, "notice TTL {ttl} ms");
        }
        if let Some(node_b) = node_b {
            node_b.stop().await;
        }
        node_a.stop().await;
    }
}

#[actix_web::test]
async fn a_snapshot_filled_from_the_database_never_hides_a_published_one() {
    for redis in caches() {
        let (_dir, _, server) = start_on(&redis).await;
        let cache = server.running.directory.backend().cache().clone();
        let snapshot = |nickname: &str| FriendSnapshot {
            user_id: 77,
            nickname: nickname.into(),
            level: 3,
            taken_at_ms: 1,
            ..Default::default()
        };
        cache.fill_snapshot(snapshot("from the database")).await.unwrap();
        assert_eq!(cache.snapshot(77).await.unwrap(), Some(snapshot("from the database")), "a miss is filled");
        cache.put_snapshot(snapshot("published")).await.unwrap();
        cache.fill_snapshot(snapshot("older read")).await.unwrap();
        assert_eq!(cache.snapshot(77).await.unwrap(), Some(snapshot("published")));
        server.stop().await;
    }
}

#[actix_web::test]
async fn a_shard_that_does_not_answer_is_left_alone_for_a_cool_down() {
    // Accepts connections and never answers: a black-holed Redis.
    let blackhole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", blackhole.local_addr().unwrap());
    let cache = RedisCache::new(&RedisSettings {
        urls: vec![url],
        pool_size: 2,
        timeout: std::time::Duration::from_millis(300),
        key_prefix: "cooldown".into(),
        cooldown: std::time::Duration::from_secs(60),
    })
    .unwrap();
    let token = hash_token(b"anyone");
    // Connecting or reading times out (whichever the black hole stalls first).
    assert!(cache.find_session(token).await.is_err());
    assert_eq!(cache.traffic().round_trips, 1);
    for _ in 0..3 {
        let next = cache.find_session(token).await;
        let Err(summoner::cache::CacheError::Unavailable(_, why)) = &next else { panic!("{next:?}") };
        assert!(why.contains("failed moments ago"), "{why}");
    }
    assert_eq!(cache.traffic().round_trips, 1, "calls during the cool-down are not sent");
    drop(blackhole);
}
