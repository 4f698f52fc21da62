//! The server process killed while clients write (SIGKILL), or stopped (SIGTERM): after a
//! restart every acknowledged write is there, and no request is half-applied or applied
//! twice. The real `summoner` binary runs in a child process.

#[macro_use]
mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::process::start;
use summoner::config::Config;
use summoner_client::{Client, device};
use summoner_proto::api::{ErrorCode, ExploreReq, GetUserReq, request::Payload, response};
use tokio::sync::Notify;

/// What a player knows for sure: the last answer the server acknowledged.
#[derive(Debug, Clone, Default)]
struct Ledger {
    token: Vec<u8>,
    /// Gold in the last acknowledged answer.
    acked_gold: u64,
    /// The seq of a request sent but never answered (the server died under it).
    in_flight: Option<u64>,
}

/// Registers and logs a player in.
async fn join(url: &str, name: &str) -> (Client, Ledger) {
    let mut client = Client::new(url);
    let registered = client.register(device(name)).await.expect("register");
    assert!(registered.is_ok(), "register: {:?}", registered.response);
    let login = client.login(device(name)).await.expect("login");
    let Some(response::Payload::Login(l)) = login.response.payload else { panic!("no login") };
    let ledger = Ledger { token: client.token().to_vec(), acked_gold: l.user.map_or(0, |u| u.gold), in_flight: None };
    (client, ledger)
}

/// Explores until out of stamina or until the server goes away; keeps the ledger.
async fn play(
    mut client: Client,
    mut ledger: Ledger,
    acked: Arc<AtomicUsize>,
    enough: Arc<Notify>,
    goal: usize,
) -> Ledger {
    loop {
        match client.call(Payload::Explore(ExploreReq {})).await {
            Ok(answer) if answer.is_ok() => {
                let Some(response::Payload::Explore(e)) = answer.response.payload else { panic!("no explore") };
                ledger.acked_gold = e.user.map_or(0, |u| u.gold);
                if acked.fetch_add(1, Ordering::SeqCst) + 1 == goal {
                    enough.notify_one();
                }
            }
            // Out of stamina: this player is done.
            Ok(answer) if answer.code() == ErrorCode::NotEnoughStamina => return ledger,
            Ok(answer) if answer.status == 503 || answer.status == 500 => {
                ledger.in_flight = Some(client.last_seq());
                return ledger;
            }
            Ok(answer) => panic!("unexpected answer {:?}", answer.response),
            Err(_) => {
                ledger.in_flight = Some(client.last_seq());
                return ledger;
            }
        }
    }
}

/// After the restart: the in-flight request, retried, is applied at most once on top of
/// the acknowledged state, and the state is exactly what the answers say.
async fn check(url: &str, ledger: &Ledger) {
    let mut client = Client::new(url);
    client.set_token(ledger.token.clone());
    let mut seq = 1_000;
    let mut expected = ledger.acked_gold;
    if let Some(in_flight) = ledger.in_flight {
        let retry = client.send(in_flight, Payload::Explore(ExploreReq {})).await.expect("retry answers");
        assert_eq!(retry.status, 200, "{:?}", retry.response);
        if retry.code() == ErrorCode::Ok {
            let Some(response::Payload::Explore(e)) = retry.response.payload else { panic!("no explore") };
            let gold = e.user.map_or(0, |u| u.gold);
            assert_eq!(gold, ledger.acked_gold + u64::from(e.gold_gained), "applied once on the acknowledged state");
            expected = gold;
        } else {
            assert_eq!(retry.code(), ErrorCode::NotEnoughStamina);
        }
        seq = in_flight + 1;
    }
    let now = client.send(seq, Payload::GetUser(GetUserReq {})).await.expect("GetUser answers");
    assert!(now.is_ok(), "{:?}", now.response);
    let Some(response::Payload::GetUser(u)) = now.response.payload else { panic!("no user") };
    assert_eq!(u.user.map(|u| u.gold), Some(expected), "every acknowledged write is there, nothing more");
}

async fn crash_and_restart(config: Config, signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&config, dir.path());
    let acked = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let mut joined = Vec::new();
    for i in 0..8 {
        joined.push(join(&server.url, &format!("crash-{signal}-{i}")).await);
    }
    let players: Vec<_> = joined
        .into_iter()
        .map(|(client, ledger)| actix_web::rt::spawn(play(client, ledger, acked.clone(), enough.clone(), 24)))
        .collect();
    enough.notified().await;
    let status = Command::new("kill").arg(format!("-{signal}")).arg(server.child.id().to_string()).status().unwrap();
    assert!(status.success());
    let exit = server.child.wait().expect("the server exits");
    if signal == "TERM" {
        assert!(exit.success(), "SIGTERM must stop the server cleanly, got {exit:?}");
    }
    let mut ledgers = Vec::new();
    for player in players {
        ledgers.push(player.await.expect("player task"));
    }
    assert!(acked.load(Ordering::SeqCst) >= 24);
    let mut restarted = start(&config, dir.path());
    for ledger in &ledgers {
        check(&restarted.url, ledger).await;
    }
    let _ = Command::new("kill").arg("-TERM").arg(restarted.child.id().to_string()).status();
    assert!(restarted.child.wait().expect("exits").success());
}

on_every_backend! {
    /// kill -9 while clients write: acknowledged writes survive, nothing half-applied.
    async fn sigkill_loses_no_acknowledged_write(config) {
        crash_and_restart(config, "KILL").await;
    }
}

on_every_backend! {
    /// SIGTERM while clients write: exit 0, every acknowledged write there.
    async fn sigterm_exits_cleanly_with_every_acknowledged_write(config) {
        crash_and_restart(config, "TERM").await;
    }
}

/// kill -9 with the sessions in Redis (two shards): after the restart every player goes on
/// with the token it had, and every acknowledged write is there.
#[actix_web::test]
async fn sigkill_with_sessions_in_redis_loses_no_acknowledged_write() {
    let Some(urls) = common::redis::shard_urls() else {
        eprintln!("SUMMONER_TEST_REDIS_URLS is not set; skipping (CI sets it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = common::redis::with_redis(common::config(dir.path()), &urls);
    crash_and_restart(config, "KILL").await;
}
