//! The `summoner` binary as a child process for the end-to-end benches: on PostgreSQL
//! (scratch databases: common, clan, 2 game and 2 log shards) with Redis shards, or on the
//! embedded default; its CPU and memory read from /proc and its figures from `/metrics`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scratch::Scratch;

/// What the server stores on.
pub enum Storage {
    /// Scratch databases on the PostgreSQL server at `base`, and these Redis shards.
    Postgres { base: String, redis: Vec<String> },
    /// SQLite files in a temporary folder and the in-process cache: `cargo run` as is.
    Embedded,
}

/// The server child process, killed (and its scratch databases dropped) with this guard.
pub struct Server {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The admin listener, `http://127.0.0.1:PORT` (`/admin/...`, `/metrics`).
    pub admin_url: String,
    _dir: tempfile::TempDir,
    _scratch: Option<Scratch>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server on `storage` (`run` names its databases and keys) with the admin
    /// token `admin_token` and waits until it answers.
    pub async fn start(storage: &Storage, run: &str, admin_token: &str) -> Self {
        Self::start_binary(std::path::Path::new(env!("CARGO_BIN_EXE_summoner")), storage, run, admin_token).await
    }

    /// [`Server::start`], with the server binary at `binary` (another build to compare with).
    pub async fn start_binary(binary: &std::path::Path, storage: &Storage, run: &str, admin_token: &str) -> Self {
        let free_port =
            || std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let (port, admin_port) = (free_port(), free_port());
        let dir = tempfile::tempdir().expect("temporary folder");
        let listeners = format!("listen = \"127.0.0.1:{port}\"\nadmin.listen = \"127.0.0.1:{admin_port}\"\n");
        let (toml, scratch) = configuration(storage, run, admin_token, dir.path());
        let config = dir.path().join("summoner.toml");
        std::fs::write(&config, format!("{listeners}{toml}")).expect("config written");
        let mut command = Command::new(binary);
        // The server refuses SUMMONER_* variables it does not know, such as the benches' own.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SUMMONER_")) {
            command.env_remove(name);
        }
        let child = command
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("summoner starts");
        let pid = child.id();
        let mut server = Self {
            child,
            pid,
            url: format!("http://127.0.0.1:{port}"),
            admin_url: format!("http://127.0.0.1:{admin_port}"),
            _dir: dir,
            _scratch: scratch,
        };
        let health = format!("{}/healthz", server.url);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while http.get(&health).send().await.is_err() {
            assert!(Instant::now() < deadline, "the server did not start within two minutes");
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server {} exited at start: {status}", binary.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// Resident memory, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        rss_bytes(self.pid)
    }
}

/// A server's configuration on `storage` (its databases and keys named by `run`), with the
/// admin token `admin_token`, less its listeners; and the scratch databases it uses (dropped
/// with the guard). Quiet logs, no rate limits, the game data shipped in the binary. It
/// starts with top-level keys, so listeners written before it stay valid TOML.
pub fn configuration(
    storage: &Storage,
    run: &str,
    admin_token: &str,
    dir: &std::path::Path,
) -> (String, Option<Scratch>) {
    let quoted = |list: &[String]| list.iter().map(|u| format!("{u:?}")).collect::<Vec<_>>().join(", ");
    let mut toml = format!(
        "admin.token = {admin_token:?}\n[log]\nfilter = \"warn\"\n\
         [rate_limits]\nsign_in_per_minute = 0\nsession_per_minute = 0\nsession_lookups_per_minute = 0\n\
         [gamedata]\ndir = {:?}\n",
        dir.join("no-gamedata").display().to_string(),
    );
    let scratch = match storage {
        Storage::Postgres { base, redis } => {
            let mut scratch = Scratch::new(base);
            let kinds = ["common", "clan", "game1", "game2", "log1", "log2"];
            let urls: Vec<String> = kinds.iter().map(|k| scratch.create(&format!("{run}_{k}"))).collect();
            toml.push_str(&format!(
                "[storage]\ncommon_url = {:?}\nclan_url = {:?}\ngame_shards = [{}]\nlog_shards = [{}]\n\
                 [redis]\nurls = [{}]\nkey_prefix = {run:?}\n",
                urls[0],
                urls[1],
                quoted(&urls[2..4]),
                quoted(&urls[4..6]),
                quoted(redis),
            ));
            Some(scratch)
        }
        Storage::Embedded => {
            toml.push_str(&format!("[storage]\ndata_dir = {:?}\n", dir.join("data").display().to_string()));
            None
        }
    };
    (toml, scratch)
}

