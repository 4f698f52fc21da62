//! Redis for the tests: the shards named by `SUMMONER_TEST_REDIS_URLS` (comma-separated;
//! in CI `.ci/run` starts two and a missing variable fails the test), and a Redis of the
//! test's own that it can stop and start ([`OwnRedis`]).
//!
//! Tests sharing the shards keep apart by key prefix: each server under test gets its own.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deadpool_redis::redis;
use summoner::config::Config;

/// The test Redis shards, or None outside CI when none are configured.
pub fn shard_urls() -> Option<Vec<String>> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let urls: Vec<String> = std::env::var("SUMMONER_TEST_REDIS_URLS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect();
    match urls.len() {
        0 if in_ci => panic!("SUMMONER_TEST_REDIS_URLS is not set: .ci/run must start two Redis shards"),
        0 => None,
        1 => panic!("SUMMONER_TEST_REDIS_URLS names one Redis; the tests need two shards"),
        _ => Some(urls),
    }
}

/// The caches a cache test runs on: the in-process one, and the Redis shards if any.
pub fn caches() -> Vec<Option<Vec<String>>> {
    let mut out = vec![None];
    if let Some(urls) = shard_urls() {
        out.push(Some(urls));
    }
    out
}

/// `config` on the Redis shards `urls` under a prefix no other test uses.
pub fn with_redis(mut config: Config, urls: &[String]) -> Config {
    config.redis.urls = urls.to_vec();
    config.redis.key_prefix = unique_prefix();
    config
}

/// A key prefix unique to this process and call.
pub fn unique_prefix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("t{}-{}-{}", std::process::id(), nanos % 1_000_000_000, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A plain connection to one Redis, to look at what the server stored.
pub async fn connect(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).expect("valid Redis URL");
    client.get_multiplexed_async_connection().await.expect("Redis answers")
}

/// The remaining time to live of `key` in ms (-2: no such key, -1: no expiry).
pub async fn pttl(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(conn).await.expect("PTTL answers")
}

/// A Redis server of the test's own, on a free port, with an append-only file so that a
/// restart keeps its data (as a production Redis would).
pub struct OwnRedis {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl OwnRedis {
    /// Starts one and waits until it answers.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut redis = Self { port, dir, child: None };
        redis.resume();
        redis
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Starts it again (same port, same data) and waits until it answers.
    pub fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
            .arg(self.dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (install Debian's redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        // Waiting for another process to come up has no event to wait on: poll, bounded.
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it (SIGKILL: as abrupt as a crash) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
