//! The databases a test runs on: SQLite always, and PostgreSQL and MySQL/MariaDB when
//! `SUMMONER_TEST_POSTGRES_URL` / `SUMMONER_TEST_MYSQL_URL` name a server (in CI they must:
//! `.ci/run` sets them, and a missing one fails the test rather than skipping it).
//!
//! Every test gets its own databases (common, clan, 2 game shards, 2 log shards), created
//! fresh and dropped afterwards, so tests run in parallel without seeing each other.

use std::sync::atomic::{AtomicU64, Ordering};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};
use summoner::config::Config;

/// One place the suite runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres(String),
    Mysql(String),
}

impl Backend {
    /// Its name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
            Backend::Mysql(_) => "mysql",
        }
    }
}

/// The backends to run on.
pub fn backends() -> Vec<Backend> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let mut out = vec![Backend::Sqlite];
    for (var, make) in [
        ("SUMMONER_TEST_POSTGRES_URL", Backend::Postgres as fn(String) -> Backend),
        ("SUMMONER_TEST_MYSQL_URL", Backend::Mysql as fn(String) -> Backend),
    ] {
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => out.push(make(url)),
            _ if in_ci => panic!("{var} is not set: .ci/run must provide every database backend"),
            _ => {}
        }
    }
    out
}

/// A test's own databases; dropped with it.
pub struct TestDatabases {
    pub backend: Backend,
    pub config: Config,
    names: Vec<String>,
    _dir: tempfile::TempDir,
}

fn with_database(base: &str, name: &str) -> String {
    let (head, query) = base.split_once('?').map_or((base, ""), |(h, q)| (h, q));
    let root = head.rsplit_once('/').map_or(head, |(root, _)| root);
    if query.is_empty() { format!("{root}/{name}") } else { format!("{root}/{name}?{query}") }
}

/// Runs `sql` on the backend's server, on a thread of its own: the blocking connection
/// wrapper must not run inside the test's async runtime.
fn admin_sql(backend: &Backend, sql: &str) -> Result<(), String> {
    let (backend, sql) = (backend.clone(), sql.to_owned());
    std::thread::spawn(move || admin_sql_blocking(&backend, &sql))
        .join()
        .map_err(|_| "admin thread panicked".to_owned())?
}

fn admin_sql_blocking(backend: &Backend, sql: &str) -> Result<(), String> {
    match backend {
        Backend::Sqlite => Ok(()),
        Backend::Postgres(url) => {
            let mut conn =
                <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(url).map_err(|e| e.to_string())?;
            conn.batch_execute(sql).map_err(|e| e.to_string())
        }
        Backend::Mysql(url) => {
            let mut conn = <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(url)
                .map_err(|e| e.to_string())?;
            conn.batch_execute(sql).map_err(|e| e.to_string())
        }
    }
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl TestDatabases {
    /// Fresh databases on `backend`, and a test configuration using them.
    pub fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut config = super::config(dir.path());
        let mut names = Vec::new();
        let kinds = ["common", "clan", "game1", "game2", "log1", "log2"];
        let urls: Vec<String> = match &backend {
            Backend::Sqlite => {
                kinds.iter().map(|k| format!("sqlite://{}", dir.path().join(format!("{k}.sqlite")).display())).collect()
            }
            Backend::Postgres(base) | Backend::Mysql(base) => {
                let run = format!("st_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
                kinds
                    .iter()
                    .map(|k| {
                        let name = format!("{run}_{k}");
                        admin_sql(&backend, &format!("CREATE DATABASE {name}"))
                            .unwrap_or_else(|e| panic!("create database {name}: {e}"));
                        names.push(name.clone());
                        with_database(base, &name)
                    })
                    .collect()
            }
        };
        config.storage.common_url = urls[0].clone();
        config.storage.clan_url = urls[1].clone();
        config.storage.game_shards = vec![urls[2].clone(), urls[3].clone()];
        config.storage.log_shards = vec![urls[4].clone(), urls[5].clone()];
        Self { backend, config, names, _dir: dir }
    }
}

impl Drop for TestDatabases {
    fn drop(&mut self) {
        let force = if matches!(self.backend, Backend::Postgres(_)) { " WITH (FORCE)" } else { "" };
        for name in &self.names {
            // Best effort: a database left behind costs disk, not correctness.
            let _ = admin_sql(&self.backend, &format!("DROP DATABASE IF EXISTS {name}{force}"));
        }
    }
}