/// Resident memory of process `pid`, in bytes (0 if it cannot be read).
pub fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    kib * 1024
}

/// CPU seconds (user + system) of the processes `select` picks by pid and command name.
pub fn cpu_seconds(select: impl Fn(u32, &str) -> bool) -> f64 {
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let mut total = 0u64;
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let comm = &stat[open + 1..close];
        if !select(pid, comm) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // utime and stime are fields 14 and 15 of the line; here 0-based after the comm.
        let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
        let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        total += utime + stime;
    }
    total as f64 / ticks_per_sec
}

/// CPU seconds so far of the server (its nodes together), PostgreSQL, Redis, nginx and this
/// process (the load).
#[derive(Clone, Copy)]
pub struct CpuSample {
    pub server: f64,
    /// The server's voluntary context switches (every thread): each is a thread that went
    /// to sleep and was woken again.
    pub server_wakeups: f64,
    pub postgres: f64,
    pub redis: f64,
    pub nginx: f64,
    pub load: f64,
}

pub fn sample(server_pids: &[u32]) -> CpuSample {
    let me = std::process::id();
    CpuSample {
        server: cpu_seconds(|pid, _| server_pids.contains(&pid)),
        server_wakeups: server_pids.iter().map(|pid| voluntary_switches(*pid)).sum::<u64>() as f64,
        postgres: cpu_seconds(|_, comm| comm == "postgres"),
        redis: cpu_seconds(|_, comm| comm.starts_with("redis-server")),
        nginx: cpu_seconds(|_, comm| comm == "nginx"),
        load: cpu_seconds(|pid, _| pid == me),
    }
}

/// Voluntary context switches so far of the threads of process `pid` alive now (0 if it
/// cannot be read): a thread that exits takes its count with it, so a delta over a window
/// undercounts when threads end inside it (the server's worker threads live as long as it;
/// tokio's blocking threads come and go, on SQLite with every statement).
pub fn voluntary_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
        .sum()
}

/// The server's `/metrics` text read without an async runtime (for a sample taken inside
/// the swarm's progress callback), from `url` = `http://HOST:PORT`; empty if it cannot be
/// read.
pub fn metrics_blocking(url: &str) -> String {
    use std::io::{Read, Write};
    let Some(host) = url.strip_prefix("http://") else { return String::new() };
    let Ok(mut stream) = std::net::TcpStream::connect(host) else { return String::new() };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /metrics HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    if stream.write_all(request.as_bytes()).is_err() || stream.read_to_string(&mut answer).is_err() {
        return String::new();
    }
    answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

/// The server's `/metrics` text (empty if it cannot be read).
pub async fn metrics(url: &str) -> String {
    let Ok(reply) = reqwest::get(format!("{url}/metrics")).await else { return String::new() };
    reply.text().await.unwrap_or_default()
}

/// The value of a sample line of `text`.
pub fn value(line: &str) -> f64 {
    line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
}

/// (jobs, batches, seconds in commits) on the game shards so far.
pub async fn game_batches(url: &str) -> (f64, f64, f64) {
    let text = metrics(url).await;
    let (mut jobs, mut batches, mut seconds) = (0.0, 0.0, 0.0);
    for line in text.lines().filter(|l| l.contains("shard=\"game-")) {
        if line.starts_with("summoner_batch_size_sum") {
            jobs += value(line);
        } else if line.starts_with("summoner_batch_size_count") {
            batches += value(line);
        } else if line.starts_with("summoner_commit_duration_seconds_sum") {
            seconds += value(line);
        }
    }
    (jobs, batches, seconds)
}
