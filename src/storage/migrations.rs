//! Migrations, embedded per backend and per database kind (`migrations/<backend>/<kind>/`),
//! applied on a blocking thread, as diesel's migration harness is synchronous: all pending
//! ones (start-up, `summoner migrate`), those up to a version, or reverting to one.
//!
//! Nodes of a cluster start at once and each migrates: one at a time per database, under a
//! lock the database holds for the migrating connection (a PostgreSQL advisory lock,
//! MySQL's `GET_LOCK`; a locked file beside an SQLite database), so the second finds nothing pending instead
//! of failing on what the first is creating.
//!
//! On PostgreSQL, indexes of big tables are built `CONCURRENTLY` (no lock on the inserts of
//! running servers); such a build that fails leaves an invalid index, which the next migration
//! drops before it builds the index again.

use diesel::connection::SimpleConnection;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::storage::db::{Backend, Db, DbKind, SQLITE_PRAGMAS, sqlite_path};
use crate::storage::{StoreError, StoreResult};
use crate::urls::redact;

const SQLITE_COMMON: EmbeddedMigrations = embed_migrations!("migrations/sqlite/common");
const SQLITE_GAME: EmbeddedMigrations = embed_migrations!("migrations/sqlite/game");
const SQLITE_LOG: EmbeddedMigrations = embed_migrations!("migrations/sqlite/log");
const SQLITE_CLAN: EmbeddedMigrations = embed_migrations!("migrations/sqlite/clan");
const POSTGRES_COMMON: EmbeddedMigrations = embed_migrations!("migrations/postgres/common");
const POSTGRES_GAME: EmbeddedMigrations = embed_migrations!("migrations/postgres/game");
const POSTGRES_LOG: EmbeddedMigrations = embed_migrations!("migrations/postgres/log");
const POSTGRES_CLAN: EmbeddedMigrations = embed_migrations!("migrations/postgres/clan");
const MYSQL_COMMON: EmbeddedMigrations = embed_migrations!("migrations/mysql/common");
const MYSQL_GAME: EmbeddedMigrations = embed_migrations!("migrations/mysql/game");
const MYSQL_LOG: EmbeddedMigrations = embed_migrations!("migrations/mysql/log");
const MYSQL_CLAN: EmbeddedMigrations = embed_migrations!("migrations/mysql/clan");

fn migrations(backend: Backend, kind: DbKind) -> EmbeddedMigrations {
    match (backend, kind) {
        (Backend::Sqlite, DbKind::Common) => SQLITE_COMMON,
        (Backend::Sqlite, DbKind::Game) => SQLITE_GAME,
        (Backend::Sqlite, DbKind::Log) => SQLITE_LOG,
        (Backend::Sqlite, DbKind::Clan) => SQLITE_CLAN,
        (Backend::Postgres, DbKind::Common) => POSTGRES_COMMON,
        (Backend::Postgres, DbKind::Game) => POSTGRES_GAME,
        (Backend::Postgres, DbKind::Log) => POSTGRES_LOG,
        (Backend::Postgres, DbKind::Clan) => POSTGRES_CLAN,
        (Backend::Mysql, DbKind::Common) => MYSQL_COMMON,
        (Backend::Mysql, DbKind::Game) => MYSQL_GAME,
        (Backend::Mysql, DbKind::Log) => MYSQL_LOG,
        (Backend::Mysql, DbKind::Clan) => MYSQL_CLAN,
    }
}

