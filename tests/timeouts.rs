//! Exactly once when a commit's outcome is late or unknown, on every backend. A hook in the
//! real store holds a user's batch inside its transaction past the request timeout, then
//! commits it or fails it; or loses the commit's answer; or holds it past the batch's own
//! time bound. Whatever happens, the client's retry of that seq is answered from the stored
//! reply if the request was applied, or applies it now if it was not: one application, one
//! action-log row.

#[macro_use]
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::{TestServer, assert_status, logged_in, profile};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner::client::Answer;
use summoner::config::Config;
use summoner::server::store_config;
use summoner::storage::Store;
use summoner::storage::batch::BatchHook;
use summoner::storage::db_store::DbStore;
use summoner_proto::api::{ErrorCode, ExploreReq, request::Payload, response};
use tokio::sync::{mpsc, oneshot};

/// A held batch: tells the test it is held, and waits for how it ends.
type Held = (mpsc::UnboundedSender<()>, oneshot::Receiver<Result<(), String>>);

/// Holds, fails or loses the answer of the batches that carry the watched user.
#[derive(Default)]
struct Faults {
    watched: AtomicU64,
    /// Hold the next watched batch before its commit until the test says how it ends.
    hold: Mutex<Option<Held>>,
    /// Report the next watched batch's commit as unanswered.
    lose_answer: AtomicBool,
}

impl Faults {
    fn watches(&self, users: &[i64]) -> bool {
        let watched = self.watched.load(Ordering::SeqCst) as i64;
        watched != 0 && users.contains(&watched)
    }

    /// Holds the next batch of the watched user; answers when it is held, and how to end it.
    fn hold_next(&self) -> (mpsc::UnboundedReceiver<()>, oneshot::Sender<Result<(), String>>) {
        let (entered_tx, entered_rx) = mpsc::unbounded_channel();
        let (end_tx, end_rx) = oneshot::channel();
        *self.hold.lock().unwrap() = Some((entered_tx, end_rx));
        (entered_rx, end_tx)
    }
}

impl BatchHook for Faults {
    fn before_commit(&self, shard: &str, users: &[i64]) -> BoxFuture<'static, Result<(), String>> {
        let held =
            (shard.starts_with("game") && self.watches(users)).then(|| self.hold.lock().unwrap().take()).flatten();
        async move {
            let Some((entered, end)) = held else { return Ok(()) };
            let _ = entered.send(());
            end.await.unwrap_or(Err("the test dropped the gate".into()))
        }
        .boxed()
    }

    fn after_commit(&self, shard: &str, users: &[i64]) -> BoxFuture<'static, Result<(), String>> {
        let lose = shard.starts_with("game") && self.watches(users) && self.lose_answer.swap(false, Ordering::SeqCst);
        async move { if lose { Err("the connection dropped before the commit was acknowledged".into()) } else { Ok(()) } }
            .boxed()
    }
}

/// A server over the real store with `faults` around its batches; requests wait for their
/// actor at most `request_timeout_ms`, storage operations `storage_timeout_ms`.
async fn start(
    config: &Config,
    faults: &Arc<Faults>,
    request_timeout_ms: u64,
    storage_timeout_ms: u64,
) -> (TestServer, Arc<DbStore>) {
    let mut config = config.clone();
    config.limits.request_timeout_ms = request_timeout_ms;
    config.storage.timeout_ms = storage_timeout_ms;
    let mut settings = store_config(&config);
    settings.hook = Some(faults.clone());
    let store = Arc::new(DbStore::open(&settings, 0).await.expect("store opens"));
    (TestServer::start_with_store(config, store.clone()).await, store)
}

fn gold_after(answer: &Answer) -> u64 {
    match &answer.response.payload {
        Some(response::Payload::Explore(e)) => e.user.as_ref().map_or(0, |u| u.gold),
        other => panic!("not an explore answer: {other:?}"),
    }
}

fn gold_gained(answer: &Answer) -> u64 {
    match &answer.response.payload {
        Some(response::Payload::Explore(e)) => u64::from(e.gold_gained),
        other => panic!("not an explore answer: {other:?}"),
    }
}

