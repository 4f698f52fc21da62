//! Users as their actors load them (account and current session from the common database;
//! profile, last reply and entity rows from the game shard in one locking transaction),
//! profiles of many users at once (one query per shard touched), and the sessions table: a
//! token's user, a session saved.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::result::Error as DieselError;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, NullableExpressionMethods, OptionalExtension, QueryDsl,
};
use diesel_async::{AsyncConnection, RunQueryDsl};
use summoner_actors::{Loaded, Session, StoredReply, TokenHash, UserId};

use super::{Databases, DbStore, db};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::DbKind;
use crate::storage::nodes::OwnerClaim;
use crate::storage::router::Settle;
use crate::storage::rows::{Row, TableDef, Value};
use crate::storage::schema::{accounts, sessions};
use crate::storage::sql::{self, Dialect, Statement};
use crate::storage::tables::{LAST_REPLIES, USERS};
use crate::storage::{ProfileRow, StoreError, StoreResult, UserRows, UserShards};
use crate::with_conn;

/// The user whose current session has `token`.
pub(super) async fn user_for_token(dbs: Arc<Databases>, token: TokenHash) -> StoreResult<Option<UserId>> {
    let what = "look up a session";
    let user: Option<i64> = with_conn!(dbs.common, what, |conn| {
        sessions::table
            .filter(sessions::token_hash.eq(token.0.to_vec()))
            .select(sessions::user_id)
            .first(conn)
            .await
            .optional()
            .map_err(db(what))
    })?;
    Ok(user.map(|u| u as u64))
}

/// A user's rows, session and last reply: the account and session from the common
/// database; then, once the user's earlier writes are decided ([`Settle`]), one transaction
/// on the game shard that locks the user's row (waiting for any transaction still holding
/// it, such as a batch abandoned past its time bound) and reads the profile, the last reply
/// and `tables`.
///
/// With a `claim`, the read is an activation: under the lock, unless another live node owns
/// the user (answered as `Err(node)`, nothing changed), the owner epoch is raised and this
/// node recorded as the owner, in the same transaction as the read.
pub(super) async fn load_user(
    store: DbStore,
    user: UserId,
    tables: &'static [&'static TableDef],
    claim: Option<OwnerClaim>,
) -> StoreResult<Result<(Loaded<UserRows>, i64), u16>> {
    let what = format!("load user {user}");
    let id = user as i64;
    type AccountRow = (i16, i16, Option<i64>, Option<Vec<u8>>, Option<i64>, Option<i64>, Option<i64>);
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
                sessions::ended_at_ms.nullable(),
                sessions::ended_by_seq.nullable(),
            ))
            .first(conn)
            .await
            .optional()
            .map_err(db(&what))
    })?;
    let Some((game, log, session_id, hash, expires, ended, ended_by)) = account else {
        return Err(StoreError::NotFound(what));
    };
    let shards = UserShards { game, log };
    // A reader has no queue to settle; it reads what is committed.
    if let Some(router) = &store.router {
        router.send(Settle { kind: DbKind::Game, shard_no: game, user: id }).await.map_err(db(&what))?;
    }
    let shard = store.shard(DbKind::Game, game)?;
    let claim = claim.as_ref();
    let read = with_conn!(shard, &what, |conn| {
        let read = if dialect_of(conn) == Dialect::Sqlite {
            read_sqlite(conn, id, tables, claim).await
        } else {
            conn.transaction::<_, DieselError, _>(async |conn| read_user(conn, id, tables, claim).await).await
        };
        read.map_err(db(&what))
    })?;
    let UserRead { epoch, from, profile, reply, tables } = match read {
        Some(Read::Owned(read)) => read,
        Some(Read::OwnedBy(node)) => return Ok(Err(node)),
        None => return Err(StoreError::NotFound(what)),
    };
    let session = match (session_id, hash, expires) {
        (Some(session_id), Some(hash), Some(expires_at_ms)) => <[u8; 32]>::try_from(hash).ok().map(|h| Session {
            id: session_id as u64,
            token_hash: TokenHash(h),
            expires_at_ms,
            ended_at_ms: ended.filter(|at| *at > 0),
            ended_by_seq: ended_by.unwrap_or(0) as u64,
        }),
        _ => None,
    };
    // The actor keeps a reply only for its own session, whatever seq it has.
    let last_reply = reply.and_then(|row| match row.as_slice() {
        [_, Value::Int(session_id), Value::Int(seq), Value::Bytes(bytes)] => {
            Some(StoredReply { session_id: *session_id as u64, seq: *seq as u64, bytes: bytes.clone() })
        }
        _ => None,
    });
    Ok(Ok((Loaded { state: UserRows { shards, epoch, profile, tables }, session, last_reply }, from)))
}

/// What reading a user under its lock found.
enum Read {
    Owned(UserRead),
    /// Another live node owns the user.
    OwnedBy(u16),
}

