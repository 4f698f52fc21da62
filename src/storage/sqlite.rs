//! The embedded default: SQLite files under the data folder, one per database
//! (`common.sqlite`, `game-1.sqlite`), through diesel-async's wrapper of the synchronous
//! SQLite connection (each query runs on tokio's blocking pool).
//!
//! Durability: WAL with `synchronous = FULL`, so a committed transaction survives a crash
//! of the process and of the machine. Write transactions begin with a write, so SQLite
//! takes the write lock first and waits (`busy_timeout`) instead of failing on upgrade.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use diesel::result::{ConnectionError, Error as DieselError};
use diesel::{Connection, ExpressionMethods, OptionalExtension, QueryDsl, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::future::BoxFuture;
use summoner_actors::{Commit, Loaded, Session, StoredReply, TokenHash, UserId};

use crate::game::state::UserState;
use crate::storage::schema::{account_auth, accounts, action_log, last_replies, sessions, users};
use crate::storage::{AuthId, Registered, Store, StoreError, StoreResult, Write};

const COMMON_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite/common");
const GAME_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite/game");
const LOG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite/log");

/// Applied to every connection: durability and lock waiting, as the module doc explains.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;";

type Conn = SyncConnectionWrapper<SqliteConnection>;
type DbPool = Pool<Conn>;

/// SQLite storage.
#[derive(Clone)]
pub struct SqliteStore {
    common: DbPool,
    game: DbPool,
    log: DbPool,
    timeout: Duration,
}

#[derive(diesel::Queryable, diesel::Selectable, diesel::Insertable, diesel::AsChangeset)]
#[diesel(table_name = users)]
struct UserRow {
    user_id: i64,
    nickname: String,
    level: i32,
    exp: i64,
    gold: i64,
    gems: i64,
    stamina: i32,
    stamina_at_ms: i64,
    rng_seed: i64,
    rng_word_pos: i64,
    created_at_ms: i64,
    updated_at_ms: i64,
}

// Unsigned values are stored as their two's-complement bit pattern: lossless both ways.
impl From<&UserState> for UserRow {
    fn from(u: &UserState) -> Self {
        Self {
            user_id: u.user_id as i64,
            nickname: u.nickname.clone(),
            level: u.level as i32,
            exp: u.exp as i64,
            gold: u.gold as i64,
            gems: u.gems as i64,
            stamina: u.stamina as i32,
            stamina_at_ms: u.stamina_at_ms,
            rng_seed: u.rng_seed as i64,
            rng_word_pos: u.rng_word_pos as i64,
            created_at_ms: u.created_at_ms,
            updated_at_ms: u.updated_at_ms,
        }
    }
}

impl From<UserRow> for UserState {
    fn from(r: UserRow) -> Self {
        Self {
            user_id: r.user_id as u64,
            nickname: r.nickname,
            level: r.level as u32,
            exp: r.exp as u64,
            gold: r.gold as u64,
            gems: r.gems as u64,
            stamina: r.stamina as u32,
            stamina_at_ms: r.stamina_at_ms,
            rng_seed: r.rng_seed as u64,
            rng_word_pos: r.rng_word_pos as u64,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
        }
    }
}

fn db<E: std::fmt::Display>(what: impl Into<String>) -> impl FnOnce(E) -> StoreError {
    let what = what.into();
    move |e| StoreError::Database(what, e.to_string())
}

/// Creates the database file if needed and applies pending migrations.
fn migrate(path: &Path, migrations: EmbeddedMigrations) -> StoreResult<()> {
    let url = path.to_string_lossy();
    let mut conn = SqliteConnection::establish(&url).map_err(db(format!("open {}", path.display())))?;
    diesel::connection::SimpleConnection::batch_execute(&mut conn, PRAGMAS)
        .map_err(db(format!("configure {}", path.display())))?;
    conn.run_pending_migrations(migrations).map_err(db(format!("migrate {}", path.display())))?;
    Ok(())
}

fn pool(path: &Path, size: usize) -> StoreResult<DbPool> {
    let mut config = ManagerConfig::<Conn>::default();
    config.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        Box::pin(async move {
            let mut conn = Conn::establish(&url).await?;
            conn.batch_execute(PRAGMAS).await.map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<Conn>::new_with_config(path.to_string_lossy(), config);
    Pool::builder(manager).max_size(size).build().map_err(db(format!("pool for {}", path.display())))
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the databases under `dir`.
    pub async fn open(dir: &Path, pool_size: usize, timeout: Duration) -> StoreResult<Self> {
        let dir = dir.to_path_buf();
        let common = dir.join("common.sqlite");
        let game = dir.join("game-1.sqlite");
        let log = dir.join("log-1.sqlite");
        let (c, g, l) = (common.clone(), game.clone(), log.clone());
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir).map_err(db(format!("create {}", dir.display())))?;
            migrate(&c, COMMON_MIGRATIONS)?;
            migrate(&g, GAME_MIGRATIONS)?;
            migrate(&l, LOG_MIGRATIONS)
        })
        .await
        .map_err(db("migrations"))??;
        Ok(Self {
            common: pool(&common, pool_size)?,
            game: pool(&game, pool_size)?,
            log: pool(&log, pool_size)?,
            timeout,
        })
    }

    fn timed<T: Send + 'static>(
        &self,
        what: String,
        work: impl Future<Output = StoreResult<T>> + Send + 'static,
    ) -> BoxFuture<'static, StoreResult<T>> {
        let timeout = self.timeout;
        Box::pin(async move { tokio::time::timeout(timeout, work).await.map_err(|_| StoreError::Timeout(what))? })
    }
}

