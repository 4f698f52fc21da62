//! The server killed (SIGKILL) while players send each other gifts and friend requests: after
//! a restart every acknowledged send is delivered exactly once, none lost and none doubled,
//! counted in the rows of the inboxes and mailboxes. The real `summoner` binary runs in a
//! child process; graceful stops (which deliver everything waiting) set the friendships up.

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::game_rows;
use common::process::start;
use summoner_client::{Client, device};
use summoner_proto::api::{
    AcceptFriendRequestReq, ErrorCode, GetUserReq, ListFriendRequestsReq, SendFriendRequestReq, SendGiftReq,
    request::Payload, response::Payload as A,
};
use tokio::sync::Notify;

const PLAYERS: usize = 10;

/// A player: its client (with its token) and user id.
struct Player {
    client: Client,
    id: u64,
}

async fn join(url: &str, name: &str) -> Player {
    let mut client = Client::new(url);
    let registered = client.register(device(name)).await.expect("register");
    let Some(A::Register(r)) = registered.response.payload else { panic!("no register answer") };
    assert!(client.login(device(name)).await.expect("login").is_ok());
    Player { client, id: r.user_id }
}

/// The same player against a restarted server (same token, later seqs).
fn rejoin(url: &str, player: &Player) -> Player {
    let mut client = Client::new(url);
    client.set_token(player.client.token().to_vec());
    // Past any seq the player sent, answered or not.
    client.resume_at(player.client.last_seq() + 1_000);
    Player { client, id: player.id }
}

async fn ok(player: &mut Player, payload: Payload) -> A {
    let answer = player.client.call(payload).await.expect("answered");
    assert_eq!(answer.code(), ErrorCode::Ok, "{:?}", answer.response);
    answer.response.payload.expect("a payload")
}

/// What one player's sends came to: acknowledged, or in flight when the server died.
#[derive(Debug, Default)]
struct Sent {
    /// Gifts acknowledged, by receiver.
    gifts: BTreeSet<u64>,
    /// Receivers of a gift request that got no answer (all of them or none were sent).
    gifts_in_flight: BTreeSet<u64>,
    requests: BTreeSet<u64>,
    request_in_flight: Option<u64>,
}

/// Sends a gift to every friend, then asks every player of lower id who is not a friend,
/// until the server dies or there is nobody left.
async fn play(
    mut me: Player,
    friends: BTreeSet<u64>,
    lower: Vec<u64>,
    acked: Arc<AtomicUsize>,
    enough: Arc<Notify>,
    goal: usize,
) -> (Player, Sent) {
    let mut sent = Sent::default();
    let count = |acked: &AtomicUsize| {
        if acked.fetch_add(1, Ordering::SeqCst) + 1 == goal {
            enough.notify_one();
        }
    };
    match me.client.call(Payload::SendGift(SendGiftReq { user_id: 0 })).await {
        Ok(answer) if answer.code() == ErrorCode::Ok => {
            let Some(A::SendGift(gift)) = answer.response.payload else { panic!("no gift answer") };
            sent.gifts = gift.sent_to.into_iter().collect();
            count(&acked);
        }
        Ok(answer) if answer.status == 200 => panic!("gift refused: {:?}", answer.response),
        _ => {
            sent.gifts_in_flight = friends;
            return (me, sent);
        }
    }
    for them in lower {
        match me.client.call(Payload::SendFriendRequest(SendFriendRequestReq { user_id: them })).await {
            Ok(answer) if answer.code() == ErrorCode::Ok => {
                sent.requests.insert(them);
                count(&acked);
            }
            Ok(answer) if answer.status == 200 => panic!("request refused: {:?}", answer.response),
            _ => {
                sent.request_in_flight = Some(them);
                return (me, sent);
            }
        }
    }
    (me, sent)
}

