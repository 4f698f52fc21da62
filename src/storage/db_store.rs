//! `DbStore`: the [`Store`] over SQL databases — one common database, game and log shards
//! from the registry, and the clan database — on SQLite, PostgreSQL or MySQL/MariaDB alike.
//!
//! Every query is written once and run through [`with_conn!`] on whichever backend a
//! database uses. Nothing relies on backend-specific SQL: ids come from [`IdGenerator`]
//! (no `RETURNING`), and "insert if absent" is an insert whose unique violation is read
//! as "already there" (no upsert dialects). No foreign key crosses databases.
//!
//! Writes of user requests go through the [`ShardRouter`] to one [`PersistenceActor`] per
//! shard, which commits many users' writes in one transaction (group commit).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, IntoSql, JoinOnDsl, NullableExpressionMethods, OptionalExtension,
    QueryDsl, SelectableHelper,
};
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::future::BoxFuture;
use summoner_actors::{Commit, Loaded, Session, StoredReply, TokenHash, UserId};

use crate::game::effects::ActionLog;
use crate::game::state::{UserShards, UserState};
use crate::ids::IdGenerator;
use crate::storage::db::{Db, DbKind};
use crate::storage::persistence::{Job, ShardRouter, Submit};
use crate::storage::registry::{Placement, ShardRow};
pub use crate::storage::rows::UserRow;
use crate::storage::schema::{account_auth, accounts, last_replies, sessions, users};
use crate::storage::{AuthId, Registered, Store, StoreError, StoreResult, Write};
use crate::with_conn;

/// A database error, with what was being done.
pub fn db<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> StoreError + '_ {
    move |e| StoreError::Database(what.to_owned(), e.to_string())
}

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

/// The databases of a deployment.
pub struct Databases {
    pub common: Db,
    pub game: BTreeMap<i16, Db>,
    pub log: BTreeMap<i16, Db>,
    pub clan: Db,
}

/// SQL storage over the common database and the registered shards.
#[derive(Clone)]
pub struct DbStore {
    dbs: Arc<Databases>,
    placement: Arc<Placement>,
    ids: Arc<IdGenerator>,
    router: Addr<ShardRouter>,
    timeout: Duration,
}

/// How [`DbStore::open`] finds and connects its databases.
#[derive(Debug, Clone)]
pub struct DbStoreConfig {
    pub common_url: String,
    pub clan_url: String,
    /// Seeds the registry (see [`crate::storage::registry`]).
    pub game_urls: Vec<String>,
    pub log_urls: Vec<String>,
    pub pool_size: usize,
    pub timeout: Duration,
    pub node_id: u16,
    /// Group commit: flush a shard's queue at this many writes ...
    pub batch_max_writes: usize,
    /// ... or this long after the first write queued.
    pub batch_delay: Duration,
}

/// Applies every pending migration: common, clan, and every shard in the registry
/// (seeded from the configuration). What `summoner migrate` and start-up run.
pub async fn migrate_all(config: &DbStoreConfig, now_ms: i64) -> StoreResult<Vec<ShardRow>> {
    Db::migrate(&config.common_url, DbKind::Common).await?;
    Db::migrate(&config.clan_url, DbKind::Clan).await?;
    let common = Db::connect(&config.common_url, 1, config.timeout)?;
    let rows = crate::storage::registry::load_or_seed(&common, &config.game_urls, &config.log_urls, now_ms).await?;
    for row in &rows {
        let kind = if row.kind == "game" { DbKind::Game } else { DbKind::Log };
        Db::migrate(&row.location, kind).await?;
    }
    Ok(rows)
}

impl DbStore {
    /// Migrates, reads the registry, connects every database and starts one persistence
    /// actor per shard. Must run inside an actix system.
    pub async fn open(config: &DbStoreConfig, now_ms: i64) -> StoreResult<Self> {
        let rows = migrate_all(config, now_ms).await?;
        let common = Db::connect(&config.common_url, config.pool_size, config.timeout)?;
        let clan = Db::connect(&config.clan_url, config.pool_size, config.timeout)?;
        let (mut game, mut log) = (BTreeMap::new(), BTreeMap::new());
        for row in &rows {
            let db = Db::connect(&row.location, config.pool_size, config.timeout)?;
            match row.kind.as_str() {
                "game" => game.insert(row.shard_no, db),
                _ => log.insert(row.shard_no, db),
            };
        }
        let placement = Placement::new(&common, &rows).await?;
        let dbs = Arc::new(Databases { common, game, log, clan });
        let router = ShardRouter::start(&dbs, config.batch_max_writes, config.batch_delay, config.timeout);
        Ok(Self {
            dbs,
            placement: Arc::new(placement),
            ids: Arc::new(IdGenerator::new(config.node_id)),
            router,
            timeout: config.timeout,
        })
    }