/// What one activation reads of a user on its game shard.
struct UserRead {
    epoch: i64,
    /// The node that owned the user before this read took it over (-1: none, or no claim).
    from: i64,
    profile: Row,
    reply: Option<Row>,
    tables: Vec<Vec<Row>>,
}

/// SQLite reads the user in a transaction that first takes the database's write lock
/// (`BEGIN IMMEDIATE`: it waits for a writer, then reads without writing, so it costs no
/// commit to disk); elsewhere `read_user`'s `FOR UPDATE` takes the user's row lock.
async fn read_sqlite<C: SqlConn>(
    conn: &mut C,
    user: i64,
    tables: &'static [&'static TableDef],
    claim: Option<&OwnerClaim>,
) -> Result<Option<Read>, DieselError> {
    // On failure the lease closes the connection, which ends the transaction either way.
    conn.exec(Statement::new(C::DIALECT, "BEGIN IMMEDIATE")).await?;
    let read = read_user(conn, user, tables, claim).await;
    conn.exec(Statement::new(C::DIALECT, if read.is_ok() { "COMMIT" } else { "ROLLBACK" })).await?;
    read
}

async fn read_user<C: SqlConn>(
    conn: &mut C,
    user: i64,
    tables: &'static [&'static TableDef],
    claim: Option<&OwnerClaim>,
) -> Result<Option<Read>, DieselError> {
    let ids = [Value::Int(user)];
    let fence = conn.rows(sql::fence(C::DIALECT, &ids)).await?;
    let Some([_, Value::Int(epoch)]) = <[_]>::first(&fence).map(Vec::as_slice) else {
        return Ok(None);
    };
    let (mut epoch, mut from) = (*epoch, -1);
    if let Some(claim) = claim {
        let owner = conn.rows(sql::owner(C::DIALECT, &ids[0])).await?;
        let Some([Value::Int(node), Value::Int(owner_epoch)]) = <[_]>::first(&owner).map(Vec::as_slice) else {
            return Ok(None);
        };
        from = *node;
        if let Some(owner) = u16::try_from(*node).ok().and_then(|n| claim.kept_by(n, *owner_epoch)) {
            return Ok(Some(Read::OwnedBy(owner)));
        }
        let me = Value::Int(i64::from(claim.node));
        conn.exec(sql::take_over(C::DIALECT, &ids[0], &me)).await?;
        epoch += 1;
    }
    // The row lock is held: the rest is read in one go (pipelined where the backend can).
    let selects = [&USERS, &LAST_REPLIES].into_iter().chain(tables.iter().copied());
    let mut read = conn.rows_all(selects.map(|t| sql::select_users(C::DIALECT, t, &ids)).collect()).await?.into_iter();
    let (Some(mut profile), Some(mut reply)) = (read.next(), read.next()) else { return Ok(None) };
    let Some(profile) = profile.pop() else { return Ok(None) };
    Ok(Some(Read::Owned(UserRead { epoch, from, profile, reply: reply.pop(), tables: read.collect() })))
}

/// The node that owns `user` and the owner epoch, as committed; None: no such user.
pub(super) async fn owner_of(store: DbStore, user: UserId) -> StoreResult<Option<(i64, i64)>> {
    let what = format!("read the owner of user {user}");
    let Some(shards) = super::registration::shards_of(&store.dbs.common, user as i64).await? else {
        return Ok(None);
    };
    let shard = store.shard(DbKind::Game, shards.game)?;
    let id = Value::Int(user as i64);
    let rows = with_conn!(shard, &what, |conn| conn.rows(sql::owner(dialect_of(conn), &id)).await.map_err(db(&what)))?;
    Ok(match <[_]>::first(&rows).map(Vec::as_slice) {
        Some([Value::Int(node), Value::Int(epoch)]) => Some((*node, *epoch)),
        _ => None,
    })
}

/// A user's profile and `tables` as committed, without a lock: one look-up of the shard,
/// then the selects on it.
pub(super) async fn peek_user(
    store: DbStore,
    user: UserId,
    tables: &'static [&'static TableDef],
) -> StoreResult<Option<UserRows>> {
    let what = format!("read user {user}");
    let Some(shards) = super::registration::shards_of(&store.dbs.common, user as i64).await? else {
        return Ok(None);
    };
    let shard = store.shard(DbKind::Game, shards.game)?;
    let ids = [Value::Int(user as i64)];
    let read = with_conn!(shard, &what, |conn| {
        let selects = [&USERS].into_iter().chain(tables.iter().copied());
        let statements = selects.map(|t| sql::select_users(dialect_of(conn), t, &ids)).collect();
        conn.rows_all(statements).await.map_err(db(&what))
    })?;
    let mut read = read.into_iter();
    let Some(profile) = read.next().and_then(|mut rows| rows.pop()) else { return Ok(None) };
    Ok(Some(UserRows { shards, epoch: 0, profile, tables: read.collect() }))
}

