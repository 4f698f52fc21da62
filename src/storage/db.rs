//! One database, whatever its backend: SQLite (the embedded default), PostgreSQL or
//! MySQL/MariaDB, each through diesel-async (pure-Rust clients, no C library for the
//! servers). [`Db`] is a pool of one of the three; [`with_conn!`] runs the *same* diesel
//! code on whichever it is, so every query is written once.
//!
//! Migrations are in [`crate::storage::migrations`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::SqliteConnection;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::result::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use crate::storage::rows::RowWrite;
use crate::storage::{StoreError, StoreResult};
use crate::urls::redact;

/// The SQLite connection type, run on tokio's blocking pool.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Applied to every SQLite connection. WAL with `synchronous = FULL`: a committed
/// transaction survives a crash of the process and of the machine; writers wait for the
/// lock (`busy_timeout`) instead of failing. The timeout comes first: switching the journal
/// mode needs a lock too, and a connection of a server that just stopped may still hold one
/// while it checkpoints the WAL on close.
pub(crate) const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";

/// What a database holds, which decides its migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DbKind {
    Common,
    Game,
    Log,
    Clan,
}

impl DbKind {
    /// The registry's name of shard kinds.
    pub fn as_str(self) -> &'static str {
        match self {
            DbKind::Common => "common",
            DbKind::Game => "game",
            DbKind::Log => "log",
            DbKind::Clan => "clan",
        }
    }
}

/// Which server a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    /// The backend of a URL: `sqlite://PATH`, `postgres://...` (or `postgresql://`),
    /// `mysql://...` (MySQL and MariaDB).
    pub fn of(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("mysql://") {
            Ok(Backend::Mysql)
        } else {
            Err(StoreError::Database(
                format!("database URL {}", redact(url)),
                "use sqlite://PATH, postgres://... or mysql://...".into(),
            ))
        }
    }
}

pub(crate) fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://").trim_start_matches("sqlite:")
}

/// Counts the statements a database runs (tests assert query counts with it).
#[derive(Debug, Default)]
pub struct QueryCounter(AtomicU64);

impl QueryCounter {
    /// Statements started so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct CountingInstrumentation(Arc<QueryCounter>);

impl Instrumentation for CountingInstrumentation {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.0.fetch_add(1, Ordering::SeqCst);
            crate::storage::statements::started();
        }
    }
}

/// Rows committed per table and kind of change (tests assert that a request writes only
/// what it changed).
#[derive(Debug, Default)]
pub struct WriteStats(Mutex<HashMap<(&'static str, &'static str), u64>>);

impl WriteStats {
    /// Counts the rows of committed `writes`.
    pub fn record(&self, writes: &[RowWrite]) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for write in writes {
            let kind = match write {
                RowWrite::Insert(..) => "insert",
                RowWrite::InsertNew(..) => "insert_new",
                RowWrite::Upsert(..) => "upsert",
                RowWrite::Update(..) => "update",
                RowWrite::Patch { .. } => "patch",
                RowWrite::Delete(..) | RowWrite::DeleteOwned(..) => "delete",
            };
            *counts.entry((write.table().name, kind)).or_default() += 1;
        }
    }

    /// Rows of `table` committed so far with a change of `kind` (insert, upsert, update,
    /// patch, delete).
    pub fn get(&self, table: &str, kind: &str) -> u64 {
        let counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        counts.iter().filter(|((t, k), _)| *t == table && *k == kind).map(|(_, n)| *n).sum()
    }
}

/// The databases of one kind of shard, by shard number.
pub type ShardDbs = std::collections::BTreeMap<i16, Db>;

/// A pool of connections to one database.
#[derive(Clone)]
pub enum Pools {
    Sqlite(Pool<SqliteConn>),
    Postgres(Pool<AsyncPgConnection>),
    Mysql(Pool<AsyncMysqlConnection>),
}

/// One database: its pool, where it is, its statement counter and its committed rows.
#[derive(Clone)]
pub struct Db {
    pub pools: Pools,
    /// The URL without password.
    pub location: String,
    pub queries: Arc<QueryCounter>,
    pub stats: Arc<WriteStats>,
}

fn manager_config<C>(counter: Arc<QueryCounter>, setup_sql: Option<Arc<str>>) -> ManagerConfig<C>
where
    C: AsyncConnection + SimpleAsyncConnection + 'static,
{
    let mut config = ManagerConfig::<C>::default();
    // Only checks that no transaction was left open (a query per checkout would be a round
    // trip per batch); a dead connection fails its first statement, which fails that batch
    // with a retryable error, and the pool replaces it.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        let (counter, setup_sql) = (counter.clone(), setup_sql.clone());
        async move {
            let mut conn = C::establish(&url).await?;
            if let Some(sql) = setup_sql {
                conn.batch_execute(&sql).await.map_err(ConnectionError::CouldntSetupConfiguration)?;
            }
            conn.set_instrumentation(CountingInstrumentation(counter));
            Ok(conn)
        }
        .boxed()
    });
    config
}

/// How every pool is sized and bounded.
struct PoolSettings {
    size: usize,
    timeout: Duration,
    queries: Arc<QueryCounter>,
    what: String,
}

/// Builds a pool of `$conn` connections to `$url` with `$settings` (a macro: the pool's
/// trait bounds differ per backend and do not fit one generic function).
macro_rules! build_pool {
    ($settings:expr, $conn:ty, $url:expr, $setup:expr) => {{
        let settings: &PoolSettings = $settings;
        let config = manager_config::<$conn>(settings.queries.clone(), $setup);
        let bound = Some(settings.timeout);
        Pool::builder(AsyncDieselConnectionManager::new_with_config($url, config))
            .max_size(settings.size)
            .timeouts(deadpool::managed::Timeouts { wait: bound, create: bound, recycle: bound })
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Database(settings.what.clone(), e.to_string()))?
    }};
}