    /// The databases (tests count their queries).
    pub fn databases(&self) -> &Arc<Databases> {
        &self.dbs
    }

    fn timed<T: Send + 'static>(
        &self,
        what: String,
        work: impl Future<Output = StoreResult<T>> + Send + 'static,
    ) -> BoxFuture<'static, StoreResult<T>> {
        let timeout = self.timeout;
        Box::pin(async move { tokio::time::timeout(timeout, work).await.map_err(|_| StoreError::Timeout(what))? })
    }

    fn shard(&self, kind: DbKind, no: i16) -> StoreResult<Db> {
        let map = if kind == DbKind::Game { &self.dbs.game } else { &self.dbs.log };
        map.get(&no).cloned().ok_or_else(|| StoreError::NotFound(format!("{} shard {no}", kind.as_str())))
    }
}

/// The user's shards, from the common database.
async fn shards_of(common: &Db, user: i64) -> StoreResult<Option<UserShards>> {
    let what = "find the user's shards";
    let row: Option<(i16, i16)> = with_conn!(common, what, |conn| {
        accounts::table
            .find(user)
            .select((accounts::gamedb_shard_no, accounts::logdb_shard_no))
            .first(conn)
            .await
            .optional()
            .map_err(db(what))
    })?;
    Ok(row.map(|(game, log)| UserShards { game, log }))
}

/// Creates the user's rows on its game shard unless they exist. Each insert stands alone
/// and "already there" counts as done, so a Register retried after any failure completes
/// the rows; no transaction reads before it writes (SQLite cannot upgrade a read lock
/// without failing under concurrent writers).
async fn ensure_user_rows(game: &Db, template: &UserState) -> StoreResult<()> {
    let what = "create the user on its game shard";
    let row = UserRow::from(template);
    let exists_ok = |result: Result<usize, DieselError>| match result {
        Err(e) if is_unique_violation(&e) => Ok(()),
        other => other.map(|_| ()).map_err(db(what)),
    };
    with_conn!(game, what, |conn| {
        exists_ok(diesel::insert_into(users::table).values(&row).execute(conn).await)?;
        exists_ok(
            diesel::insert_into(last_replies::table)
                .values((
                    last_replies::user_id.eq(row.user_id),
                    last_replies::session_id.eq(0i64),
                    last_replies::seq.eq(0i64),
                    last_replies::response.eq(Vec::<u8>::new()),
                ))
                .execute(conn)
                .await,
        )
    })
}

/// Finds the account of `auth`.
async fn account_of(common: &Db, auth: &AuthId) -> StoreResult<Option<i64>> {
    let what = "find an account";
    with_conn!(common, what, |conn| {
        account_auth::table
            .filter(account_auth::provider.eq(&auth.provider).and(account_auth::auth_id.eq(&auth.id)))
            .select(account_auth::user_id)
            .first::<i64>(conn)
            .await
            .optional()
            .map_err(db(what))
    })
}

