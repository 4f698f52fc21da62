//! The cache on Redis: round trips, commands and bytes per request for each operation
//! players use, counted on a real server over HTTP; and the throughput of the
//! session/response-cache path with and without pipelining, in the same run.
//!
//! Run: `cargo bench --bench cache` (Redis shards at `SUMMONER_BENCH_REDIS_URLS`, comma-
//! separated, default `redis://127.0.0.1:6379,redis://127.0.0.1:6380`; keys go under a
//! prefix of their own and are deleted afterwards; `SUMMONER_BENCH_REDIS_POOL_SIZE` sets the
//! connections per shard of the look-up variants, default `redis.pool_size`). Round trips and commands are the
//! server's own counts; bytes are Redis's counters (`INFO stats`: `total_net_input_bytes`,
//! `total_net_output_bytes`), minus what reading them costs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_redis::redis::{self, aio::MultiplexedConnection};
use futures_util::future::join_all;
use summoner::cache::Cache;
use summoner::cache::redis::{RedisCache, RedisSettings};
use summoner::config::Config;
use summoner::server;
use summoner::service::backend::GameBackend;
use summoner::service::tokens::hash_token;
use summoner_actors::{ManualClock, TokenHash};
use summoner_client::{Client, device};
use summoner_proto::api::{
    DebugAddFriendReq, ExploreReq, GetFriendSnapshotReq, GetUserReq, LogoutReq, RecommendFriendsReq, SetNicknameReq,
    request::Payload,
};
use summoner_proto::cache::{CachedReply, SessionRecord};

const USERS: usize = 200;
const THROUGHPUT_SECS: u64 = 3;

fn shard_urls() -> Vec<String> {
    std::env::var("SUMMONER_BENCH_REDIS_URLS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379,redis://127.0.0.1:6380".into())
        .split(',')
        .map(|u| u.trim().to_owned())
        .collect()
}

/// Redis's own byte counters, summed over the shards.
struct NetBytes {
    conns: Vec<MultiplexedConnection>,
}

impl NetBytes {
    /// (bytes in, bytes out, size of this INFO's own reply), summed over the shards.
    async fn read(&mut self) -> (i64, i64, i64) {
        let mut totals = (0, 0, 0);
        for conn in &mut self.conns {
            let info: String = redis::cmd("INFO").arg("stats").query_async(conn).await.expect("INFO answers");
            let field = |name: &str| {
                info.lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")))
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .expect("INFO stats has the byte counters")
            };
            totals.0 += field("total_net_input_bytes");
            totals.1 += field("total_net_output_bytes");
            // A bulk string: `$<len>\r\n<info>\r\n`.
            totals.2 += (info.len() + info.len().to_string().len() + 5) as i64;
        }
        totals
    }
}

/// `INFO stats` as sent: `*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n`.
const INFO_REQUEST_BYTES: i64 = 25;

struct Row {
    op: &'static str,
    round_trips: f64,
    /// Of those, the ones sent behind the reply (it did not wait for them).
    behind: f64,
    commands: f64,
    net_in: f64,
    net_out: f64,
}

async fn measure<F, Fut>(op: &'static str, backend: &GameBackend, net: &mut NetBytes, rows: &mut Vec<Row>, run: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let (cache, behind) = (backend.cache(), backend.write_behind());
    let (before, behind_before) = (cache.traffic(), behind.sent());
    let (in0, out0, info0) = net.read().await;
    let count = run().await.max(1) as f64;
    behind.settled().await;
    let (in1, out1, _) = net.read().await;
    let after = cache.traffic();
    // The second INFO's request counts in its own reading; the first INFO's reply in the second.
    let shards = net.conns.len() as i64;
    rows.push(Row {
        op,
        round_trips: (after.round_trips - before.round_trips) as f64 / count,
        behind: (behind.sent() - behind_before) as f64 / count,
        commands: (after.commands - before.commands) as f64 / count,
        net_in: (in1 - in0 - INFO_REQUEST_BYTES * shards) as f64 / count,
        net_out: (out1 - out0 - info0) as f64 / count,
    });
}

async fn call_all(clients: &mut [Client], payload: impl Fn(usize) -> Payload) -> usize {
    let answers = join_all(clients.iter_mut().enumerate().map(|(i, c)| {
        let p = payload(i);
        async move { c.call(p).await.expect("the server answers") }
    }))
    .await;
    let failed = answers.iter().filter(|a| !a.is_ok()).count();
    assert_eq!(failed, 0, "requests failed: {:?}", answers.iter().find(|a| !a.is_ok()));
    answers.len()
}

