//! The real `summoner` binary in a child process, for tests that kill it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use summoner::config::Config;

/// A `summoner serve` child process.
pub struct ServerProcess {
    pub child: Child,
    pub url: String,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").port()
}

/// Starts the binary with `config` and returns once it listens.
pub fn start(config: &Config, dir: &std::path::Path) -> ServerProcess {
    let port = free_port();
    let storage = &config.storage;
    let list = |urls: Vec<String>| urls.iter().map(|u| format!("{u:?}")).collect::<Vec<_>>().join(", ");
    let toml = format!(
        "listen = \"127.0.0.1:{port}\"\nworkers = 2\n[storage]\ncommon_url = {:?}\nclan_url = {:?}\ngame_shards = [{}]\nlog_shards = [{}]\n[gamedata]\ndir = {:?}\n[log]\nformat = \"json\"\n[admin]\nlisten = \"127.0.0.1:0\"\n[rate_limits]\nsign_in_per_minute = 0\nsession_per_minute = 0\nsession_lookups_per_minute = 0\n",
        storage.common(),
        storage.clan(),
        list(storage.game()),
        list(storage.log()),
        dir.join("no-gamedata").display().to_string(),
    );
    let redis = &config.redis;
    let toml = if redis.urls.is_empty() {
        toml
    } else {
        format!("{toml}[redis]\nurls = [{}]\nkey_prefix = {:?}\n", list(redis.urls.clone()), redis.key_prefix)
    };
    let file = dir.join("summoner.toml");
    std::fs::write(&file, toml).expect("config written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_summoner"))
        .arg("--config")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("summoner starts");
    let stdout = child.stdout.take().expect("stdout");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    // Reads the log until the server listens, then keeps draining it so it never blocks.
    std::thread::spawn(move || {
        let mut ready = Some(ready_tx);
        // SUMMONER_TEST_ECHO=1 shows the child's log (for a failing test's story).
        let echo = std::env::var("SUMMONER_TEST_ECHO").is_ok_and(|v| v == "1");
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if echo {
                eprintln!("child: {line}");
            }
            if line.contains("\"listening\"")
                && let Some(tx) = ready.take()
            {
                let _ = tx.send(());
            }
        }
    });
    ready_rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the server listens within a minute");
    ServerProcess { child, url: format!("http://127.0.0.1:{port}") }
}

impl ServerProcess {
    /// Sends `signal` (e.g. "KILL", "TERM") and waits for the process to exit; answers
    /// whether it exited successfully.
    pub fn signal_and_wait(&mut self, signal: &str) -> bool {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{signal} runs");
        self.child.wait().expect("the server exits").success()
    }
}
