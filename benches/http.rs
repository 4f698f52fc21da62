//! End to end over HTTP: the real `summoner` binary on PostgreSQL (2 game and 2 log shards)
//! and two Redis shards, driven from this process by concurrent clients, one connection each.
//!
//! Five figures, each over its own phase: Register + Login pairs per second (with the CPU
//! the server, PostgreSQL and Redis spent per pair, read from /proc), new players' sign-ins
//! (one Login with `register_if_new`) per second with the same CPU figures, durable writes
//! (SetNickname: profile, stored reply, action log) per second with p50/p99, reads
//! (GetUser) per second with p50/p99, and friend requests between players on different game
//! shards (each asks its partner, withdraws, accepts or removes, by what the last answer
//! said) with the deliveries per second between the shards and their lag p50/p99 (from
//! the server's `summoner_delivery_lag_seconds` histogram: the bound of the bucket the
//! quantile falls in).
//!
//! Run: `cargo bench --bench http`. Settings from the environment:
//! `SUMMONER_BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`; six
//! scratch databases are created and dropped), `SUMMONER_BENCH_REDIS_URLS` (default
//! `redis://127.0.0.1:6379,redis://127.0.0.1:6380`), `SUMMONER_BENCH_SECONDS` per phase
//! (default 10), `SUMMONER_BENCH_CONNECTIONS` (default 32), `SUMMONER_BENCH_PHASES` (which
//! to run, of `pairs,signins,writes,reads,social`; default all), `SUMMONER_BENCH_JSON` (where the
//! results go as JSON, default `target/bench-http.json`), `SUMMONER_BENCH_BINARY` (another
//! build's `summoner` to run instead of this one's, to compare; a build without sign-in in
//! one call fails every `signins` request).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use summoner_client::{Client, device};
use summoner_proto::api::{
    AcceptFriendRequestReq, CancelFriendRequestReq, ErrorCode, GetUserReq, RemoveFriendReq, SendFriendRequestReq,
    SetNicknameReq, request::Payload, response,
};

#[path = "support/scratch.rs"]
mod scratch;
#[path = "support/server.rs"]
#[allow(dead_code)] // shared with the e2e bench, which uses all of it
mod server;
use server::{Server, Storage, game_batches, metrics, sample, value};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// What one phase measured.
#[derive(Debug, serde::Serialize)]
struct PhaseResult {
    phase: &'static str,
    operations: u64,
    errors: u64,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    server_cpu_us_per_op: f64,
    postgres_cpu_us_per_op: f64,
    redis_cpu_us_per_op: f64,
    /// Mean jobs per group-commit batch on the game shards during the phase.
    mean_game_batch: f64,
    /// Mean time a game-shard batch took, from taking its jobs to the commit's answer.
    mean_game_commit_ms: f64,
    /// Deliveries between users during the phase, per second, and their lag (social phase).
    #[serde(skip_serializing_if = "Option::is_none")]
    deliveries: Option<DeliveryFigures>,
}

#[derive(Debug, serde::Serialize)]
struct DeliveryFigures {
    per_second: f64,
    lag_p50_ms: f64,
    lag_p99_ms: f64,
}

/// Deliveries so far and the lag histogram's cumulative buckets (upper bound in seconds,
/// count), from the server's `/metrics`.
async fn deliveries(url: &str) -> (f64, Vec<(f64, f64)>) {
    let text = metrics(url).await;
    let total = text.lines().find(|l| l.starts_with("summoner_deliveries_total ")).map_or(0.0, value);
    let buckets = text
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("summoner_delivery_lag_seconds_bucket{le=\"")?;
            let bound = rest.split('"').next()?;
            let bound = if bound == "+Inf" { f64::INFINITY } else { bound.parse().ok()? };
            Some((bound, value(l)))
        })
        .collect();
    (total, buckets)
}

