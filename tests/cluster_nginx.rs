//! Three `summoner` processes behind real nginx (`deploy/local-cluster.sh`), on PostgreSQL
//! and on MariaDB, with Redis: the bot swarm plays through nginx while one node is killed
//! (`kill -9`) and started again, another is frozen (`SIGSTOP`) past its lease and thawed,
//! and the third is stopped (`SIGTERM`, it drains) and started again. Then every node is
//! stopped and started afresh, and the swarm's check reads each bot's state from storage:
//! it must be exactly what the bots were acknowledged (nothing lost, nothing applied twice,
//! every delivery once). Every answer that made a bot send again is counted by status and
//! code, and must be a retryable one that came during a disturbance.
//!
//! Needs nginx (Debian's nginx-light), PostgreSQL or MariaDB, and Redis: `.ci/run` provides
//! them, and in CI a missing one fails the test.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::backends::{Backend, TestDatabases, backends};
use common::redis::{shard_urls, with_redis};
use common::sheets::quick_play;
use summoner_bots::mix::Mix;
use summoner_bots::stats::Snapshot;
use summoner_bots::{Pacing, SwarmOptions, play};
use summoner_proto::api::ErrorCode;

const ADMIN: &str = "admin-token-of-the-nginx-cluster-test";
const LEASE: Duration = Duration::from_millis(2_000);
/// nginx gives up on a node that has not answered by then (above the server's own limit).
const READ_TIMEOUT: Duration = Duration::from_secs(4);
const SERVER_REQUEST_LIMIT: Duration = Duration::from_secs(3);
/// How long after a disturbance ends its effects may still be seen by clients: a lease, and
/// a bot's back-off and nginx's retry of the failed node.
const AFTERMATH: Duration = Duration::from_secs(5);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn nginx() -> Option<PathBuf> {
    let candidates = [std::env::var("NGINX_BIN").ok().map(PathBuf::from), Some(PathBuf::from("/usr/sbin/nginx"))];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

fn bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A base port for the cluster: nginx listens on it, and node N on base + 10 + N (API),
/// base + 20 + N (admin) and base + 30 + N (internal). Below the range the kernel hands out
/// for outgoing connections, so no node's connection to a database takes one of them
/// between this check and the node's bind.
fn free_base() -> u16 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let mut seed =
        u64::from(nanos) ^ (u64::from(std::process::id()) << 20) ^ CALLS.fetch_add(1, Ordering::Relaxed) << 40;
    loop {
        // xorshift: a spread of candidates, not a secret.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let base = 12_000 + (seed % 18_000) as u16;
        if [0, 10, 20, 30].iter().all(|block| (0..=3).all(|n| bindable(base + block + n))) {
            return base;
        }
    }
}

/// The cluster the script runs, and how to reach its nodes.
struct Cluster {
    run_dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
    public: String,
    admin_base: u16,
}

impl Cluster {
    fn start(config_file: &Path, nginx: &Path) -> Self {
        let run_dir = tempfile::tempdir().expect("a run folder");
        let port = free_base();
        let (api, admin, internal) = (port + 10, port + 20, port + 30);
        let env = vec![
            ("RUN_DIR", run_dir.path().display().to_string()),
            ("NODES", "3".into()),
            ("PORT", port.to_string()),
            ("API_BASE", api.to_string()),
            ("ADMIN_BASE", admin.to_string()),
            ("INTERNAL_BASE", internal.to_string()),
            ("READ_TIMEOUT", format!("{}s", READ_TIMEOUT.as_secs())),
            ("SUMMONER_BIN", env!("CARGO_BIN_EXE_summoner").into()),
            ("NGINX_BIN", nginx.display().to_string()),
            ("SUMMONER_CONFIG", config_file.display().to_string()),
        ];
        let cluster = Self { run_dir, env, public: format!("http://127.0.0.1:{port}/api"), admin_base: admin };
        cluster.run(&["start"]);
        cluster
    }

    /// Runs `deploy/local-cluster.sh args` and insists it succeeds.
    fn run(&self, args: &[&str]) -> Output {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/local-cluster.sh");
        let output = Command::new("bash")
            .arg(&script)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .expect("bash runs the script");
        assert!(
            output.status.success(),
            "local-cluster.sh {args:?} failed: {}\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.logs()
        );
        output
    }

