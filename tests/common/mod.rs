//! Shared set-up of the integration tests: an in-process server on a free port, over a
//! temporary data folder, on a clock the test moves by hand.

#![allow(dead_code)] // each test file uses a different part of this module

pub mod backends;
pub mod gated_store;
pub mod hooked_store;
pub mod lossy_store;
pub mod process;
pub mod redis;
pub mod sheets;

use std::path::Path;
use std::sync::Arc;

use summoner::config::Config;
use summoner::server::{self, RunningServer};
use summoner::storage::Store;
use summoner_actors::ManualClock;
use summoner_client::{Answer, Client, device};
use summoner_proto::api::{ErrorCode, GetUserReq, User, request::Payload, response};

/// Gives `user` (whose actor is live) a million gold, as an operator would set the column.
pub async fn rich(server: &TestServer, user: u64) {
    rich_on(&server.running.directory, user).await;
}

/// [`rich`], on the node of `directory`.
pub async fn rich_on(directory: &summoner_actors::Directory<summoner::service::backend::GameBackend>, user: u64) {
    let store = directory.backend().store().clone();
    let gold = summoner::storage::tables::USERS.column("gold").expect("gold column");
    let key = vec![summoner::storage::rows::Value::uint(user)];
    let set = vec![(gold, summoner::storage::rows::Value::Int(1_000_000))];
    let patch = summoner::storage::rows::RowWrite::Patch { table: &summoner::storage::tables::USERS, key, set };
    store.write_outside(user, vec![patch]).await.expect("gold granted");
    let live = directory.live(user).expect("live");
    assert!(live.send(summoner_actors::Refresh::Everything).await.expect("answered"));
}

/// A server under test.
pub struct TestServer {
    pub running: RunningServer,
    pub clock: Arc<ManualClock>,
    pub url: String,
    /// The admin listener's base URL.
    pub admin_url: String,
}

/// The test configuration: a free port, two workers, debug operations on.
pub fn config(data_dir: &Path) -> Config {
    let mut config = Config { listen: "127.0.0.1:0".parse().expect("valid address"), workers: 2, ..Config::default() };
    config.admin.listen = "127.0.0.1:0".parse().expect("valid address");
    // Every test client comes from 127.0.0.1; the rate limits' own tests turn them on.
    config.rate_limits.sign_in_per_minute = 0;
    config.rate_limits.session_per_minute = 0;
    config.rate_limits.session_lookups_per_minute = 0;
    config.storage.data_dir = data_dir.to_path_buf();
    // Versions the tests build stay out of the repository's archive.
    config.gamedata.archive = data_dir.join("gamedata-archive");
    config.debug.test_operations = true;
    // No periodic outbox read in the middle of a test that counts statements.
    config.storage.log_sweep_secs = 3_600;
    // Scheduled jobs run when a test runs them (a test that moves its clock by days would
    // otherwise race a sweep).
    config.jobs.enabled = false;
    config
}

impl TestServer {
    /// Starts a server with `config` on SQLite in `config.storage.data_dir`.
    pub async fn start(config: Config, clock: Arc<ManualClock>) -> Self {
        summoner::telemetry::init(&config.log);
        let running = server::start_with_clock(config, clock.clone()).await.expect("server starts");
        let url = format!("http://{}", running.addr);
        let admin_url = running.admin_url();
        Self { running, clock, url, admin_url }
    }

    /// Starts a server over `store`.
    pub async fn start_with_store(config: Config, store: Arc<dyn Store>) -> Self {
        summoner::telemetry::init(&config.log);
        let clock = Arc::new(ManualClock::new());
        let running = server::start_with_store(config, clock.clone(), store).await.expect("server starts");
        let url = format!("http://{}", running.addr);
        let admin_url = running.admin_url();
        Self { running, clock, url, admin_url }
    }

    /// A new client of this server.
    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    /// Stops the server gracefully.
    pub async fn stop(self) {
        self.running.stop().await.expect("the server stops cleanly");
    }
}

/// Registers and logs in a device; returns the logged-in client and the user id.
pub async fn logged_in(server: &TestServer, device_id: &str) -> (Client, u64) {
    let mut client = server.client();
    let registered = client.register(device(device_id)).await.expect("register answers");
    assert!(registered.is_ok(), "register failed: {registered:?}");
    let login = client.login(device(device_id)).await.expect("login answers");
    assert!(login.is_ok(), "login failed: {login:?}");
    let Some(response::Payload::Register(r)) = registered.response.payload else { panic!("no register payload") };
    (client, r.user_id)
}