/// The figures of deliveries between two readings of [`deliveries`] `seconds` apart.
fn delivery_figures(before: &(f64, Vec<(f64, f64)>), after: &(f64, Vec<(f64, f64)>), seconds: f64) -> DeliveryFigures {
    let counts: Vec<(f64, f64)> = after
        .1
        .iter()
        .map(|(le, n)| (*le, n - before.1.iter().find(|(b, _)| b == le).map_or(0.0, |(_, m)| *m)))
        .collect();
    let total = counts.last().map_or(0.0, |(_, n)| *n);
    let quantile =
        |q: f64| counts.iter().find(|(_, n)| total > 0.0 && *n >= q * total).map_or(f64::NAN, |(le, _)| le * 1000.0);
    DeliveryFigures {
        per_second: (after.0 - before.0) / seconds,
        lag_p50_ms: quantile(0.5),
        lag_p99_ms: quantile(0.99),
    }
}

/// Runs `work` on `connections` workers for `seconds`; each call is one measured operation.
async fn phase<F, Fut>(
    name: &'static str,
    (server_pid, admin_url): (u32, &str),
    seconds: u64,
    mut workers: Vec<F>,
) -> PhaseResult
where
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let batches_before = game_batches(admin_url).await;
    let before = sample(&[server_pid]);
    let started = Instant::now();
    let tasks: Vec<_> = workers
        .drain(..)
        .map(|mut work| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut histogram = Histogram::<u64>::new(3).expect("histogram");
                let (mut ops, mut errors) = (0u64, 0u64);
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let ok = work(i).await;
                    i += 1;
                    let _ = histogram.record(t.elapsed().as_micros() as u64);
                    if ok { ops += 1 } else { errors += 1 }
                }
                (histogram, ops, errors)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut histogram = Histogram::<u64>::new(3).expect("histogram");
    let (mut ops, mut errors) = (0, 0);
    for task in tasks {
        let (h, o, e) = task.await.expect("worker");
        histogram.add(h).expect("same histogram bounds");
        ops += o;
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = sample(&[server_pid]);
    let batches_after = game_batches(admin_url).await;
    let batches = batches_after.1 - batches_before.1;
    let mean_game_batch = if batches > 0.0 { (batches_after.0 - batches_before.0) / batches } else { 0.0 };
    let mean_game_commit_ms = if batches > 0.0 { (batches_after.2 - batches_before.2) * 1000.0 / batches } else { 0.0 };
    let per_op = |a: f64, b: f64| if ops == 0 { 0.0 } else { (a - b) * 1e6 / ops as f64 };
    PhaseResult {
        phase: name,
        operations: ops,
        errors,
        seconds: elapsed,
        per_second: ops as f64 / elapsed,
        p50_ms: histogram.value_at_quantile(0.5) as f64 / 1000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
        server_cpu_us_per_op: per_op(after.server, before.server),
        postgres_cpu_us_per_op: per_op(after.postgres, before.postgres),
        redis_cpu_us_per_op: per_op(after.redis, before.redis),
        mean_game_batch,
        mean_game_commit_ms,
        deliveries: None,
    }
}