async fn ensure_user_rows(game: &DbPool, template: UserState) -> StoreResult<()> {
    let what = format!("create user {} on its game shard", template.user_id);
    let mut conn = game.get().await.map_err(db(&what))?;
    let row = UserRow::from(&template);
    conn.transaction::<_, DieselError, _>(async move |conn| {
        diesel::insert_into(users::table).values(&row).on_conflict_do_nothing().execute(conn).await?;
        diesel::insert_into(last_replies::table)
            .values((
                last_replies::user_id.eq(row.user_id),
                last_replies::session_id.eq(0),
                last_replies::seq.eq(0),
                last_replies::response.eq(Vec::<u8>::new()),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
    .map_err(db(&what))
}

async fn append_logs(log: &DbPool, logs: &[Write]) -> StoreResult<()> {
    if logs.is_empty() {
        return Ok(());
    }
    let what = "append action logs";
    let mut conn = log.get().await.map_err(db(what))?;
    conn.transaction::<_, DieselError, _>(async |conn| {
        for write in logs {
            if let Write::ActionLog(l) = write {
                diesel::insert_into(action_log::table)
                    .values((
                        action_log::user_id.eq(l.user_id as i64),
                        action_log::action.eq(l.action),
                        action_log::params.eq(&l.params),
                        action_log::result.eq(&l.result),
                        action_log::at_ms.eq(l.at_ms),
                    ))
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    })
    .await
    .map_err(db(what))
}

impl Store for SqliteStore {
    fn register(&self, auth: AuthId, template: UserState, now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>> {
        let (common, game) = (self.common.clone(), self.game.clone());
        let what = format!("register {}", auth.provider);
        self.timed(what.clone(), async move {
            let mut conn = common.get().await.map_err(db(&what))?;
            // Two rounds at most: a concurrent Register of the same id wins the first.
            for _ in 0..2 {
                let existing: Option<i64> = account_auth::table
                    .filter(account_auth::provider.eq(&auth.provider))
                    .filter(account_auth::auth_id.eq(&auth.id))
                    .select(account_auth::user_id)
                    .first(&mut conn)
                    .await
                    .optional()
                    .map_err(db(&what))?;
                if let Some(user_id) = existing {
                    ensure_user_rows(&game, UserState { user_id: user_id as u64, ..template }).await?;
                    return Ok(Registered { user_id: user_id as u64, created: false });
                }
                let auth = auth.clone();
                let created = conn
                    .transaction::<_, DieselError, _>(async move |conn| {
                        let user_id: i64 = diesel::insert_into(accounts::table)
                            .values((
                                accounts::gamedb_shard_no.eq(1i16),
                                accounts::logdb_shard_no.eq(1i16),
                                accounts::created_at_ms.eq(now_ms),
                                accounts::updated_at_ms.eq(now_ms),
                            ))
                            .returning(accounts::user_id)
                            .get_result(conn)
                            .await?;
                        let inserted = diesel::insert_into(account_auth::table)
                            .values((
                                account_auth::provider.eq(&auth.provider),
                                account_auth::auth_id.eq(&auth.id),
                                account_auth::user_id.eq(user_id),
                                account_auth::created_at_ms.eq(now_ms),
                            ))
                            .on_conflict_do_nothing()
                            .execute(conn)
                            .await?;
                        if inserted == 0 {
                            return Err(DieselError::RollbackTransaction);
                        }
                        diesel::insert_into(sessions::table)
                            .values((
                                sessions::user_id.eq(user_id),
                                sessions::session_id.eq(0),
                                sessions::token_hash.eq(None::<Vec<u8>>),
                                sessions::expires_at_ms.eq(0),
                            ))
                            .execute(conn)
                            .await?;
                        Ok(user_id)
                    })
                    .await;
                match created {
                    Ok(user_id) => {
                        ensure_user_rows(&game, UserState { user_id: user_id as u64, ..template }).await?;
                        return Ok(Registered { user_id: user_id as u64, created: true });
                    }
                    Err(DieselError::RollbackTransaction) => continue,
                    Err(e) => return Err(db(&what)(e)),
                }
            }
            Err(StoreError::Database(what, "the sign-in id is being registered concurrently".into()))
        })
    }

    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        let common = self.common.clone();
        let what = format!("find account for {}", auth.provider);
        self.timed(what.clone(), async move {
            let mut conn = common.get().await.map_err(db(&what))?;
            let user: Option<i64> = account_auth::table
                .filter(account_auth::provider.eq(&auth.provider))
                .filter(account_auth::auth_id.eq(&auth.id))
                .select(account_auth::user_id)
                .first(&mut conn)
                .await
                .optional()
                .map_err(db(&what))?;
            Ok(user.map(|u| u as u64))
        })
    }

    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        let common = self.common.clone();
        let what = "look up a session".to_owned();
        self.timed(what.clone(), async move {
            let mut conn = common.get().await.map_err(db(&what))?;
            let user: Option<i64> = sessions::table
                .filter(sessions::token_hash.eq(token.0.to_vec()))
                .select(sessions::user_id)
                .first(&mut conn)
                .await
                .optional()
                .map_err(db(&what))?;
            Ok(user.map(|u| u as u64))
        })
    }

    fn load_user(&self, user: UserId) -> BoxFuture<'static, StoreResult<Loaded<UserState>>> {
        let (common, game) = (self.common.clone(), self.game.clone());
        let what = format!("load user {user}");
        self.timed(what.clone(), async move {
            let id = user as i64;
            let session_row: Option<(i64, Option<Vec<u8>>, i64)> = {
                let mut conn = common.get().await.map_err(db(&what))?;
                sessions::table
                    .find(id)
                    .select((sessions::session_id, sessions::token_hash, sessions::expires_at_ms))
                    .first(&mut conn)
                    .await
                    .optional()
                    .map_err(db(&what))?
            };
            let mut conn = game.get().await.map_err(db(&what))?;
            let row: Option<UserRow> = users::table
                .find(id)
                .select(<UserRow as diesel::SelectableHelper<diesel::sqlite::Sqlite>>::as_select())
                .first(&mut conn)
                .await
                .optional()
                .map_err(db(&what))?;
            let row = row.ok_or_else(|| StoreError::NotFound(what.clone()))?;
            let reply: Option<(i64, i64, Vec<u8>)> = last_replies::table
                .find(id)
                .select((last_replies::session_id, last_replies::seq, last_replies::response))
                .first(&mut conn)
                .await
                .optional()
                .map_err(db(&what))?;
            let session = session_row.and_then(|(session_id, hash, expires_at_ms)| {
                let hash: [u8; 32] = hash?.try_into().ok()?;
                Some(Session { id: session_id as u64, token_hash: TokenHash(hash), expires_at_ms })
            });
            let last_reply = reply.filter(|(_, seq, _)| *seq > 0).map(|(session_id, seq, bytes)| StoredReply {
                session_id: session_id as u64,
                seq: seq as u64,
                bytes,
            });
            Ok(Loaded { state: UserState::from(row), session, last_reply })
        })
    }

    fn commit(&self, user: UserId, commit: Commit<Vec<Write>>) -> BoxFuture<'static, StoreResult<()>> {
        let (game, log) = (self.game.clone(), self.log.clone());
        let what = format!("commit for user {user}");
        self.timed(what.clone(), async move {
            let mut conn = game.get().await.map_err(db(&what))?;
            let id = user as i64;
            let Commit { writes, reply } = commit;
            let (logs, writes): (Vec<Write>, Vec<Write>) =
                writes.into_iter().partition(|w| matches!(w, Write::ActionLog(_)));
            conn.transaction::<_, DieselError, _>(async |conn| {
                for write in &writes {
                    match write {
                        Write::Profile(state) => {
                            let row = UserRow::from(state);
                            let n = diesel::update(users::table.find(id)).set(&row).execute(conn).await?;
                            if n == 0 {
                                return Err(DieselError::NotFound);
                            }
                        }
                        Write::ActionLog(_) => {}
                    }
                }
                let n = diesel::update(last_replies::table.find(id))
                    .set((
                        last_replies::session_id.eq(reply.session_id as i64),
                        last_replies::seq.eq(reply.seq as i64),
                        last_replies::response.eq(&reply.bytes),
                    ))
                    .execute(conn)
                    .await?;
                if n == 0 {
                    return Err(DieselError::NotFound);
                }
                Ok(())
            })
            .await
            .map_err(db(&what))?;
            // The change is durable and will be acknowledged; the log database cannot join
            // its transaction (SQLite has no atomic commit across WAL files), so a failed log
            // write is reported, not turned into a failed request.
            if let Err(e) = append_logs(&log, &logs).await {
                tracing::error!(user.id = user, error = %e, "action log not written");
            }
            Ok(())
        })
    }

    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>> {
        let common = self.common.clone();
        let what = format!("save session of user {user}");
        self.timed(what.clone(), async move {
            let mut conn = common.get().await.map_err(db(&what))?;
            let (session_id, hash, expires) = match &session {
                Some(s) => (s.id as i64, Some(s.token_hash.0.to_vec()), s.expires_at_ms),
                None => (0, None, 0),
            };
            let n = diesel::update(sessions::table.find(user as i64))
                .set((
                    sessions::session_id.eq(session_id),
                    sessions::token_hash.eq(hash),
                    sessions::expires_at_ms.eq(expires),
                ))
                .execute(&mut conn)
                .await
                .map_err(db(&what))?;
            if n == 0 {
                return Err(StoreError::NotFound(what));
            }
            Ok(())
        })
    }
}