/// Applies the pending `migrations` in order, all of them or those up to version `last`; a
/// `last` of `-VERSION` reverts the applied ones newer than VERSION instead.
fn apply<C>(conn: &mut C, source: &dyn Fn() -> EmbeddedMigrations, last: Option<&str>) -> Result<(), String>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    let Some(last) = last else {
        return conn.run_pending_migrations(source()).map(|_| ()).map_err(|e| e.to_string());
    };
    // Versions compare as their digits (`2026-11-25-000005` and `20261125000005` alike).
    let digits = |v: &str| v.chars().filter(char::is_ascii_digit).collect::<String>();
    if let Some(keep) = last.strip_prefix('-') {
        let keep = digits(keep);
        loop {
            let applied = conn.applied_migrations().map_err(|e| e.to_string())?;
            let Some(newest) = applied.iter().map(|v| digits(&v.to_string())).max() else { return Ok(()) };
            if newest <= keep {
                return Ok(());
            }
            conn.revert_last_migration(source()).map_err(|e| e.to_string())?;
        }
    }
    let last = digits(last);
    for migration in conn.pending_migrations(source()).map_err(|e| e.to_string())? {
        if digits(&migration.name().version().to_string()) > last {
            break;
        }
        conn.run_migration(&*migration).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The PostgreSQL advisory lock key migrations hold (any fixed number; "summ" in ASCII;
/// advisory locks are each database's own).
const PG_MIGRATION_LOCK: i64 = 0x7375_6d6d;
/// The MySQL named lock migrations hold (with the database's name after it).
const MYSQL_MIGRATION_LOCK: &str = "summoner.migrate";
/// How long a node waits for another's migrations (seconds), index builds included.
const LOCK_WAIT_SECS: u32 = 600;

/// `pg_try_advisory_lock`'s answer.
#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Takes [`PG_MIGRATION_LOCK`] for this session (until unlocked or the connection closes).
/// Tried again and again rather than waited for in one statement: a waiting statement is an
/// open transaction, which another node's `CREATE INDEX CONCURRENTLY` (run under the lock)
/// waits for in turn, a deadlock.
fn pg_lock(conn: &mut AsyncConnectionWrapper<AsyncPgConnection>) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(u64::from(LOCK_WAIT_SECS));
    loop {
        let tried = diesel::sql_query(format!("SELECT pg_try_advisory_lock({PG_MIGRATION_LOCK}) AS locked"))
            .get_result::<Locked>(conn)
            .map_err(|e| format!("wait for other nodes' migrations: {e}"))?;
        if tried.locked {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(format!("another node's migrations held the lock for more than {LOCK_WAIT_SECS} s"));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// An index's name.
#[derive(QueryableByName)]
struct IndexName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// Drops the invalid indexes of the schema that no one is building. A `CREATE INDEX
/// CONCURRENTLY` that fails (a node killed half-way, a duplicate under a unique index) leaves
/// an invalid index behind and its migration unrecorded; the migration's next run would fail on
/// the name taken. Called under the migration lock, so no other node's migration is building
/// one; an operator's build in progress is listed by `pg_stat_progress_create_index` and left.
fn drop_invalid_indexes(conn: &mut AsyncConnectionWrapper<AsyncPgConnection>) -> Result<(), String> {
    let invalid = diesel::sql_query(
        "SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace \
         AND i.indexrelid NOT IN (SELECT index_relid FROM pg_stat_progress_create_index)",
    )
    .load::<IndexName>(conn)
    .map_err(|e| format!("list invalid indexes: {e}"))?;
    for IndexName { name } in invalid {
        let quoted = name.replace('"', "\"\"");
        conn.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS \"{quoted}\""))
            .map_err(|e| format!("drop the invalid index {name} a failed build left: {e}"))?;
        tracing::warn!(index = %name, "dropped an invalid index a failed concurrent build left; its migration builds it again");
    }
    Ok(())
}

/// `GET_LOCK`'s answer: 1 taken, 0 timed out, NULL an error.
#[derive(QueryableByName)]
struct Got {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    got: Option<i32>,
}

impl Db {
    /// Applies pending migrations of `kind` to the database at `url`, creating an SQLite
    /// file (and its folder) if needed.
    pub async fn migrate(url: &str, kind: DbKind) -> StoreResult<()> {
        Self::migrate_up_to(url, kind, None).await
    }

    /// Applies the pending migrations of `kind` whose version is at most `last` (an older
    /// schema, to step through a change or to test a migration on the data it moves).
    pub async fn migrate_to(url: &str, kind: DbKind, last: &str) -> StoreResult<()> {
        Self::migrate_up_to(url, kind, Some(last.to_owned())).await
    }

    /// Reverts the applied migrations of `kind` newer than version `last`, newest first
    /// (each migration's down: rolling a deployment back).
    pub async fn revert_to(url: &str, kind: DbKind, last: &str) -> StoreResult<()> {
        Self::migrate_up_to(url, kind, Some(format!("-{last}"))).await
    }

    async fn migrate_up_to(url: &str, kind: DbKind, last: Option<String>) -> StoreResult<()> {
        let backend = Backend::of(url)?;
        let url = url.to_owned();
        let what = format!("migrate {} database {}", kind.as_str(), redact(&url));
        let source = move || migrations(backend, kind);
        let run = move || -> Result<(), String> {
            match backend {
                Backend::Sqlite => {
                    let path = std::path::Path::new(sqlite_path(&url));
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                    }
                    // Beside the database, a file each migrating process locks (released when
                    // `_turn` closes): the database's own write lock lasts one migration.
                    let lock_path = format!("{}.migrate-lock", sqlite_path(&url));
                    let _turn = std::fs::OpenOptions::new()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .open(&lock_path)
                        .and_then(|file| file.lock().map(|()| file))
                        .map_err(|e| format!("wait for other processes' migrations ({lock_path}): {e}"))?;
                    let mut conn = SqliteConnection::establish(sqlite_path(&url)).map_err(|e| e.to_string())?;
                    diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_PRAGMAS)
                        .map_err(|e| e.to_string())?;
                    apply(&mut conn, &source, last.as_deref())
                }
                Backend::Postgres => {
                    let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)
                        .map_err(|e| e.to_string())?;
                    pg_lock(&mut conn)?;
                    let applied =
                        drop_invalid_indexes(&mut conn).and_then(|()| apply(&mut conn, &source, last.as_deref()));
                    let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"));
                    applied
                }
                Backend::Mysql => {
                    let mut conn = <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(&url)
                        .map_err(|e| e.to_string())?;
                    // Named locks are the server's, not one database's: the name says which.
                    let name = format!("LEFT(CONCAT('{MYSQL_MIGRATION_LOCK}.', DATABASE()), 64)");
                    let lock = format!("SELECT GET_LOCK({name}, {LOCK_WAIT_SECS}) AS got");
                    let got = diesel::sql_query(lock)
                        .get_result::<Got>(&mut conn)
                        .map_err(|e| format!("wait for other nodes' migrations: {e}"))?;
                    if got.got != Some(1) {
                        return Err(format!(
                            "another node's migrations held the lock for more than {LOCK_WAIT_SECS} s"
                        ));
                    }
                    let applied = apply(&mut conn, &source, last.as_deref());
                    let _ = conn.batch_execute(&format!("DO RELEASE_LOCK({name})"));
                    applied
                }
            }
        };
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| StoreError::Database(what.clone(), e.to_string()))?
            .map_err(|e| StoreError::Database(what, e))
    }
}