/// `count` logged-in players, each a worker that sends `payload(i)` as its i-th request.
async fn players(
    url: &str,
    prefix: &str,
    count: usize,
    payload: fn(u64) -> Payload,
) -> Vec<impl FnMut(u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + 'static> {
    let mut workers = Vec::with_capacity(count);
    for w in 0..count {
        let client = Arc::new(tokio::sync::Mutex::new(logged_in(url, &format!("{prefix}-{w}")).await));
        workers.push(move |i: u64| {
            let client = client.clone();
            Box::pin(async move {
                let mut client = client.lock().await;
                client.call(payload(i)).await.is_ok_and(|a| a.is_ok())
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
        });
    }
    workers
}

async fn logged_in(url: &str, name: &str) -> Client {
    logged_in_as(url, name).await.0
}

/// A logged-in client and its user id.
async fn logged_in_as(url: &str, name: &str) -> (Client, u64) {
    let mut client = Client::new(url);
    let registered = client.register(device(name)).await.expect("register");
    assert!(registered.is_ok(), "register: {:?}", registered.response);
    let Some(response::Payload::Register(r)) = registered.response.payload else { panic!("no register answer") };
    let login = client.login(device(name)).await.expect("login");
    assert!(login.is_ok(), "login: {:?}", login.response);
    (client, r.user_id)
}

/// Pairs of players (registered one after the other, so on the two game shards), each
/// worker a player that keeps its friendship with its partner moving: ask, and then by the
/// answer withdraw, accept or remove; every change is a delivery to the other shard.
async fn social_players(
    url: &str,
    prefix: &str,
    count: usize,
) -> Vec<impl FnMut(u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> + Send + 'static> {
    let mut joined = Vec::with_capacity(count);
    for w in 0..count {
        joined.push(logged_in_as(url, &format!("{prefix}-{w}")).await);
    }
    let ids: Vec<u64> = joined.iter().map(|(_, id)| *id).collect();
    joined
        .into_iter()
        .enumerate()
        .map(|(w, (client, _))| {
            let partner = ids[w ^ 1];
            let client = Arc::new(tokio::sync::Mutex::new(client));
            let next = Arc::new(std::sync::Mutex::new(ErrorCode::Ok));
            move |_: u64| {
                let (client, next) = (client.clone(), next.clone());
                Box::pin(async move {
                    let last = *next.lock().unwrap_or_else(|p| p.into_inner());
                    let user_id = partner;
                    let payload = match last {
                        ErrorCode::AlreadyFriends => Payload::RemoveFriend(RemoveFriendReq { user_id }),
                        ErrorCode::RequestPending => Payload::AcceptFriendRequest(AcceptFriendRequestReq { user_id }),
                        ErrorCode::Ok => Payload::SendFriendRequest(SendFriendRequestReq { user_id }),
                        _ => Payload::CancelFriendRequest(CancelFriendRequestReq { user_id }),
                    };
                    let mut client = client.lock().await;
                    let Ok(answer) = client.call(payload.clone()).await else { return false };
                    // After a request sent, withdraw it; after anything else, ask again.
                    let code = match (&payload, answer.code()) {
                        (Payload::SendFriendRequest(_), ErrorCode::Ok) => ErrorCode::NoSuchRequest,
                        (Payload::SendFriendRequest(_), code) => code,
                        _ => ErrorCode::Ok,
                    };
                    *next.lock().unwrap_or_else(|p| p.into_inner()) = code;
                    answer.status == 200
                }) as std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
            }
        })
        .collect()
}

fn main() {
    let base = env_or("SUMMONER_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres");
    let redis: Vec<String> = env_or("SUMMONER_BENCH_REDIS_URLS", "redis://127.0.0.1:6379,redis://127.0.0.1:6380")
        .split(',')
        .map(str::to_owned)
        .collect();
    let seconds: u64 = env_or("SUMMONER_BENCH_SECONDS", "10").parse().expect("SUMMONER_BENCH_SECONDS is a number");
    let connections: usize =
        env_or("SUMMONER_BENCH_CONNECTIONS", "32").parse().expect("SUMMONER_BENCH_CONNECTIONS is a number");
    let json_path = env_or("SUMMONER_BENCH_JSON", "target/bench-http.json");
    let phases = env_or("SUMMONER_BENCH_PHASES", "pairs,signins,writes,reads,social");
    let binary = std::env::var("SUMMONER_BENCH_BINARY").ok().filter(|b| !b.is_empty());
    let runs = |phase: &str| phases.split(',').any(|p| p.trim() == phase);

    let run = format!("sbh_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let results = runtime.block_on(async {
        let storage = Storage::Postgres { base: base.clone(), redis: redis.clone() };
        let server = match &binary {
            Some(binary) => Server::start_binary(std::path::Path::new(binary), &storage, &run, "").await,
            None => Server::start(&storage, &run, "").await,
        };
        let (pid, url, admin) = (server.pid, server.url.clone(), server.admin_url.clone());
        println!(
            "summoner at {url}: PostgreSQL (2 game, 2 log shards), {} Redis shards, {connections} connections, {seconds} s per phase",
            redis.len()
        );

        let mut results = Vec::new();
        if runs("pairs") {
        let pairs = (0..connections)
            .map(|w| {
                let run = run.clone();
                let client = Arc::new(tokio::sync::Mutex::new(Client::new(&url)));
                move |i: u64| {
                    let (client, name) = (client.clone(), format!("{run}-pair-{w}-{i}"));
                    async move {
                        let mut client = client.lock().await;
                        let registered = client.register(device(&name)).await.is_ok_and(|a| a.is_ok());
                        registered && client.login(device(&name)).await.is_ok_and(|a| a.is_ok())
                    }
                }
            })
            .collect();
        let pairs = phase("register + login (pairs)", (pid, &admin), seconds, pairs).await;
        print_phase(&pairs);
        results.push(pairs);
        }
        if runs("signins") {
        let signins = (0..connections)
            .map(|w| {
                let run = run.clone();
                let client = Arc::new(tokio::sync::Mutex::new(Client::new(&url)));
                move |i: u64| {
                    let (client, name) = (client.clone(), format!("{run}-signin-{w}-{i}"));
                    async move {
                        let mut client = client.lock().await;
                        client.sign_in(device(&name)).await.is_ok_and(|a| {
                            a.is_ok() && matches!(&a.response.payload, Some(response::Payload::Login(l)) if l.registered)
                        })
                    }
                }
            })
            .collect();
        let signins = phase("sign-in, new players", (pid, &admin), seconds, signins).await;
        print_phase(&signins);
        results.push(signins);
        }
        if runs("writes") {
        let writers = players(&url, &format!("{run}-writer"), connections, |i| {
            let nickname = if i.is_multiple_of(2) { "Miho" } else { "Leo" }.to_owned();
            Payload::SetNickname(SetNicknameReq { nickname })
        })
        .await;
        let writes = phase("writes (SetNickname)", (pid, &admin), seconds, writers).await;
        print_phase(&writes);
        results.push(writes);
        }
        if runs("reads") {
        let readers = players(&url, &format!("{run}-reader"), connections, |_| Payload::GetUser(GetUserReq {})).await;
        let reads = phase("reads (GetUser)", (pid, &admin), seconds, readers).await;
        print_phase(&reads);
        results.push(reads);
        }
        if runs("social") {
        let pairs = social_players(&url, &format!("{run}-social"), connections.max(2) & !1).await;
        let before = deliveries(&admin).await;
        let started = Instant::now();
        let mut social = phase("friend requests (deliveries)", (pid, &admin), seconds, pairs).await;
        let after = deliveries(&admin).await;
        social.deliveries = Some(delivery_figures(&before, &after, started.elapsed().as_secs_f64()));
        print_phase(&social);
        if let Some(d) = &social.deliveries {
            println!(
                "{:<28} {:>9.0}/s  lag p50 ≤ {} ms  p99 ≤ {} ms (bucket bounds)",
                "deliveries between shards", d.per_second, d.lag_p50_ms, d.lag_p99_ms
            );
        }
        results.push(social);
        }
        drop(server);
        results
    });
    let json = serde_json::to_string_pretty(&results).expect("results encode");
    std::fs::write(&json_path, json).expect("results written");
    println!(
        "\n| phase | per s | p50 ms | p99 ms | errors | server CPU µs/op | PostgreSQL CPU µs/op | Redis CPU µs/op | jobs per game batch | game batch ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        println!("| {} |", r.cells().join(" | "));
    }
    println!("(JSON in {json_path})");
}

fn print_phase(r: &PhaseResult) {
    let [phase, rate, p50, p99, errors, server, postgres, redis, batch, batch_ms] = r.cells();
    println!(
        "{phase:<28} {rate:>9}/s  p50 {p50:>6} ms  p99 {p99:>6} ms  errors {errors}  CPU µs/op: server {server}, PostgreSQL {postgres}, Redis {redis}; {batch} jobs per game batch of {batch_ms} ms"
    );
}

impl PhaseResult {
    /// The figures as the results table shows them.
    fn cells(&self) -> [String; 10] {
        [
            self.phase.to_owned(),
            format!("{:.0}", self.per_second),
            format!("{:.2}", self.p50_ms),
            format!("{:.2}", self.p99_ms),
            self.errors.to_string(),
            format!("{:.0}", self.server_cpu_us_per_op),
            format!("{:.0}", self.postgres_cpu_us_per_op),
            format!("{:.0}", self.redis_cpu_us_per_op),
            format!("{:.1}", self.mean_game_batch),
            format!("{:.2}", self.mean_game_commit_ms),
        ]
    }
}