/// What each new connection to a backend runs first. `idle_transaction`: the database ends a
/// transaction left idle this long (PostgreSQL's `idle_in_transaction_session_timeout`,
/// MariaDB's `idle_transaction_timeout`; MySQL has none and ignores it), so a process frozen
/// in the middle of one (a stall past its node's lease) releases its row locks for the
/// nodes that took its users over instead of holding them until it thaws.
fn session_setup(backend: Backend, idle_transaction: Option<Duration>) -> Option<Arc<str>> {
    match (backend, idle_transaction) {
        (Backend::Sqlite, _) => Some(SQLITE_PRAGMAS.into()),
        (_, None) => None,
        (Backend::Postgres, Some(limit)) => {
            Some(format!("SET idle_in_transaction_session_timeout = {}", limit.as_millis().max(1)).into())
        }
        // The executable comment runs on MariaDB (10.3 and later) only; MySQL sets the
        // harmless user variable alone.
        (Backend::Mysql, Some(limit)) => Some(
            format!(
                "SET @summoner_session = 1 /*M!100300 , SESSION idle_transaction_timeout = {} */",
                limit.as_secs().max(1)
            )
            .into(),
        ),
    }
}

impl Db {
    /// A pool of at most `size` connections to `url`; waiting for a connection is bounded
    /// by `timeout`.
    pub fn connect(url: &str, size: usize, timeout: Duration) -> StoreResult<Self> {
        Self::connect_with(url, size, timeout, None)
    }

    /// [`Self::connect`], and the database ends a transaction of these connections left
    /// idle for `idle_transaction` (see [`session_setup`]).
    pub fn connect_with(
        url: &str,
        size: usize,
        timeout: Duration,
        idle_transaction: Option<Duration>,
    ) -> StoreResult<Self> {
        let backend = Backend::of(url)?;
        let setup = session_setup(backend, idle_transaction);
        let queries = Arc::new(QueryCounter::default());
        let settings =
            PoolSettings { size, timeout, queries: queries.clone(), what: format!("pool for {}", redact(url)) };
        let pools = match backend {
            Backend::Sqlite => Pools::Sqlite(build_pool!(&settings, SqliteConn, sqlite_path(url), setup)),
            Backend::Postgres => Pools::Postgres(build_pool!(&settings, AsyncPgConnection, url, setup)),
            Backend::Mysql => Pools::Mysql(build_pool!(&settings, AsyncMysqlConnection, url, setup)),
        };
        Ok(Self { pools, location: redact(url), queries, stats: Arc::default() })
    }
}

/// A connection taken from a pool for one piece of work. It goes back to the pool only when
/// the work succeeded; a connection whose work failed, or was abandoned half-way (its future
/// dropped by a timeout), is closed instead: the pool's check on checkout is the fast one (no
/// query), so a connection broken by an outage must not be handed out again, and closing one
/// in the middle of a transaction is what makes the database roll it back and release its
/// locks at once rather than when the pool next looks at it.
pub struct Lease<M: deadpool::managed::Manager> {
    object: Option<deadpool::managed::Object<M>>,
    succeeded: bool,
}

impl<M: deadpool::managed::Manager> Lease<M> {
    /// Leases `object`.
    pub fn new(object: deadpool::managed::Object<M>) -> Self {
        Self { object: Some(object), succeeded: false }
    }

    /// The connection.
    pub fn conn(&mut self) -> &mut M::Type {
        // Set in `new` and taken only in `drop`.
        self.object.as_deref_mut().expect("a lease holds its connection until dropped")
    }

    /// Records how the work ended: a success returns the connection to the pool.
    pub fn finish(&mut self, succeeded: bool) {
        self.succeeded = succeeded;
    }
}

impl<M: deadpool::managed::Manager> Drop for Lease<M> {
    fn drop(&mut self) {
        if !self.succeeded
            && let Some(object) = self.object.take()
        {
            drop(deadpool::managed::Object::take(object));
        }
    }
}

/// Runs `$body` with `$conn` bound to a `&mut` connection of `$db`, whichever backend it
/// is: the same diesel code, compiled once per backend. Evaluates to `StoreResult<T>`;
/// `$what` names the operation in errors. The connection is a [`Lease`]: closed, not reused,
/// when the body fails or is abandoned.
#[macro_export]
macro_rules! with_conn {
    ($db:expr, $what:expr, |$conn:ident| $body:expr) => {{
        let what: &str = $what;
        match &$db.pools {
            $crate::storage::db::Pools::Sqlite(pool) => $crate::with_conn!(@run pool, what, |$conn| $body),
            $crate::storage::db::Pools::Postgres(pool) => $crate::with_conn!(@run pool, what, |$conn| $body),
            $crate::storage::db::Pools::Mysql(pool) => $crate::with_conn!(@run pool, what, |$conn| $body),
        }
    }};
    (@run $pool:expr, $what:expr, |$conn:ident| $body:expr) => {
        match $pool.get().await {
            Ok(object) => {
                let mut lease = $crate::storage::db::Lease::new(object);
                let result = {
                    let $conn = lease.conn();
                    $body
                };
                lease.finish(result.is_ok());
                result
            }
            Err(e) => Err($crate::storage::StoreError::Database($what.to_owned(), e.to_string())),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_are_recognised_by_scheme() {
        assert_eq!(Backend::of("sqlite://data/common.sqlite").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("mysql://root@h/db").unwrap(), Backend::Mysql);
        assert!(Backend::of("redis://h").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("sqlite://data/x.sqlite"), "sqlite://data/x.sqlite");
    }
}