async fn per_operation(urls: &[String], prefix: &str) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut config = Config { listen: "127.0.0.1:0".parse().expect("address"), ..Config::default() };
    config.storage.data_dir = dir.path().to_path_buf();
    config.debug.test_operations = true;
    config.redis.urls = urls.to_vec();
    config.redis.key_prefix = prefix.to_owned();
    let clock = Arc::new(ManualClock::new());
    let running = server::start_with_clock(config, clock.clone()).await.expect("server starts");
    let url = format!("http://{}", running.addr);
    let backend = running.directory.backend();
    let mut conns = Vec::new();
    for u in urls {
        conns.push(
            redis::Client::open(u.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis"),
        );
    }
    let mut net = NetBytes { conns };
    let mut rows = Vec::new();

    let mut clients: Vec<Client> = (0..USERS).map(|_| Client::new(&url)).collect();
    for (i, c) in clients.iter().enumerate() {
        assert!(c.register(device(&format!("bench-{i}"))).await.expect("register").is_ok());
    }
    measure("Login", backend, &mut net, &mut rows, || async {
        let answers =
            join_all(clients.iter_mut().enumerate().map(|(i, c)| c.login(device(&format!("bench-{i}"))))).await;
        answers.iter().filter(|a| a.as_ref().is_ok_and(|a| a.is_ok())).count()
    })
    .await;
    measure("GetUser", backend, &mut net, &mut rows, || call_all(&mut clients, |_| Payload::GetUser(GetUserReq {})))
        .await;
    measure("Explore", backend, &mut net, &mut rows, || call_all(&mut clients, |_| Payload::Explore(ExploreReq {})))
        .await;
    measure("SetNickname", backend, &mut net, &mut rows, || {
        call_all(&mut clients, |i| Payload::SetNickname(SetNicknameReq { nickname: format!("Bench{i}") }))
    })
    .await;
    measure("RecommendFriends", backend, &mut net, &mut rows, || {
        call_all(&mut clients, |_| Payload::RecommendFriends(RecommendFriendsReq {}))
    })
    .await;
    let ids: Vec<u64> = {
        let mut ids = Vec::new();
        for c in &mut clients {
            let answer = c.call(Payload::GetUser(GetUserReq {})).await.expect("answer");
            let Some(summoner_proto::api::response::Payload::GetUser(r)) = answer.response.payload else {
                panic!("no user")
            };
            ids.push(r.user.expect("user").user_id);
        }
        ids
    };
    let friend = |i: usize| ids[(i + 1) % ids.len()];
    measure("DebugAddFriend (snapshot read)", backend, &mut net, &mut rows, || {
        call_all(&mut clients, |i| Payload::DebugAddFriend(DebugAddFriendReq { user_id: friend(i) }))
    })
    .await;
    measure("GetFriendSnapshot", backend, &mut net, &mut rows, || {
        call_all(&mut clients, |i| Payload::GetFriendSnapshot(GetFriendSnapshotReq { user_id: friend(i) }))
    })
    .await;
    // Every actor retires holding a read's reply, which goes to the cache.
    call_all(&mut clients, |_| Payload::GetUser(GetUserReq {})).await;
    clock.advance_ms(301_000);
    measure("(passivation, per actor)", backend, &mut net, &mut rows, || running.passivate_idle()).await;
    measure("GetUser, actor passivated", backend, &mut net, &mut rows, || {
        call_all(&mut clients, |_| Payload::GetUser(GetUserReq {}))
    })
    .await;
    clock.advance_ms(400_000);
    measure("GetUser, session renewal due", backend, &mut net, &mut rows, || {
        call_all(&mut clients, |_| Payload::GetUser(GetUserReq {}))
    })
    .await;
    clock.advance_ms(400_000);
    running.passivate_idle().await;
    measure("GetUser, passivated, renewal due", backend, &mut net, &mut rows, || {
        call_all(&mut clients, |_| Payload::GetUser(GetUserReq {}))
    })
    .await;
    measure("Logout", backend, &mut net, &mut rows, || call_all(&mut clients, |_| Payload::Logout(LogoutReq {}))).await;
    running.stop().await.expect("server stops");

    println!("\nPer request ({USERS} users, {} Redis shards):", urls.len());
    println!(
        "{:<32} {:>11} {:>13} {:>9} {:>15} {:>15}",
        "operation", "round trips", "reply waited", "commands", "bytes to Redis", "bytes from Redis"
    );
    for r in rows {
        println!(
            "{:<32} {:>11.2} {:>13.2} {:>9.2} {:>15.1} {:>15.1}",
            r.op,
            r.round_trips,
            r.round_trips - r.behind,
            r.commands,
            r.net_in,
            r.net_out
        );
    }
}