on_every_backend! {
    /// The batch is held past the request timeout, then commits: the client got a 500, and
    /// its retry of the seq gets the stored reply's bytes; applied and logged once.
    async fn a_commit_held_past_the_request_timeout_then_committed_is_answered_from_its_stored_reply(config) {
        let faults = Arc::new(Faults::default());
        let (server, store) = start(&config, &faults, 1_000, 10_000).await;
        let (mut client, user) = logged_in(&server, "dev-held").await;
        let before = profile(&mut client).await;
        faults.watched.store(user, Ordering::SeqCst);
        let (mut entered, end) = faults.hold_next();

        let first = client.call(Payload::Explore(ExploreReq {}));
        let (first, _) = tokio::join!(first, entered.recv());
        assert_status(&first.unwrap(), 500, ErrorCode::Internal);
        let seq = client.last_seq();
        end.send(Ok(())).unwrap();

        let retry = client.send(seq, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&retry, 200, ErrorCode::Ok);
        let stored = store.load_user(user, &[]).await.unwrap().last_reply.expect("a stored reply");
        assert_eq!((stored.seq, &stored.bytes), (seq, &retry.bytes), "the retry gets the stored bytes");
        assert_eq!(gold_after(&retry), before.gold + gold_gained(&retry));
        assert_eq!(profile(&mut client).await.gold, gold_after(&retry), "applied once");
        store.flush().await.unwrap();
        assert_eq!(common::action_log_count(&config, "explore").await, 1);
        server.stop().await;
    }
}

on_every_backend! {
    /// The batch is held past the request timeout, then fails: nothing was applied, and the
    /// retry of the seq applies the request, once.
    async fn a_commit_held_past_the_request_timeout_then_failed_is_applied_once_by_the_retry(config) {
        let faults = Arc::new(Faults::default());
        let (server, store) = start(&config, &faults, 1_000, 10_000).await;
        let (mut client, user) = logged_in(&server, "dev-failed").await;
        let before = profile(&mut client).await;
        faults.watched.store(user, Ordering::SeqCst);
        let (mut entered, end) = faults.hold_next();

        let first = client.call(Payload::Explore(ExploreReq {}));
        let (first, _) = tokio::join!(first, entered.recv());
        assert_status(&first.unwrap(), 500, ErrorCode::Internal);
        let seq = client.last_seq();
        end.send(Err("the database refused the commit".into())).unwrap();

        let retry = client.send(seq, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&retry, 200, ErrorCode::Ok);
        assert_eq!(gold_after(&retry), before.gold + gold_gained(&retry));
        assert_eq!(profile(&mut client).await.gold, gold_after(&retry), "applied once");
        store.flush().await.unwrap();
        assert_eq!(common::action_log_count(&config, "explore").await, 1);
        server.stop().await;
    }
}

on_every_backend! {
    /// The commit lands but its answer is lost (outcome unknown): the actor does not go on
    /// from its old state; the retry reaches a fresh activation, which finds the stored reply.
    async fn a_commit_whose_answer_is_lost_is_answered_from_storage(config) {
        let faults = Arc::new(Faults::default());
        let (server, store) = start(&config, &faults, 10_000, 10_000).await;
        let (mut client, user) = logged_in(&server, "dev-lost").await;
        let before = profile(&mut client).await;
        faults.watched.store(user, Ordering::SeqCst);
        faults.lose_answer.store(true, Ordering::SeqCst);

        let first = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&first, 500, ErrorCode::Internal);
        let seq = client.last_seq();
        let retry = client.send(seq, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&retry, 200, ErrorCode::Ok);
        let stored = store.load_user(user, &[]).await.unwrap().last_reply.expect("a stored reply");
        assert_eq!((stored.seq, &stored.bytes), (seq, &retry.bytes), "the retry gets the stored bytes");
        assert_eq!(profile(&mut client).await.gold, before.gold + gold_gained(&retry), "applied once");
        store.flush().await.unwrap();
        assert_eq!(common::action_log_count(&config, "explore").await, 1);
        server.stop().await;
    }
}

on_every_backend! {
    /// The batch outlives its own time bound (the database hangs): its outcome is unknown, the
    /// actor retires, and the retry, once the user's state is settled, applies it once.
    async fn a_batch_past_its_time_bound_is_not_applied_twice(config) {
        let faults = Arc::new(Faults::default());
        // Batches are bounded by twice the storage timeout: 600 ms here.
        let (server, store) = start(&config, &faults, 10_000, 300).await;
        let (mut client, user) = logged_in(&server, "dev-hung").await;
        let before = profile(&mut client).await;
        faults.watched.store(user, Ordering::SeqCst);
        let (mut entered, end) = faults.hold_next();

        let first = client.call(Payload::Explore(ExploreReq {}));
        let (first, _) = tokio::join!(first, entered.recv());
        assert_status(&first.unwrap(), 500, ErrorCode::Internal);
        drop(end);
        let seq = client.last_seq();
        let retry = client.send(seq, Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&retry, 200, ErrorCode::Ok);
        assert_eq!(profile(&mut client).await.gold, before.gold + gold_gained(&retry), "applied once");
        store.flush().await.unwrap();
        assert_eq!(common::action_log_count(&config, "explore").await, 1);
        server.stop().await;
    }
}