/// The user's profile, read through the API.
pub async fn profile(client: &mut Client) -> User {
    let answer = client.call(Payload::GetUser(GetUserReq {})).await.expect("GetUser answers");
    assert!(answer.is_ok(), "GetUser failed: {answer:?}");
    match answer.response.payload {
        Some(response::Payload::GetUser(r)) => r.user.expect("GetUser carries the user"),
        other => panic!("unexpected payload {other:?}"),
    }
}

/// Asserts status and code of an answer.
#[track_caller]
pub fn assert_status(answer: &Answer, status: u16, code: ErrorCode) {
    assert_eq!((answer.status, answer.code()), (status, code), "answer: {:?}", answer.response);
}

/// How many action-log rows of `action` the log shards of `config` hold.
pub async fn action_log_count(config: &Config, action: &str) -> i64 {
    let mut total = 0;
    for url in config.storage.log() {
        total += count_rows(&url, "action_log", &format!("action = '{action}'")).await;
    }
    total
}

/// How many rows of `table` match `condition` (SQL; empty: all) over every game shard.
pub async fn game_rows(config: &Config, table: &str, condition: &str) -> i64 {
    let mut total = 0;
    for url in config.storage.game() {
        total += count_rows(&url, table, condition).await;
    }
    total
}

/// How many rows of `table` in the database at `url` match `condition` (SQL; empty: all).
pub async fn count_rows(url: &str, table: &str, condition: &str) -> i64 {
    use summoner::storage::conn::SqlConn;
    use summoner::storage::db::Db;
    use summoner::storage::rows::Value;
    use summoner::storage::sql::Statement;

    let db = Db::connect(url, 1, std::time::Duration::from_secs(10)).expect("database connects");
    let filter = if condition.is_empty() { String::new() } else { format!(" WHERE {condition}") };
    let sql = format!("SELECT COUNT(*) AS i0 FROM {table}{filter}");
    let rows = summoner::with_conn!(db, "count rows", |conn| {
        let statement = Statement::new(summoner::storage::conn::dialect_of(conn), sql.as_str());
        conn.rows(statement).await.map_err(|e| summoner::storage::StoreError::Database("count".into(), e.to_string()))
    })
    .expect("count query");
    match rows.as_slice() {
        [row] => match row.as_slice() {
            [Value::Int(n)] => *n,
            other => panic!("count answered {other:?}"),
        },
        other => panic!("count answered {other:?}"),
    }
}

/// Runs `sql` (no result) on the database at `url`; answers the rows it affected.
pub async fn exec_sql(url: &str, sql: &str) -> usize {
    try_exec_sql(url, sql).await.expect("statement runs")
}

/// Runs one statement on the database at `url`; answers the rows it touched, or its error.
#[allow(dead_code)]
pub async fn try_exec_sql(url: &str, sql: &str) -> Result<usize, summoner::storage::StoreError> {
    use summoner::storage::conn::SqlConn;
    use summoner::storage::db::Db;
    use summoner::storage::sql::Statement;

    let db = Db::connect(url, 1, std::time::Duration::from_secs(10)).expect("database connects");
    summoner::with_conn!(db, "run a statement", |conn| {
        let statement = Statement::new(summoner::storage::conn::dialect_of(conn), sql);
        conn.exec(statement).await.map_err(|e| summoner::storage::StoreError::Database(sql.into(), e.to_string()))
    })
}

/// Sends `payload` as the client's next request.
pub async fn call(client: &mut Client, payload: Payload) -> Answer {
    client.call(payload).await.expect("answered")
}

/// Sends `payload` as the next request, which must succeed; answers its payload.
pub async fn ok(client: &mut Client, payload: Payload) -> response::Payload {
    let answer = call(client, payload).await;
    assert_status(&answer, 200, ErrorCode::Ok);
    answer.response.payload.expect("a payload")
}

/// The answer of variant `$variant` (e.g. `Summon`) of a `response::Payload`, or a panic
/// naming what came instead.
#[macro_export]
macro_rules! answer {
    ($value:expr, $variant:ident) => {
        match $value {
            summoner_proto::api::response::Payload::$variant(res) => res,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}

/// Defines an integration test that runs `body` once per database backend, each time with
/// a configuration over fresh databases (`$config`).
#[macro_export]
macro_rules! on_every_backend {
    ($(#[$meta:meta])* async fn $name:ident($config:ident) $body:block) => {
        $(#[$meta])*
        #[actix_web::test]
        async fn $name() {
            for backend in $crate::common::backends::backends() {
                let databases = $crate::common::backends::TestDatabases::create(backend);
                let $config = databases.config.clone();
                eprintln!("-- {} on {}", stringify!($name), databases.backend.name());
                async move $body.await;
                drop(databases);
            }
        }
    };
}
