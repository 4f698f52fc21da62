//! The server's CPU cost per request without HTTP and without a database: decode +
//! dispatch + encode of one request through an in-memory user actor, on one thread, for a
//! user owning 10 and 500 monsters (the cost must not grow with what the user owns). Then,
//! per request, what it writes: row writes and bytes, and the statements its commit costs
//! on an SQLite game shard.
//!
//! Then each game operation through the dispatcher alone (draft, handler, row writes,
//! encoded answer; no actor) for a user holding 300 monsters, and the QuestActor's cost: the
//! same purchase through the user actor with its quest events sent to a QuestActor, and
//! matched inline. Last, the bot scores' pure part: users scored per second, each with three
//! days of 200 actions. Run: `cargo bench --bench dispatch`.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use summoner::api::decode::decode_request;
use summoner::cache::local::LocalCache;
use summoner::game::data::GameData;
use summoner::game::entities::{Entity, Monster};
use summoner::game::profile::Profile;
use summoner::game::state::UserState;
use summoner::service::backend::GameBackend;
use summoner::service::catalog::Catalog;
use summoner::service::cluster::Node;
use summoner::service::quest_actor::QuestActors;
use summoner::service::tokens::{hash_token, new_token};
use summoner::storage::db_store::DbStore;
use summoner::storage::memory::MemoryStore;
use summoner::storage::rows::{RowWrite, Value};
use summoner::storage::{AuthId, Store};
use summoner_actors::{Call, Commit, Directory, DirectoryConfig, OpenSession, Session, StoredReply, SystemClock};
use summoner_proto::api::{BuyItemReq, DebugFeedMonstersReq, GetUserReq, Request, request::Payload};

#[path = "support/operations.rs"]
mod operations;

/// The monsters a user is given; the first one is the one a request changes.
fn monsters(user: u64, count: usize, template: &str) -> Vec<RowWrite> {
    (0..count as u64)
        .map(|i| {
            let monster = Monster {
                id: 1_000_000 + i,
                template: template.to_owned(),
                level: 1,
                exp: 0,
                grade: 0,
                locked: false,
                acquired_at_ms: 0,
            };
            RowWrite::Insert(Monster::TABLE, monster.row(user))
        })
        .collect()
}

struct Fixture {
    directory: Arc<Directory<GameBackend>>,
    user: u64,
    token: Vec<u8>,
    seq: Cell<u64>,
}

async fn fixture(owned: usize) -> Fixture {
    fixture_with(owned, QuestActors::PerWorker).await
}

async fn fixture_with(owned: usize, quests: QuestActors) -> Fixture {
    let store = Arc::new(MemoryStore::new());
    let data = GameData::embedded().expect("embedded game data loads");
    let template = data.content.data.monsters[0].uid.clone();
    let mut profile = Profile::new_user(&data, 1, 0..0, 0);
    (profile.gold, profile.gems) = (1 << 50, 1 << 50);
    let auth = AuthId { provider: "device".into(), id: "bench".into() };
    let user = store.register(auth, profile.row(), 0).await.expect("register").user_id;
    store.write_outside(user, monsters(user, owned, &template)).await.expect("monsters given");
    let cache = Arc::new(LocalCache::new(Arc::new(SystemClock)));
    let node = Arc::new(Node::new(0, 1, Duration::from_secs(3_600), Arc::new(SystemClock)));
    // A node serves its users while its lease holds: one as if just written (an hour long).
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_millis();
    node.extend(0, wall as i64);
    let backend = GameBackend::new(store, cache, Arc::new(Catalog::new(data, None)), true, node, quests);
    let directory = Directory::new(
        Arc::new(backend),
        Arc::new(SystemClock),
        DirectoryConfig {
            mailbox_capacity: 16,
            idle_timeout_ms: 3_600_000,
            session_ttl_ms: 3_600_000,
            session_renew_step_ms: 360_000,
        },
    );
    let token = new_token().expect("random").to_vec();
    let session = Session {
        id: 1,
        token_hash: hash_token(&token),
        expires_at_ms: i64::MAX / 2,
        ended_at_ms: None,
        ended_by_seq: 0,
    };
    directory
        .ask(user, Duration::from_secs(5), || OpenSession::<UserState>::new(session.clone()))
        .await
        .expect("login");
    Fixture { directory, user, token, seq: Cell::new(0) }
}

impl Fixture {
    /// One request, the way the endpoint handles it after reading the body.
    async fn round_trip(&self, payload: Payload) -> Vec<u8> {
        let seq = self.seq.get() + 1;
        self.seq.set(seq);
        let body = Request { seq, session_token: self.token.clone(), payload: Some(payload) }.encode_to_vec();
        let request = decode_request(&body).expect("decodes");
        let token_hash = hash_token(&request.session_token);
        self.directory
            .ask(self.user, Duration::from_secs(5), || Call {
                token_hash,
                request: request.clone(),
                cached: None,
                unindexed: false,
                probe: None,
            })
            .await
            .expect("answered")
            .bytes
    }
}

/// A request that changes one monster (and the gold it costs).
fn touch_one_monster() -> Payload {
    Payload::DebugFeedMonsters(DebugFeedMonstersReq { target: 1_000_000, food: Vec::new() })
}

