//! Migrations, embedded per backend and per database kind (`migrations/<backend>/<kind>/`),
//! applied on a blocking thread, as diesel's migration harness is synchronous: all pending
//! ones (start-up, `summoner migrate`), those up to a version, or reverting to one.

use diesel::{Connection, SqliteConnection};
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
                    let mut conn = SqliteConnection::establish(sqlite_path(&url)).map_err(|e| e.to_string())?;
                    diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_PRAGMAS)
                        .map_err(|e| e.to_string())?;
                    apply(&mut conn, &source, last.as_deref())
                }
                Backend::Postgres => {
                    let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)
                        .map_err(|e| e.to_string())?;
                    apply(&mut conn, &source, last.as_deref())
                }
                Backend::Mysql => {
                    let mut conn = <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(&url)
                        .map_err(|e| e.to_string())?;
                    apply(&mut conn, &source, last.as_deref())
                }
            }
        };
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|e| StoreError::Database(what.clone(), e.to_string()))?
            .map_err(|e| StoreError::Database(what, e))
    }
}