/// The user's `tables` on game shard `game`, without a lock, in one pipelined go; None when
/// the shard has no `users` row of theirs (the existence check rides in the same statement
/// list, so a user's absence is told apart from empty tables).
pub(super) async fn tables_on(
    store: DbStore,
    user: UserId,
    game: i16,
    tables: &'static [&'static TableDef],
) -> StoreResult<Option<Vec<Vec<Row>>>> {
    let what = format!("read the tables of user {user}");
    let shard = store.shard(DbKind::Game, game)?;
    let ids = [Value::Int(user as i64)];
    let read = with_conn!(shard, &what, |conn| {
        let dialect = dialect_of(conn);
        let statements = std::iter::once(sql::owner(dialect, &ids[0]))
            .chain(tables.iter().map(|t| sql::select_users(dialect, t, &ids)))
            .collect();
        conn.rows_all(statements).await.map_err(db(&what))
    })?;
    let mut read = read.into_iter();
    if read.next().is_none_or(|found| found.is_empty()) {
        return Ok(None);
    }
    Ok(Some(read.collect()))
}

/// The profile rows of `users`, batched per game shard.
pub(super) async fn load_profiles(store: DbStore, users: Vec<UserId>) -> StoreResult<Vec<ProfileRow>> {
    let what = "load profiles";
    let ids: Vec<i64> = users.iter().map(|&u| u as i64).collect();
    let placed: Vec<(i64, i16, i16)> = with_conn!(store.dbs.common, what, |conn| {
        accounts::table
            .filter(accounts::user_id.eq_any(&ids))
            .select((accounts::user_id, accounts::gamedb_shard_no, accounts::logdb_shard_no))
            .load(conn)
            .await
            .map_err(db(what))
    })?;
    let mut by_shard: HashMap<i16, Vec<(i64, i16)>> = HashMap::new();
    for (id, game, log) in placed {
        by_shard.entry(game).or_default().push((id, log));
    }
    profiles_on(&store, by_shard).await
}

/// The profile rows of users on known game shards (the log shard is not known: -1).
pub(super) async fn load_profiles_on(store: DbStore, users: Vec<(UserId, i16)>) -> StoreResult<Vec<ProfileRow>> {
    let mut by_shard: HashMap<i16, Vec<(i64, i16)>> = HashMap::new();
    for (user, game) in users {
        by_shard.entry(game).or_default().push((user as i64, -1));
    }
    profiles_on(&store, by_shard).await
}

/// One query per game shard: the profile rows of the users listed for it, with their log
/// shards.
async fn profiles_on(store: &DbStore, by_shard: HashMap<i16, Vec<(i64, i16)>>) -> StoreResult<Vec<ProfileRow>> {
    let what = "load profiles";
    let mut out = Vec::new();
    for (shard_no, members) in by_shard {
        let shard = store.shard(DbKind::Game, shard_no)?;
        let ids: Vec<Value> = members.iter().map(|(id, _)| Value::Int(*id)).collect();
        let rows = with_conn!(shard, what, |conn| {
            conn.rows(sql::select_users(dialect_of(conn), &USERS, &ids)).await.map_err(db(what))
        })?;
        let logs: HashMap<i64, i16> = members.into_iter().collect();
        out.extend(rows.into_iter().map(|row| {
            let id = match <[_]>::first(&row) {
                Some(Value::Int(id)) => *id,
                _ => 0,
            };
            let log = logs.get(&id).copied().unwrap_or(-1);
            ProfileRow { shards: UserShards { game: shard_no, log }, row }
        }));
    }
    Ok(out)
}

/// Stores `session` as the user's current one (None: no session).
pub(super) async fn save_session(dbs: Arc<Databases>, user: UserId, session: Option<Session>) -> StoreResult<()> {
    let what = format!("save session of user {user}");
    let (session_id, hash, expires, ended, ended_by) = match &session {
        Some(s) => (
            s.id as i64,
            Some(s.token_hash.0.to_vec()),
            s.expires_at_ms,
            s.ended_at_ms.unwrap_or(0),
            s.ended_by_seq as i64,
        ),
        None => (0, None, 0, 0, 0),
    };
    // A session once ended stays as it first ended: a renewal by an actor that has not heard
    // of the end (DeleteAccount ends it in its read step) does not bring it back, and ending
    // it again moves neither its time nor the request that ended it. A new login (another
    // session id) replaces it.
    let n = with_conn!(dbs.common, &what, |conn| {
        diesel::update(
            sessions::table
                .find(user as i64)
                .filter(sessions::session_id.ne(session_id).or(sessions::ended_at_ms.eq(0))),
        )
        .set((
            sessions::session_id.eq(session_id),
            sessions::token_hash.eq(&hash),
            sessions::expires_at_ms.eq(expires),
            sessions::ended_at_ms.eq(ended),
            sessions::ended_by_seq.eq(ended_by),
        ))
        .execute(conn)
        .await
        .map_err(db(&what))
    })?;
    if n == 0 && ended != 0 {
        // Ended already (or the account is gone): nothing more to store.
        return Ok(());
    }
    if n == 0 {
        return Err(StoreError::NotFound(what));
    }
    Ok(())
}
