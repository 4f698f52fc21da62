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
use summoner::config::Config;
use summoner::service::open::store_config;
use summoner::storage::Store;
use summoner::storage::batch::BatchHook;
use summoner::storage::db_store::DbStore;
use summoner_client::Answer;
use summoner_client::Client;
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

/// One player of a server whose store has faults around its batches.
struct Scene {
    faults: Arc<Faults>,
    server: TestServer,
    store: Arc<DbStore>,
    client: Client,
    user: u64,
    /// The player's gold before the request under test.
    gold: u64,
}

impl Scene {
    /// A server whose requests wait for their actor at most `request_timeout_ms` and whose
    /// batches may take at most `batch_limit_ms`, and a player logged in to it, whose batches
    /// the faults watch.
    async fn start(config: &Config, name: &str, request_timeout_ms: u64, batch_limit_ms: u64) -> Self {
        let mut config = config.clone();
        config.limits.request_timeout_ms = request_timeout_ms;
        let faults = Arc::new(Faults::default());
        let mut settings = store_config(&config);
        settings.hook = Some(faults.clone());
        settings.batch_limit = std::time::Duration::from_millis(batch_limit_ms);
        let store = Arc::new(DbStore::open(&settings, 0).await.expect("store opens"));
        let server = TestServer::start_with_store(config, store.clone()).await;
        let (mut client, user) = logged_in(&server, name).await;
        let gold = profile(&mut client).await.gold;
        faults.watched.store(user, Ordering::SeqCst);
        Self { faults, server, store, client, user, gold }
    }

    /// Sends an explore while its batch is held; answers the client's (timed out or failed)
    /// answer and how to end the held batch.
    async fn explore_held(&mut self) -> (Answer, oneshot::Sender<Result<(), String>>) {
        let (mut entered, end) = self.faults.hold_next();
        let held = tokio::time::timeout(std::time::Duration::from_secs(60), entered.recv());
        let (first, held) = tokio::join!(self.client.call(Payload::Explore(ExploreReq {})), held);
        held.expect("the batch is held within a minute");
        (first.expect("answered"), end)
    }

    /// Retries the last seq; answers the retry's answer.
    async fn retry(&mut self) -> Answer {
        let retry = self.client.send(self.client.last_seq(), Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&retry, 200, ErrorCode::Ok);
        retry
    }

    /// Checks that the retry's reply is the one stored with the change.
    async fn assert_stored(&self, retry: &Answer) {
        let stored = self.store.load_user(self.user, &[]).await.unwrap().last_reply.expect("a stored reply");
        assert_eq!(
            (stored.seq, &stored.bytes),
            (self.client.last_seq(), &retry.bytes),
            "the retry gets the stored bytes"
        );
    }

    /// Checks that the explore was applied once, and logged once; stops the server. (A profile
    /// patch applied twice from one state writes the same values; the log row, written with
    /// a new id each time, is what would show it.)
    async fn assert_applied_once(mut self, config: &Config, retry: &Answer) {
        assert_eq!(profile(&mut self.client).await.gold, self.gold + gold_gained(retry), "applied once");
        self.store.flush().await.unwrap();
        assert_eq!(common::action_log_count(config, "explore").await, 1, "logged once");
        self.server.stop().await;
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
        let mut scene = Scene::start(&config, "dev-held", 1_000, 20_000).await;
        let (first, end) = scene.explore_held().await;
        assert_status(&first, 500, ErrorCode::Internal);
        end.send(Ok(())).unwrap();
        let retry = scene.retry().await;
        scene.assert_stored(&retry).await;
        scene.assert_applied_once(&config, &retry).await;
    }
}

on_every_backend! {
    /// Retries sent while the batch is held wait behind it and their callers give up too; when
    /// it commits, those retries, answered to nobody, do not use up the stored answer: the
    /// third retry still gets its bytes.
    async fn retries_whose_callers_gave_up_do_not_use_up_the_stored_reply(config) {
        let mut scene = Scene::start(&config, "dev-waited", 1_000, 20_000).await;
        let (first, end) = scene.explore_held().await;
        assert_status(&first, 500, ErrorCode::Internal);
        let seq = scene.client.last_seq();
        for _ in 0..2 {
            let waited = scene.client.send(seq, Payload::Explore(ExploreReq {})).await.unwrap();
            assert_status(&waited, 500, ErrorCode::Internal);
        }
        end.send(Ok(())).unwrap();
        let third = scene.retry().await;
        scene.assert_stored(&third).await;
        scene.assert_applied_once(&config, &third).await;
    }
}

on_every_backend! {
    /// The batch is held past the request timeout, then fails: nothing was applied, and the
    /// retry of the seq applies the request, once.
    async fn a_commit_held_past_the_request_timeout_then_failed_is_applied_once_by_the_retry(config) {
        let mut scene = Scene::start(&config, "dev-failed", 1_000, 20_000).await;
        let (first, end) = scene.explore_held().await;
        assert_status(&first, 500, ErrorCode::Internal);
        end.send(Err("the database refused the commit".into())).unwrap();
        let retry = scene.retry().await;
        scene.assert_applied_once(&config, &retry).await;
    }
}

on_every_backend! {
    /// The commit lands but its answer is lost (outcome unknown): the actor does not go on
    /// from its old state; the retry reaches a fresh activation, which finds the stored reply.
    async fn a_commit_whose_answer_is_lost_is_answered_from_storage(config) {
        let mut scene = Scene::start(&config, "dev-lost", 10_000, 20_000).await;
        scene.faults.lose_answer.store(true, Ordering::SeqCst);
        let first = scene.client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&first, 500, ErrorCode::Internal);
        let retry = scene.retry().await;
        scene.assert_stored(&retry).await;
        scene.assert_applied_once(&config, &retry).await;
    }
}

on_every_backend! {
    /// The batch outlives its own time bound (the database hangs): its outcome is unknown, the
    /// actor retires, and the retry, once the user's state is settled, applies it once.
    async fn a_batch_past_its_time_bound_is_not_applied_twice(config) {
        let mut scene = Scene::start(&config, "dev-hung", 10_000, 600).await;
        let (first, end) = scene.explore_held().await;
        assert_status(&first, 500, ErrorCode::Internal);
        drop(end);
        let retry = scene.retry().await;
        scene.assert_applied_once(&config, &retry).await;
    }
}