    fn admin_url(&self, node: u16, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.admin_base + node)
    }

    async fn admin_get(&self, node: u16, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.admin_url(node, path))
            .header("Authorization", format!("Bearer {ADMIN}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("node {node}'s admin listener answers {path}: {e}"))
    }

    /// The last lines of every node's log (less the requests answered 200) and nginx's, for
    /// a failing test's story.
    fn logs(&self) -> String {
        let mut out = String::new();
        for name in ["node-1.log", "node-2.log", "node-3.log", "nginx.error.log"] {
            let text = std::fs::read_to_string(self.run_dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| !(l.contains("\"message\":\"request\"") && l.contains("\"status\":200")))
                .collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            out.push_str(&format!("--- {name} (last {} lines)\n{}\n", tail.len(), tail.join("\n")));
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/local-cluster.sh");
        let _ =
            Command::new("bash").arg(script).arg("stop").envs(self.env.iter().map(|(k, v)| (*k, v.as_str()))).output();
    }
}

/// One disturbance of the timeline and when its effects may be seen.
#[derive(Debug, Clone)]
struct Window {
    what: &'static str,
    from: Instant,
    to: Instant,
}

/// The chaos, on a thread of its own while the swarm plays: each step at its offset from
/// `start`. Returns when each disturbance happened.
fn disturb(cluster_env: Vec<(&'static str, String)>, start: Instant) -> Vec<Window> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/local-cluster.sh");
    let run = |args: &[&str]| {
        let output = Command::new("bash")
            .arg(&script)
            .args(args)
            .envs(cluster_env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .expect("bash runs the script");
        assert!(output.status.success(), "local-cluster.sh {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    };
    let at =
        |secs: u64| std::thread::sleep((start + Duration::from_secs(secs)).saturating_duration_since(Instant::now()));
    let step = |windows: &mut Vec<Window>, what: &'static str, args: &[&str], aftermath: Duration| {
        let from = Instant::now();
        run(args);
        windows.push(Window { what, from, to: Instant::now() + aftermath });
    };
    let mut windows = Vec::new();
    at(8);
    step(&mut windows, "kill -9 node 1", &["kill", "1"], LEASE + AFTERMATH);
    at(13);
    step(&mut windows, "node 1 started again", &["node", "1"], AFTERMATH);
    at(18);
    let paused = Instant::now();
    run(&["pause", "2"]);
    // Frozen well past its lease and past nginx's patience.
    at(18 + 2 * LEASE.as_secs() + READ_TIMEOUT.as_secs());
    run(&["resume", "2"]);
    windows.push(Window { what: "node 2 frozen", from: paused, to: Instant::now() + LEASE + READ_TIMEOUT + AFTERMATH });
    at(31);
    step(&mut windows, "SIGTERM node 3 (drains)", &["term", "3"], AFTERMATH);
    at(36);
    step(&mut windows, "node 3 started again", &["node", "3"], AFTERMATH);
    windows
}

/// The seconds of the run in which a bot sent something again, outside every window.
fn resends_outside(figures: &Snapshot, started: Instant, windows: &[Window]) -> Vec<(u64, u64)> {
    figures
        .seconds
        .iter()
        .enumerate()
        .filter(|(_, s)| s.resent > 0)
        .map(|(second, s)| (second as u64, s.resent))
        .filter(|(second, _)| {
            // The second [second, second + 1) overlaps a window.
            let (from, to) = (started + Duration::from_secs(*second), started + Duration::from_secs(second + 1));
            !windows.iter().any(|w| from < w.to && w.from < to)
        })
        .collect()
}

/// Whether a client may see this answer and send again, as PROTOCOL.md says: no answer (a
/// node died with the request), nginx's own 502/504 for a node that failed it, 503 MOVED or
/// UNAVAILABLE, or 500 INTERNAL (a request that outwaited its time limit, e.g. behind the
/// row locks of a node frozen in a transaction until the database ended it).
fn retryable(status: u16, code: i32) -> bool {
    let Ok(code) = ErrorCode::try_from(code) else { return false };
    match status {
        0 | 502 | 504 => true,
        503 => matches!(code, ErrorCode::Moved | ErrorCode::Unavailable),
        500 => code == ErrorCode::Internal,
        _ => false,
    }
}

async fn chaos_on(backend: Backend, redis: &[String], nginx: &Path) {
    let name = backend.name();
    let databases = TestDatabases::create(backend);
    let gamedata = tempfile::tempdir().expect("a game-data folder");
    let data = quick_play(gamedata.path());
    let mut config = with_redis(databases.config.clone(), redis);
    config.gamedata.dir = gamedata.path().to_path_buf();
    config.admin.token = ADMIN.into();
    config.cluster.lease_ms = LEASE.as_millis() as u64;
    config.limits.request_timeout_ms = SERVER_REQUEST_LIMIT.as_millis() as u64;
    // A lost nudge is made good by the next sweep.
    config.storage.log_sweep_secs = 2;
    let config_file = gamedata.path().join("summoner.toml");
    std::fs::write(&config_file, toml::to_string(&config).expect("the configuration as TOML")).expect("written");

    let cluster = Cluster::start(&config_file, nginx);
    eprintln!("{name}: three nodes behind nginx at {}", cluster.public);
    let bots = 24;
    let options = SwarmOptions {
        urls: vec![cluster.public.clone()],
        bots,
        duration: Duration::from_secs(42),
        ramp_up: Duration::from_secs(3),
        pacing: Pacing::Rate(3.0),
        seed: 21,
        mix: Mix::default_mix(),
        account_prefix: format!("nginx-{name}"),
        // Above nginx's two tries of READ_TIMEOUT each: a bot gives up on a send only
        // after nginx has.
        request_timeout: READ_TIMEOUT * 2 + Duration::from_secs(2),
        game_data: Some(data),
        ..SwarmOptions::default()
    };
    let started = Instant::now();
    let env = cluster.env.clone();
    let chaos = std::thread::spawn(move || disturb(env, started));
    let mut played = play(&options, |_| {}).await.expect("the swarm runs");
    let windows = chaos.join().expect("the chaos thread finished its timeline");
    eprintln!("{name}: the swarm played; settling");
    played.settle().await;

    // Node 2 noticed on thawing that its lease had lapsed (and retired its actors).
    let metrics = cluster.admin_get(2, "/metrics").await.text().await.expect("metrics text");
    let lapsed = metrics
        .lines()
        .find(|l| l.starts_with("summoner_lease_renewals_total{outcome=\"lapsed\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(lapsed >= 1.0, "node 2 saw its lease lapse after SIGSTOP ({name}):\n{metrics}");

    // Every node stops (draining) and starts afresh: the check reads storage, not actors.
    for node in ["1", "2", "3"] {
        cluster.run(&["term", node]);
    }
    for node in ["1", "2", "3"] {
        cluster.run(&["node", node]);
    }
    let consistency = played.check().await;
    let figures = &played.figures;

    let report: Vec<String> = figures
        .resent_after
        .iter()
        .map(|((status, code), n)| format!("{status} {:?}: {n}", ErrorCode::try_from(*code)))
        .collect();
    eprintln!(
        "{name}: {} requests, {} sent again after [{}], final errors {:?}, windows {:?}",
        figures.operations.values().map(|o| o.ok + o.refused + o.errors).sum::<u64>(),
        figures.retries,
        report.join(", "),
        figures.errors_by_status,
        windows
            .iter()
            .map(|w| (w.what, w.from.duration_since(started), w.to.duration_since(started)))
            .collect::<Vec<_>>()
    );
    assert_eq!(played.failed_to_start, 0, "every bot started ({name})");
    assert!(
        figures.errors_by_status.is_empty(),
        "no operation ended in an error ({name}): {:?} by code {:?}",
        figures.errors_by_status,
        figures.errors_by_code
    );
    let unexplained: Vec<_> = figures.resent_after.keys().filter(|(s, c)| !retryable(*s, *c)).collect();
    assert!(unexplained.is_empty(), "only retryable answers made bots send again ({name}): {unexplained:?}");
    let outside = resends_outside(figures, started, &windows);
    assert!(outside.is_empty(), "bots sent again only during a disturbance ({name}): seconds {outside:?}");
    assert!(consistency.is_clean(), "the swarm's consistency check ({name}): {consistency:#?}");
    assert_eq!(consistency.bots_checked, bots, "every bot was checked ({name})");
    assert!(consistency.deliveries_received > 0, "the bots gave each other something ({name})");

    // Afterwards: three live nodes, and each piece of work held by one of them.
    let view: serde_json::Value = cluster.admin_get(1, "/admin/cluster").await.json().await.expect("JSON");
    let now = view["now_ms"].as_i64().expect("now_ms");
    let live: BTreeSet<u64> = view["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["lease_until_ms"].as_i64().is_some_and(|until| until > now) && n["draining"] == false)
        .filter_map(|n| n["node_id"].as_u64())
        .collect();
    assert_eq!(live.len(), 3, "three live nodes ({name}): {view:#}");
    let held: BTreeSet<&str> = view["leases"]
        .as_array()
        .expect("leases")
        .iter()
        .filter(|l| l["node_id"].as_u64().is_some_and(|n| live.contains(&n)))
        .filter_map(|l| l["name"].as_str())
        .collect();
    for work in ["courier:game-1", "courier:game-2", "courier:clan", "shipper:game-1", "shipper:game-2"] {
        assert!(held.contains(work), "{work} is held by a live node ({name}): {view:#}");
    }
}

#[actix_web::test]
async fn the_swarm_through_nginx_stays_exact_while_nodes_are_killed_frozen_and_drained() {
    let Some(nginx) = nginx() else {
        assert!(!in_ci(), "nginx is not installed: .ci/run must install nginx-light");
        eprintln!("skipped: no nginx (apt-get install nginx-light)");
        return;
    };
    let Some(redis) = shard_urls() else {
        eprintln!("skipped: no Redis shards (SUMMONER_TEST_REDIS_URLS)");
        return;
    };
    let backends: Vec<Backend> = backends().into_iter().filter(|b| *b != Backend::Sqlite).collect();
    if backends.is_empty() {
        eprintln!("skipped: no PostgreSQL or MariaDB (SUMMONER_TEST_POSTGRES_URL, SUMMONER_TEST_MYSQL_URL)");
        return;
    }
    for backend in backends {
        chaos_on(backend, &redis, &nginx).await;
    }
}
