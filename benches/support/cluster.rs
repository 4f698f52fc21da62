//! Several `summoner` nodes behind nginx for the end-to-end bench, run by
//! `deploy/local-cluster.sh` on one set of scratch databases; and the failover probe: how
//! long after a node is killed (or frozen) its users wait to be served again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use summoner_client::{Client, device};
use summoner_proto::api::{GetUserReq, request::Payload, response};

use crate::scratch::Scratch;
use crate::server::{Storage, configuration, rss_bytes};

/// The cluster, stopped (and its scratch databases dropped) with this guard.
pub struct Cluster {
    run_dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
    pub nodes: usize,
    /// nginx, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Each node's admin listener, node 1 first.
    pub admin_urls: Vec<String>,
    admin_token: String,
    _dir: tempfile::TempDir,
    _scratch: Option<Scratch>,
}

fn nginx() -> PathBuf {
    let configured = std::env::var("NGINX_BIN").ok().map(PathBuf::from);
    configured
        .into_iter()
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|p| p.is_file())
        .expect("nginx is installed (apt-get install nginx-light), or NGINX_BIN names it")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port()
}

impl Cluster {
    /// Starts `nodes` nodes on `storage` behind nginx and waits until each is ready.
    pub fn start(storage: &Storage, run: &str, admin_token: &str, nodes: usize) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (toml, scratch) = configuration(storage, run, admin_token, dir.path());
        let config = dir.path().join("summoner.toml");
        std::fs::write(&config, toml).expect("config written");
        let run_dir = tempfile::tempdir().expect("run folder");
        // nginx on a free port, node N on port + 10 + N (API), + 20 + N (admin), + 30 + N (internal).
        let port = loop {
            let port = free_port();
            let all = (10..=30).step_by(10).flat_map(|block| (1..=nodes as u16).map(move |n| port + block + n));
            if port < 65_000 && all.into_iter().all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
                break port;
            }
        };
        let (api, admin, internal) = (port + 10, port + 20, port + 30);
        let env = vec![
            ("RUN_DIR", run_dir.path().display().to_string()),
            ("NODES", nodes.to_string()),
            ("PORT", port.to_string()),
            ("API_BASE", api.to_string()),
            ("ADMIN_BASE", admin.to_string()),
            ("INTERNAL_BASE", internal.to_string()),
            ("SUMMONER_BIN", env!("CARGO_BIN_EXE_summoner").into()),
            ("NGINX_BIN", nginx().display().to_string()),
            ("SUMMONER_CONFIG", config.display().to_string()),
        ];
        let admin_urls = (1..=nodes).map(|n| format!("http://127.0.0.1:{}", admin as usize + n)).collect();
        let cluster = Self {
            run_dir,
            env,
            nodes,
            url: format!("http://127.0.0.1:{port}"),
            admin_urls,
            admin_token: admin_token.to_owned(),
            _dir: dir,
            _scratch: scratch,
        };
        cluster.script(&["start"]);
        cluster
    }

    /// Runs `deploy/local-cluster.sh args`; panics with its output if it fails.
    pub fn script(&self, args: &[&str]) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/local-cluster.sh");
        let mut command = Command::new("bash");
        // The nodes refuse SUMMONER_* variables they do not know, such as the benches' own.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("SUMMONER_")) {
            command.env_remove(name);
        }
        let output = command
            .arg(script)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .expect("bash runs the script");
        assert!(
            output.status.success(),
            "local-cluster.sh {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The nodes' process ids, node 1 first.
    pub fn pids(&self) -> Vec<u32> {
        (1..=self.nodes)
            .filter_map(|n| std::fs::read_to_string(self.run_dir.path().join(format!("node-{n}.pid"))).ok())
            .filter_map(|pid| pid.trim().parse().ok())
            .collect()
    }

    /// The nodes' resident memory together, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        self.pids().into_iter().map(rss_bytes).sum()
    }

    async fn admin_json(&self, node: usize, path: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}{path}", self.admin_urls[node - 1]))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("node {node}'s admin {path}: {e}"))
            .json()
            .await
            .expect("JSON")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/local-cluster.sh");
        let _ =
            Command::new("bash").arg(script).arg("stop").envs(self.env.iter().map(|(k, v)| (*k, v.as_str()))).output();
    }
}

/// How long the users of a failed node waited to be served again.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failover {
    /// `kill -9` or `SIGSTOP`.
    pub how: String,
    /// Probe users the failed node owned.
    pub users: usize,
    pub first_served_ms: f64,
    pub median_served_ms: f64,
    pub last_served_ms: f64,
}

/// Signs in users through nginx until `probes` of them live on node 2 (nginx hashes their
/// routing keys there), fails node 2 (`kill` or `pause`, a command of the script), and
/// times each of those users from then until a GetUser of theirs is
/// answered, sent again (same seq) after every failure as a client does. Node 2 is started
/// again (or thawed) afterwards.
pub async fn failover(cluster: &Cluster, how: &str, probes: usize, run: &str) -> Failover {
    let node2 = cluster.admin_json(2, "/admin/cluster").await["this_node"].as_u64().expect("node 2's id");
    let mut owned = Vec::new();
    // Until `probes` of them live on node 2 (a node just restarted may take a moment to be
    // back in nginx's rotation), with a bound.
    for i in 0..probes * 10 {
        if owned.len() >= probes {
            break;
        }
        let mut client = Client::new(&cluster.url);
        let credential = device(&format!("{run}-{how}-probe-{i}"));
        assert!(client.register(credential.clone()).await.is_ok_and(|a| a.is_ok()), "a probe registers");
        let login = client.login(credential).await.expect("a probe logs in");
        let Some(response::Payload::Login(login)) = login.response.payload else { panic!("a probe logs in") };
        // Twice with the routing key: the first moves the user from the node its Login
        // reached to the node nginx hashes its key to, the second is served there.
        for _ in 0..2 {
            let read = client.call(Payload::GetUser(GetUserReq {})).await.expect("a probe reads its profile");
            assert!(read.is_ok(), "a probe is served");
        }
        let user_id = login.user.map(|u| u.user_id).expect("Login answers the user");
        let user = cluster.admin_json(1, &format!("/admin/users/{user_id}")).await;
        if user["owner_node"].as_u64() == Some(node2) {
            owned.push(client);
        }
    }
    assert!(!owned.is_empty(), "some of the probes live on node 2");
    let failed_at = Instant::now();
    cluster.script(&[how, "2"]);
    let served = join_all(owned.iter_mut().map(|client| async move {
        let seq = client.last_seq() + 1;
        client.resume_at(seq);
        loop {
            let sent = tokio::time::timeout(Duration::from_secs(20), client.send(seq, Payload::GetUser(GetUserReq {})));
            if let Ok(Ok(answer)) = sent.await
                && answer.is_ok()
            {
                return failed_at.elapsed();
            }
            assert!(
                failed_at.elapsed() < Duration::from_secs(120),
                "a user of the failed node is served within 2 minutes"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }))
    .await;
    match how {
        "kill" => cluster.script(&["node", "2"]),
        _ => cluster.script(&["resume", "2"]),
    }
    let mut ms: Vec<f64> = served.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    Failover {
        how: if how == "kill" { "kill -9".into() } else { "SIGSTOP".into() },
        users: ms.len(),
        first_served_ms: ms[0],
        median_served_ms: ms[ms.len() / 2],
        last_served_ms: ms[ms.len() - 1],
    }
}
