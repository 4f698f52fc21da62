//! The persistence path alone on PostgreSQL: row-level writes per second committed on one
//! shard with group commit, against one transaction per write, in the same run.
//!
//! Run: `cargo bench --bench group_commit` (PostgreSQL at `SUMMONER_BENCH_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`; a scratch database is created and
//! dropped). Each write is what a one-column change commits: the profile column it changed,
//! the stored reply and an action-log row in the outbox, fenced by the owner epoch; the
//! same SQL in both modes (group commit also ships the action logs to the log shard, here
//! the same database).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use summoner::game::data::GameData;
use summoner::game::profile::Profile;
use summoner::storage::batch::Job;
use summoner::storage::db_store::{DbStore, DbStoreConfig};
use summoner::storage::persistence::run_batch;
use summoner::storage::rows::{RowWrite, Value};
use summoner::storage::tables::{LAST_REPLIES, LOG_OUTBOX, USERS};
use summoner::storage::{AuthId, Changes, Store, UserPlace};
use summoner_actors::{Commit, StoredReply};

#[path = "support/scratch.rs"]
mod scratch;
use scratch::Scratch;

const USER_COUNT: usize = 256;
const WRITES_PER_USER: usize = 40;

/// A registered user of the bench.
struct User {
    id: u64,
    place: UserPlace,
}

fn write_of(user: &User, i: usize) -> (Job, Commit<Changes>) {
    let gold = vec![(USERS.column("gold").expect("gold column"), Value::Int(i as i64))];
    let patch = RowWrite::Patch { table: &USERS, key: vec![Value::uint(user.id)], set: gold };
    let reply = StoredReply { session_id: 1, seq: i as u64 + 1, bytes: vec![7; 120] };
    let reply_row = vec![Value::uint(user.id), Value::Int(1), Value::Int(i as i64 + 1), Value::Bytes(vec![7; 120])];
    let log_id = (user.id << 12) + i as u64;
    let log_row = vec![
        Value::uint(log_id),
        Value::uint(user.id),
        Value::Int(1),
        Value::Text("bench".into()),
        Value::Text(String::new()),
        Value::Text(String::new()),
        Value::Int(0),
    ];
    let writes =
        vec![patch.clone(), RowWrite::Upsert(&LAST_REPLIES, reply_row), RowWrite::Insert(&LOG_OUTBOX, log_row)];
    let job = Job { user: user.id as i64, epoch: Some(user.place.epoch), writes };
    let log = summoner::storage::ActionLog {
        user_id: user.id,
        action: "bench",
        params: String::new(),
        result: String::new(),
        at_ms: 0,
    };
    (job, Commit { writes: Changes { rows: vec![patch], logs: vec![log] }, reply })
}

async fn open(url: &str, max_writes: usize, delay: Duration) -> DbStore {
    let config = DbStoreConfig {
        common_url: url.to_owned(),
        clan_url: url.to_owned(),
        game_urls: vec![url.to_owned()],
        log_urls: vec![url.to_owned()],
        shard_passwords: Default::default(),
        pool_size: 8,
        timeout: Duration::from_secs(30),
        node_id: 0,
        batch_max_writes: max_writes,
        batch_delay: delay,
        batch_limit: Duration::from_secs(60),
        log_sweep: Duration::from_secs(30),
        idle_transaction_limit: None,
        hook: None,
        rekey: None,
        name_form: None,
        gated: false,
    };
    DbStore::open(&config, 0).await.expect("store opens")
}

/// Every user writes `WRITES_PER_USER` times, one write at a time, all users at once.
async fn group_commit(store: &DbStore, users: &[User]) -> f64 {
    let started = Instant::now();
    join_all(users.iter().map(|user| async move {
        for i in 0..WRITES_PER_USER {
            let (_, commit) = write_of(user, i);
            store.commit(user.id, user.place, commit).await.expect("commit");
        }
    }))
    .await;
    (users.len() * WRITES_PER_USER) as f64 / started.elapsed().as_secs_f64()
}

/// The same writes, each in its own transaction, on 8 connections at once.
async fn one_transaction_per_write(store: &DbStore, users: &[User]) -> f64 {
    let db = store.databases().game[&1].clone();
    let started = Instant::now();
    join_all(users.iter().map(|user| {
        let db = db.clone();
        async move {
            for i in 0..WRITES_PER_USER {
                let (job, _) = write_of(user, i);
                let outcome = run_batch(&db, &[job]).await.expect("transaction");
                assert!(outcome.iter().all(Result::is_ok));
            }
        }
    }))
    .await;
    (users.len() * WRITES_PER_USER) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let base = std::env::var("SUMMONER_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut scratch = Scratch::new(&base);
    // Dropped however the run ends, panics included.
    let url = scratch.create(&format!("summoner_bench_{}", std::process::id()));
    let system = actix::System::new();
    system.block_on(async {
        let data = GameData::embedded().expect("game data");
        let setup = open(&url, 256, Duration::ZERO).await;
        let mut users = Vec::new();
        for i in 0..USER_COUNT {
            let auth = AuthId { provider: "device".into(), id: format!("bench-{i}") };
            let profile = Profile::new_user(&data, i as u64, 0..0, 0);
            let id = setup.register(auth, profile.row(), 0).await.expect("register").user_id;
            let rows = setup.load_user(id, &[]).await.expect("load").state;
            users.push(User { id, place: UserPlace { shards: rows.shards, epoch: rows.epoch } });
        }
        let users = Arc::new(users);
        println!("PostgreSQL, one shard, {USER_COUNT} users writing concurrently, {WRITES_PER_USER} writes each");
        let baseline = one_transaction_per_write(&setup, &users).await;
        println!("one transaction per write (8 connections): {baseline:>9.0} writes/s");
        for (max, delay_ms) in [(256, 0), (64, 0), (256, 1), (256, 2)] {
            let store = open(&url, max, Duration::from_millis(delay_ms)).await;
            let rate = group_commit(&store, &users).await;
            println!(
                "group commit (batch_max_writes {max:>3}, batch_delay_ms {delay_ms}): {rate:>9.0} writes/s  ({:.1}x)",
                rate / baseline
            );
        }
    });
}
