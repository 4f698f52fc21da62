//! Decode + dispatch + encode of one request through an in-memory user actor, on one
//! thread (one core): the server's CPU cost per request without HTTP and without a
//! database. Run: `cargo bench --bench dispatch`.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::Message;
use summoner::api::decode::decode_request;
use summoner::cache::local::LocalCache;
use summoner::game::backend::GameBackend;
use summoner::game::catalog::Catalog;
use summoner::game::data::GameData;
use summoner::game::state::UserState;
use summoner::storage::memory::MemoryStore;
use summoner::storage::{AuthId, Store};
use summoner::tokens::{hash_token, new_token};
use summoner_actors::{Call, Directory, DirectoryConfig, OpenSession, Session, SystemClock};
use summoner_proto::api::{GetUserReq, Request, SetNicknameReq, request::Payload};

struct Fixture {
    directory: Arc<Directory<GameBackend>>,
    user: u64,
    token: Vec<u8>,
    seq: Cell<u64>,
}

async fn fixture() -> Fixture {
    let store = Arc::new(MemoryStore::new());
    let data = GameData::embedded().expect("embedded game data loads");
    let template = UserState::new_user(&data, 1, 0);
    let auth = AuthId { provider: "device".into(), id: "bench".into() };
    let user = store.register(auth, template, 0).await.expect("register").user_id;
    let cache = Arc::new(LocalCache::new(Arc::new(SystemClock)));
    let backend = GameBackend::new(store, cache, Arc::new(Catalog::new(data, None)), false, 0);
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
    let session = Session { id: 1, token_hash: hash_token(&token), expires_at_ms: i64::MAX / 2 };
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
            })
            .await
            .expect("answered")
    }
}

fn bench(c: &mut Criterion) {
    let system = actix::System::new();
    let fixture = system.block_on(fixture());
    let mut group = c.benchmark_group("request_through_user_actor");
    group.throughput(Throughput::Elements(1));
    group.bench_function("GetUser (read)", |b| {
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
    group.bench_function("SetNickname (write to the in-memory store)", |b| {
        b.iter_custom(|iters| {
            system.block_on(async {
                let start = Instant::now();
                for i in 0..iters {
                    let nickname = if i % 2 == 0 { "Miho" } else { "Leo" }.to_owned();
                    fixture.round_trip(Payload::SetNickname(SetNicknameReq { nickname })).await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