impl Store for DbStore {
    fn register(&self, auth: AuthId, template: UserState, now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>> {
        let store = self.clone();
        self.timed(format!("register {}", auth.provider), async move {
            // Two rounds at most: a concurrent Register of the same id wins the first.
            for _ in 0..2 {
                if let Some(user_id) = account_of(&store.dbs.common, &auth).await? {
                    let shards = shards_of(&store.dbs.common, user_id).await?.unwrap_or_default();
                    let state = UserState { user_id: user_id as u64, shards, ..template.clone() };
                    ensure_user_rows(&store.shard(DbKind::Game, shards.game)?, &state).await?;
                    return Ok(Registered { user_id: user_id as u64, created: false, shards });
                }
                let user_id = store.ids.next_id() as i64;
                let shards =
                    UserShards { game: store.placement.place(DbKind::Game)?, log: store.placement.place(DbKind::Log)? };
                let what = "create an account";
                let auth = auth.clone();
                let created = with_conn!(store.dbs.common, what, |conn| {
                    Ok(conn
                        .transaction::<_, DieselError, _>(async |conn| {
                            diesel::insert_into(accounts::table)
                                .values((
                                    accounts::user_id.eq(user_id),
                                    accounts::gamedb_shard_no.eq(shards.game),
                                    accounts::logdb_shard_no.eq(shards.log),
                                    accounts::created_at_ms.eq(now_ms),
                                    accounts::updated_at_ms.eq(now_ms),
                                ))
                                .execute(conn)
                                .await?;
                            diesel::insert_into(account_auth::table)
                                .values((
                                    account_auth::provider.eq(&auth.provider),
                                    account_auth::auth_id.eq(&auth.id),
                                    account_auth::user_id.eq(user_id),
                                    account_auth::created_at_ms.eq(now_ms),
                                ))
                                .execute(conn)
                                .await?;
                            diesel::insert_into(sessions::table)
                                .values((
                                    sessions::user_id.eq(user_id),
                                    sessions::session_id.eq(0i64),
                                    sessions::token_hash.eq(None::<Vec<u8>>),
                                    sessions::expires_at_ms.eq(0i64),
                                ))
                                .execute(conn)
                                .await?;
                            Ok(())
                        })
                        .await)
                })?;
                match created {
                    Ok(()) => {
                        let state = UserState { user_id: user_id as u64, shards, ..template.clone() };
                        ensure_user_rows(&store.shard(DbKind::Game, shards.game)?, &state).await?;
                        return Ok(Registered { user_id: user_id as u64, created: true, shards });
                    }
                    Err(e) => {
                        store.placement.unplace(DbKind::Game, shards.game);
                        store.placement.unplace(DbKind::Log, shards.log);
                        if !is_unique_violation(&e) {
                            return Err(db(what)(e));
                        }
                    }
                }
            }
            Err(StoreError::Database("register".into(), "the sign-in id is being registered concurrently".into()))
        })
    }

    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        let store = self.clone();
        self.timed("find an account".into(), async move {
            Ok(account_of(&store.dbs.common, &auth).await?.map(|u| u as u64))
        })
    }

    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        let store = self.clone();
        let what = "look up a session";
        self.timed(what.into(), async move {
            let user: Option<i64> = with_conn!(store.dbs.common, what, |conn| {
                sessions::table
                    .filter(sessions::token_hash.eq(token.0.to_vec()))
                    .select(sessions::user_id)
                    .first(conn)
                    .await
                    .optional()
                    .map_err(db(what))
            })?;
            Ok(user.map(|u| u as u64))
        })
    }

    fn load_user(&self, user: UserId) -> BoxFuture<'static, StoreResult<Loaded<UserState>>> {
        let store = self.clone();
        let what = format!("load user {user}");
        self.timed(what.clone(), async move {
            let id = user as i64;
            type AccountRow = (i16, i16, Option<i64>, Option<Vec<u8>>, Option<i64>);
            let account: Option<AccountRow> = with_conn!(store.dbs.common, &what, |conn| {
                accounts::table
                    .left_join(sessions::table.on(sessions::user_id.eq(accounts::user_id)))
                    .filter(accounts::user_id.eq(id))
                    .select((
                        accounts::gamedb_shard_no,
                        accounts::logdb_shard_no,
                        sessions::session_id.nullable(),
                        sessions::token_hash.nullable(),
                        sessions::expires_at_ms.nullable(),
                    ))
                    .first(conn)
                    .await
                    .optional()
                    .map_err(db(&what))
            })?;
            let Some((game, log, session_id, hash, expires)) = account else {
                return Err(StoreError::NotFound(what));
            };
            let shards = UserShards { game, log };
            let shard = store.shard(DbKind::Game, game)?;
            type Reply = Option<(i64, i64, Vec<u8>)>;
            let found: Option<(UserRow, Reply)> = with_conn!(shard, &what, |conn| {
                users::table
                    .left_join(last_replies::table.on(last_replies::user_id.eq(users::user_id)))
                    .filter(users::user_id.eq(id))
                    .select((
                        UserRow::as_select(),
                        (last_replies::session_id, last_replies::seq, last_replies::response).nullable(),
                    ))
                    .first(conn)
                    .await
                    .optional()
                    .map_err(db(&what))
            })?;
            let (row, reply) = found.ok_or_else(|| StoreError::NotFound(what.clone()))?;
            let session = match (session_id, hash, expires) {
                (Some(session_id), Some(hash), Some(expires_at_ms)) => <[u8; 32]>::try_from(hash)
                    .ok()
                    .map(|h| Session { id: session_id as u64, token_hash: TokenHash(h), expires_at_ms }),
                _ => None,
            };
            let last_reply = reply.filter(|(_, seq, _)| *seq > 0).map(|(session_id, seq, bytes)| StoredReply {
                session_id: session_id as u64,
                seq: seq as u64,
                bytes,
            });
            Ok(Loaded { state: row.into_state(shards), session, last_reply })
        })
    }

    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<UserState>>> {
        let store = self.clone();
        let what = "load profiles";
        self.timed(what.into(), async move {
            let ids: Vec<i64> = users.iter().map(|&u| u as i64).collect();
            let placed: Vec<(i64, i16, i16)> = with_conn!(store.dbs.common, what, |conn| {
                accounts::table
                    .filter(accounts::user_id.eq_any(&ids))
                    .select((accounts::user_id, accounts::gamedb_shard_no, accounts::logdb_shard_no))
                    .load(conn)
                    .await
                    .map_err(db(what))
            })?;
            let mut by_shard: HashMap<i16, Vec<(i64, UserShards)>> = HashMap::new();
            for (id, game, log) in placed {
                by_shard.entry(game).or_default().push((id, UserShards { game, log }));
            }
            let mut out = Vec::with_capacity(users.len());
            for (shard_no, members) in by_shard {
                let shard = store.shard(DbKind::Game, shard_no)?;
                let ids: Vec<i64> = members.iter().map(|(id, _)| *id).collect();
                let rows: Vec<UserRow> = with_conn!(shard, what, |conn| {
                    users::table
                        .filter(users::user_id.eq_any(&ids))
                        .select(UserRow::as_select())
                        .load(conn)
                        .await
                        .map_err(db(what))
                })?;
                let shards: HashMap<i64, UserShards> = members.into_iter().collect();
                out.extend(rows.into_iter().map(|r| {
                    let placed = shards.get(&r.user_id).copied().unwrap_or_default();
                    r.into_state(placed)
                }));
            }
            Ok(out)
        })
    }

    fn commit(
        &self,
        user: UserId,
        shards: UserShards,
        commit: Commit<Vec<Write>>,
    ) -> BoxFuture<'static, StoreResult<()>> {
        let router = self.router.clone();
        let what = format!("commit for user {user}");
        self.timed(what.clone(), async move {
            let Commit { writes, reply } = commit;
            let (logs, writes): (Vec<Write>, Vec<Write>) =
                writes.into_iter().partition(|w| matches!(w, Write::ActionLog(_)));
            let job = Job { user: user as i64, writes, reply: Some(reply) };
            router.send(Submit { kind: DbKind::Game, shard_no: shards.game, job }).await.map_err(db(&what))??;
            if !logs.is_empty() {
                // The change is durable and will be acknowledged; the log shard is another
                // database, so a failed log write is reported, not turned into a failed request.
                let job = Job { user: user as i64, writes: logs, reply: None };
                match router.send(Submit { kind: DbKind::Log, shard_no: shards.log, job }).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(user.id = user, error = %e, "action log not written"),
                    Err(e) => tracing::error!(user.id = user, error = %e, "action log not written"),
                }
            }
            Ok(())
        })
    }

    fn append_logs(&self, shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>> {
        let router = self.router.clone();
        let what = "append action logs".to_owned();
        self.timed(what.clone(), async move {
            let Some(user) = logs.as_slice().first().map(|l| l.user_id as i64) else { return Ok(()) };
            let job = Job { user, writes: logs.into_iter().map(Write::ActionLog).collect(), reply: None };
            router.send(Submit { kind: DbKind::Log, shard_no: shards.log, job }).await.map_err(db(&what))?
        })
    }

    fn ping(&self) -> BoxFuture<'static, StoreResult<()>> {
        let dbs = self.dbs.clone();
        self.timed("check the databases".into(), async move {
            let all = [&dbs.common, &dbs.clan].into_iter().chain(dbs.game.values()).chain(dbs.log.values());
            for database in all {
                let what = format!("reach {}", database.location);
                with_conn!(database, &what, |conn| {
                    diesel::select(1i32.into_sql::<diesel::sql_types::Integer>())
                        .get_result::<i32>(conn)
                        .await
                        .map(|_| ())
                        .map_err(db(&what))
                })?;
            }
            Ok(())
        })
    }

    fn flush(&self) -> BoxFuture<'static, StoreResult<()>> {
        let router = self.router.clone();
        Box::pin(async move {
            router
                .send(crate::storage::persistence::FlushAll)
                .await
                .map_err(|e| StoreError::Database("flush queued writes".into(), e.to_string()))
        })
    }

    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>> {
        let store = self.clone();
        let what = format!("save session of user {user}");
        self.timed(what.clone(), async move {
            let (session_id, hash, expires) = match &session {
                Some(s) => (s.id as i64, Some(s.token_hash.0.to_vec()), s.expires_at_ms),
                None => (0, None, 0),
            };
            let n = with_conn!(store.dbs.common, &what, |conn| {
                diesel::update(sessions::table.find(user as i64))
                    .set((
                        sessions::session_id.eq(session_id),
                        sessions::token_hash.eq(&hash),
                        sessions::expires_at_ms.eq(expires),
                    ))
                    .execute(conn)
                    .await
                    .map_err(db(&what))
            })?;
            if n == 0 {
                return Err(StoreError::NotFound(what));
            }
            Ok(())
        })
    }
}