/// Lookups per second for `secs` with `tasks` concurrent callers.
async fn rate<F, Fut>(tasks: usize, secs: u64, op: F) -> f64
where
    F: Fn(usize) -> Fut + Clone,
    Fut: std::future::Future<Output = ()>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let counts = join_all((0..tasks).map(|t| {
        let op = op.clone();
        async move {
            let mut n = 0usize;
            while Instant::now() < deadline {
                op(t * 7919 + n).await;
                n += 1;
            }
            n
        }
    }))
    .await;
    counts.iter().sum::<usize>() as f64 / started.elapsed().as_secs_f64()
}

async fn session_path(urls: &[String], prefix: &str) {
    let cache = RedisCache::new(&RedisSettings {
        urls: urls.to_vec(),
        pool_size: std::env::var("SUMMONER_BENCH_REDIS_POOL_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Config::default().redis.pool_size),
        timeout: Duration::from_secs(5),
        key_prefix: prefix.to_owned(),
        cooldown: Duration::from_millis(Config::default().redis.cooldown_ms),
    })
    .expect("pools");
    let keys = summoner::cache::keys::Keys::new(prefix);
    let tokens: Vec<TokenHash> = (0..1000u32).map(|i| hash_token(&i.to_be_bytes())).collect();
    let now = 1_000_000;
    for (i, t) in tokens.iter().enumerate() {
        let record =
            SessionRecord { user_id: i as u64, session_id: 1, expires_at_ms: now + 3_600_000, ..Default::default() };
        cache.put_session(*t, record, now, None, None).await.expect("put");
        let reply = CachedReply { user_id: i as u64, session_id: 1, seq: 3, response: vec![7; 120] };
        cache.keep_reply(*t, reply).await.expect("keep");
    }
    // One plain multiplexed connection per shard for the hand-made variants.
    let mut conns = Vec::new();
    for u in urls {
        conns.push(
            redis::Client::open(u.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis"),
        );
    }
    let conns = Arc::new(conns);
    let shard = |t: &TokenHash| summoner::cache::keys::token_shard(t, urls.len());

    println!("\nSession + cached-reply look-up (GET session, GET reply), {THROUGHPUT_SECS} s each:");
    println!("{:<44} {:>8} {:>14}", "variant", "callers", "look-ups/s");
    for tasks in [1, 64] {
        let pipelined = rate(tasks, THROUGHPUT_SECS, |i| {
            let (conns, keys, token) = (conns.clone(), keys.clone(), tokens[i % tokens.len()]);
            async move {
                let mut conn = conns[shard(&token)].clone();
                let _: (Option<Vec<u8>>, Option<Vec<u8>>) = redis::pipe()
                    .get(keys.session(&token))
                    .get(keys.reply(&token))
                    .query_async(&mut conn)
                    .await
                    .expect("pipeline");
            }
        })
        .await;
        let sequential = rate(tasks, THROUGHPUT_SECS, |i| {
            let (conns, keys, token) = (conns.clone(), keys.clone(), tokens[i % tokens.len()]);
            async move {
                let mut conn = conns[shard(&token)].clone();
                let _: Option<Vec<u8>> =
                    redis::cmd("GET").arg(keys.session(&token)).query_async(&mut conn).await.expect("GET");
                let _: Option<Vec<u8>> =
                    redis::cmd("GET").arg(keys.reply(&token)).query_async(&mut conn).await.expect("GET");
            }
        })
        .await;
        let server_path = rate(tasks, THROUGHPUT_SECS, |i| {
            let (cache, token) = (cache.clone(), tokens[i % tokens.len()]);
            async move {
                cache.find_session(token).await.expect("find_session");
            }
        })
        .await;
        println!("{:<44} {:>8} {:>14.0}", "two GETs, one pipeline (one round trip)", tasks, pipelined);
        println!("{:<44} {:>8} {:>14.0}", "two GETs, one after the other (two)", tasks, sequential);
        println!("{:<44} {:>8} {:>14.0}", "RedisCache::find_session (pool, timeout)", tasks, server_path);
        println!("{:<44} {:>8} {:>14.2}x", "pipelined / sequential", tasks, pipelined / sequential);
    }
}

async fn delete_prefix(urls: &[String], prefix: &str) {
    for u in urls {
        let mut conn =
            redis::Client::open(u.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis");
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut conn).await.expect("KEYS");
        for chunk in keys.chunks(500) {
            let _: () = redis::cmd("DEL").arg(chunk).query_async(&mut conn).await.expect("DEL");
        }
    }
}

fn main() {
    let urls = shard_urls();
    let prefix = format!("bench{}", std::process::id());
    actix_web::rt::System::new().block_on(async {
        per_operation(&urls, &prefix).await;
        session_path(&urls, &prefix).await;
        delete_prefix(&urls, &prefix).await;
    });
}