fn bench(c: &mut Criterion) {
    let system = actix::System::new();
    let mut group = c.benchmark_group("request_through_user_actor");
    group.throughput(Throughput::Elements(1));
    for owned in [10, 500] {
        let fixture = system.block_on(fixture(owned));
        group.bench_function(format!("GetUser, {owned} monsters owned"), |b| {
            b.iter_custom(|iters| {
                system.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        fixture.round_trip(Payload::GetUser(GetUserReq {})).await;
                    }
                    start.elapsed()
                })
            })
        });
        group.bench_function(format!("one monster changed, {owned} monsters owned"), |b| {
            b.iter_custom(|iters| {
                system.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        fixture.round_trip(touch_one_monster()).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();

    // The QuestActor's cost: a purchase (its event goes to the quests) with the hop to a
    // QuestActor, and matched inline in the user's actor.
    let mut group = c.benchmark_group("quest_events");
    group.throughput(Throughput::Elements(1));
    let ways = [
        ("BuyItem, events to the worker's QuestActor", QuestActors::PerWorker),
        ("BuyItem, events matched inline", QuestActors::Inline),
    ];
    for (name, quests) in ways {
        let fixture = system.block_on(fixture_with(10, quests));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                system.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        fixture.round_trip(Payload::BuyItem(BuyItemReq { item: "shop.gold.small".into() })).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
    operations::bench(c);
    system.block_on(report_writes());
}

fn bytes_of(write: &RowWrite) -> usize {
    let size = |v: &Value| match v {
        Value::Int(_) => 8,
        Value::Text(t) => t.len(),
        Value::Bytes(b) => b.len(),
    };
    match write {
        RowWrite::Insert(_, row)
        | RowWrite::InsertNew(_, row)
        | RowWrite::Upsert(_, row)
        | RowWrite::Update(_, row) => row.iter().map(size).sum(),
        RowWrite::Patch { key, set, .. } => {
            key.iter().map(size).sum::<usize>() + set.iter().map(|(_, v)| size(v)).sum::<usize>()
        }
        RowWrite::Delete(_, key) => key.iter().map(size).sum(),
        RowWrite::DeleteOwned(_, owner) => size(owner),
    }
}

/// What one request that changes one monster writes, for users owning 10 and 500: row
/// writes, their bytes, and the statements of its commit on an SQLite game shard.
async fn report_writes() {
    let data = GameData::embedded().expect("embedded game data loads");
    let template = data.content.data.monsters[0].uid.clone();
    println!("\nwritten per request (one monster changed):");
    for owned in [10, 500] {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut config = summoner::config::Config::default();
        config.storage.data_dir = dir.path().to_path_buf();
        let store = DbStore::open(&summoner::service::open::store_config(&config), 0).await.expect("store opens");
        let auth = AuthId { provider: "device".into(), id: format!("bench-{owned}") };
        let profile = Profile::new_user(&data, 1, 0..256, 0);
        let user = store.register(auth, profile.row(), 0).await.expect("register").user_id;
        store.write_outside(user, monsters(user, owned, &template)).await.expect("monsters given");
        let rows = store.load_user(user, summoner::game::entities::TABLES).await.expect("load").state;
        let state = UserState::from_rows(&rows).expect("state reads");
        let request = Request { seq: 1, session_token: Vec::new(), payload: Some(touch_one_monster()) };
        let handled =
            summoner::game::dispatch::dispatch(&data, &state, &request, None, 1, true, &|| panic!("no block needed"));
        let (_, changes) = handled.change.expect("the request changes the user");
        let writes = &changes.durable.rows;
        let bytes: usize = writes.iter().map(bytes_of).sum();
        let shard = &store.databases().game[&state.shards.game];
        let before = shard.queries.get();
        let reply = StoredReply { session_id: 1, seq: 1, bytes: handled.response.encode_to_vec() };
        let commit = Commit { writes: changes.durable.clone(), reply };
        store.commit(user, changes.place, commit).await.expect("committed");
        let statements = shard.queries.get() - before;
        println!(
            "  {owned:>3} monsters owned: {} row writes ({} logs), {bytes} bytes of values, {statements} statements on the game shard (with the reply and the log outbox)",
            writes.len(),
            changes.durable.logs.len()
        );
    }
}

/// The bot-scoring run's computation (`summoner::game::bot_score::features`) for 1,000 users
/// of three days of 200 actions each, a third on a machine loop, and a trading graph of two
/// partners per user (each closure reads the circle two steps out): users scored per second
/// (the job's reads from the log shards are I/O, not measured here).
fn bot_scores(c: &mut Criterion) {
    use summoner::game::bot_score::{Act, Trades, features};
    const DAY: i64 = 86_400_000;
    const USERS: u64 = 1_000;
    let actions = ["explore", "summon", "battle_start", "battle_finish", "send_gift", "list_friends"];
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let users: Vec<Vec<Vec<Act>>> = (0..USERS)
        .map(|u| {
            (0..3)
                .map(|d| {
                    let mut at = d * DAY + 9 * 3_600_000;
                    (0..200)
                        .map(|i| {
                            at += if u % 3 == 0 { 30_000 } else { 1_000 << (next() % 12) };
                            Act { at_ms: at, action: actions[(i + next() as usize) % 6].into(), partner: None }
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut trades = Trades::default();
    for u in 0..USERS {
        trades.add(u, (u + 1) % USERS);
        trades.add(u, (u + 7) % USERS);
    }
    let mut group = c.benchmark_group("bot_scores");
    group.throughput(Throughput::Elements(USERS));
    group.bench_function("1000 users, 3 days of 200 actions", |b| {
        b.iter(|| users.iter().enumerate().map(|(u, days)| features(u as u64, days, &trades, DAY).score).sum::<f64>())
    });
    group.finish();
}

criterion_group!(benches, bench, bot_scores);
criterion_main!(benches);