on_every_backend! {
    async fn sigkill_loses_and_doubles_no_delivery(config) {
        let dir = tempfile::tempdir().unwrap();
        let mut server = start(&config, dir.path());
        let mut players = Vec::new();
        for i in 0..PLAYERS {
            players.push(join(&server.url, &format!("social-crash-{i}")).await);
        }
        // Friendships: each player with the next two. Asked, stopped gracefully (which
        // delivers), accepted after a restart, stopped again.
        let pairs: Vec<(usize, usize)> =
            (0..PLAYERS).flat_map(|i| [(i, i + 1), (i, i + 2)]).filter(|(_, j)| *j < PLAYERS).collect();
        for &(i, j) in &pairs {
            let them = players[j].id;
            ok(&mut players[i], Payload::SendFriendRequest(SendFriendRequestReq { user_id: them })).await;
        }
        assert!(server.signal_and_wait("TERM"));
        server = start(&config, dir.path());
        let mut players: Vec<Player> = players.iter().map(|p| rejoin(&server.url, p)).collect();
        for p in &mut players {
            let listed = match ok(p, Payload::ListFriendRequests(ListFriendRequestsReq {})).await {
                A::ListFriendRequests(l) => l,
                other => panic!("not a list: {other:?}"),
            };
            for from in listed.incoming.iter().map(|r| r.user_id).collect::<Vec<_>>() {
                ok(p, Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id: from })).await;
            }
        }
        assert!(server.signal_and_wait("TERM"));
        server = start(&config, dir.path());
        let mut players: Vec<Player> = players.iter().map(|p| rejoin(&server.url, p)).collect();
        for p in &mut players {
            ok(p, Payload::GetUser(GetUserReq {})).await;
        }
        let friends_of = |i: usize| -> BTreeSet<u64> {
            pairs.iter().filter_map(|&(a, b)| if a == i { Some(b) } else if b == i { Some(a) } else { None })
                .map(|k| players[k].id).collect()
        };
        let friends: Vec<BTreeSet<u64>> = (0..PLAYERS).map(friends_of).collect();
        let friends_by_id: BTreeMap<u64, BTreeSet<u64>> =
            players.iter().map(|p| p.id).zip(friends.iter().cloned()).collect();
        assert_eq!(game_rows(&config, "friends", "").await as usize, 2 * pairs.len(), "every friendship on both sides");

        // Gifts and requests flying when the server is killed.
        let acked = Arc::new(AtomicUsize::new(0));
        let enough = Arc::new(Notify::new());
        let ids: Vec<u64> = players.iter().map(|p| p.id).collect();
        let tasks: Vec<_> = players
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let lower: Vec<u64> = (0..i).map(|k| ids[k]).filter(|id| !friends[i].contains(id)).collect();
                actix_web::rt::spawn(play(p, friends[i].clone(), lower, acked.clone(), enough.clone(), 15))
            })
            .collect();
        enough.notified().await;
        assert!(!server.signal_and_wait("KILL"));
        let mut sent: BTreeMap<u64, Sent> = BTreeMap::new();
        let mut players = Vec::new();
        for task in tasks {
            let (player, what) = task.await.expect("player task");
            sent.insert(player.id, what);
            players.push(player);
        }
        assert!(acked.load(Ordering::SeqCst) >= 15);

        // Restart, let every receiver apply what reached it, stop gracefully, and once more,
        // so every delivery has arrived and been applied. The killed process's couriers keep
        // their work leases until those lapse (`cluster.lease_ms`); the restarted one takes
        // them then and carries what waited.
        for _ in 0..2 {
            server = start(&config, dir.path());
            players = players.iter().map(|p| rejoin(&server.url, p)).collect();
            for p in &mut players {
                ok(p, Payload::GetUser(GetUserReq {})).await;
            }
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            while game_rows(&config, "outbox", "").await > 0 {
                assert!(std::time::Instant::now() < deadline, "the restarted server carries what waited within 30 s");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            // Each receiver's next request applies what reached its inbox meanwhile.
            for p in &mut players {
                ok(p, Payload::GetUser(GetUserReq {})).await;
            }
            assert!(server.signal_and_wait("TERM"));
        }
        assert_eq!(game_rows(&config, "outbox", "").await, 0, "nothing left to deliver");
        assert_eq!(game_rows(&config, "inbox", "applied_at_ms = 0").await, 0, "everything delivered was applied");
        for (&sender, what) in &sent {
            for &receiver in &ids {
                let mail = game_rows(&config, "mail", &format!("user_id = {receiver} AND kind = 'gift' AND sender_id = {sender}")).await;
                let gift = if what.gifts.contains(&receiver) { 1..=1 } else if what.gifts_in_flight.contains(&receiver) { 0..=1 } else { 0..=0 };
                assert!(gift.contains(&mail), "gift {sender} -> {receiver}: {mail} mail rows, expected {gift:?}");
                let asked = game_rows(&config, "inbox", &format!("user_id = {receiver} AND sender_id = {sender} AND kind = 'proposal'")).await;
                let request = if what.requests.contains(&receiver) {
                    1..=1
                } else if what.request_in_flight == Some(receiver) {
                    0..=1
                } else if friends_by_id[&sender].contains(&receiver) && receiver < sender {
                    // The set-up's acceptance of the pair travelled as a proposal.
                    1..=1
                } else {
                    0..=0
                };
                assert!(request.contains(&asked), "request {sender} -> {receiver}: {asked} inbox rows, expected {request:?}");
            }
        }
        let gifts: usize = sent.values().map(|s| s.gifts.len()).sum();
        assert!(gifts > 0, "some gifts were acknowledged before the kill");
    }
}
