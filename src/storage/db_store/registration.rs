//! Accounts in the common database: registration (account, sign-in id, empty session row
//! in one transaction; the user's profile row on its game shard after), a sign-up (the same
//! with the first session in the row and the profile row owned by the signing-up node,
//! group-committed with others: `sign_ups`) and finding an account.

use diesel::result::Error as DieselError;
use diesel::{BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl, TextExpressionMethods};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::sign_ups::{NewAccount, Written};
use super::{DbStore, db, is_unique_violation};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::{Db, DbKind};
use crate::storage::rows::{Row, Value};
use crate::storage::schema::{account_auth, accounts, sessions};
use crate::storage::sql;
use crate::storage::tables::USERS;
use crate::storage::{ActionLog, AuthId, Registered, SignUp, SignedUp, StoreError, StoreResult, UserShards};
use crate::with_conn;

/// Registers `auth`, or finds its registration: see [`crate::storage::Store::register`].
pub(super) async fn register(store: DbStore, auth: AuthId, profile: Row, now_ms: i64) -> StoreResult<Registered> {
    let with_id = |user_id: i64| {
        let mut row = profile.clone();
        if let Some(first) = row.first_mut() {
            *first = Value::Int(user_id);
        }
        row
    };
    // Two rounds at most: a concurrent Register of the same id wins the first.
    for _ in 0..2 {
        if let Some(user_id) = account_of(&store.dbs.common, &auth).await? {
            let shards = shards_of(&store.dbs.common, user_id).await?.unwrap_or_default();
            ensure_user_rows(&store.shard(DbKind::Game, shards.game)?, &with_id(user_id)).await?;
            return Ok(Registered { user_id: user_id as u64, created: false, shards });
        }
        let user_id = store.ids.next_id() as i64;
        let shards =
            UserShards { game: store.placement.place(DbKind::Game)?, log: store.placement.place(DbKind::Log)? };
        let created = create_account(&store, &auth, user_id, shards, now_ms).await?;
        if created.is_ok() {
            ensure_user_rows(&store.shard(DbKind::Game, shards.game)?, &with_id(user_id)).await?;
            return Ok(Registered { user_id: user_id as u64, created: true, shards });
        }
    }
    Err(StoreError::Database("register".into(), "the sign-in id is being registered concurrently".into()))
}

/// Signs a player up with their first session: see [`crate::storage::Store::sign_up`].
pub(super) async fn sign_up(store: DbStore, sign_up: SignUp) -> StoreResult<Option<SignedUp>> {
    let SignUp { auth, mut profile, session, node, logs, now_ms } = sign_up;
    // No read first: the caller looked the id up, and the sign-in id's unique key answers a
    // registration alongside.
    let user_id = store.ids.next_id() as i64;
    let shards = UserShards { game: store.placement.place(DbKind::Game)?, log: store.placement.place(DbKind::Log)? };
    if let Some(first) = profile.first_mut() {
        *first = Value::Int(user_id);
    }
    let logs = logs
        .into_iter()
        .map(|log| super::log_row(store.ids.next_id(), ActionLog { user_id: user_id as u64, ..log }, Some(shards.log)))
        .collect();
    let node = Value::Int(i64::from(node));
    let account = NewAccount { auth, user_id, shards, session, profile: profile.clone(), node, logs, now_ms };
    let as_sent = match super::sign_ups::sign_up(store, account).await? {
        // Registered alongside: that sign-up's account stands; this one logs in to it.
        Written::Taken => return Ok(None),
        Written::AsSent => true,
        Written::NotAsSent => false,
    };
    Ok(Some(SignedUp { user_id: user_id as u64, shards, epoch: 1, profile, as_sent }))
}

/// Creates the account `user_id` of `auth` on `shards`: account, sign-in id and an empty
/// session row in one transaction. A unique violation (the id registered alongside) is
/// answered as `Err(())`, its placement given back; any other failure as the store's error.
async fn create_account(
    store: &DbStore,
    auth: &AuthId,
    user_id: i64,
    shards: UserShards,
    now_ms: i64,
) -> StoreResult<Result<(), ()>> {
    let what = "create an account";
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
        Ok(()) => Ok(Ok(())),
        Err(e) => {
            store.placement.unplace(DbKind::Game, shards.game);
            store.placement.unplace(DbKind::Log, shards.log);
            if is_unique_violation(&e) { Ok(Err(())) } else { Err(db(what)(e)) }
        }
    }
}

/// The user's shards, from the common database.
pub(super) async fn shards_of(common: &Db, user: i64) -> StoreResult<Option<UserShards>> {
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

/// Creates the user's profile row on its game shard unless it exists ("already there"
/// counts as done, so a Register retried after any failure completes it). A plain insert, no
/// read first: SQLite cannot upgrade a read lock without failing under concurrent writers.
async fn ensure_user_rows(game: &Db, profile: &Row) -> StoreResult<()> {
    let what = "create the user on its game shard";
    with_conn!(game, what, |conn| {
        for statement in sql::insert(dialect_of(conn), &USERS, &[(profile, 0)]) {
            match conn.exec(statement).await {
                Err(e) if is_unique_violation(&e) => {}
                other => {
                    other.map_err(db(what))?;
                }
            }
        }
        Ok(())
    })
}

/// Sign-in ids of `provider` stored before they were hashed are replaced by `rekey(id)`
/// (what a lookup computes from the id a client sends); ids already starting with
/// `hashed_prefix` are left. Answers how many were replaced. Idempotent: start-up runs it once
/// per database (a step recorded in `maintenance_steps`), and nodes starting at once may each run it.
pub(crate) async fn rekey_auth_ids(
    common: &Db,
    provider: &str,
    hashed_prefix: &str,
    rekey: fn(&str) -> String,
) -> StoreResult<usize> {
    let what = "hash stored sign-in ids";
    let pattern = format!("{hashed_prefix}%");
    let mut replaced = 0;
    loop {
        let legacy: Vec<String> = with_conn!(common, what, |conn| {
            account_auth::table
                .filter(account_auth::provider.eq(provider).and(account_auth::auth_id.not_like(&pattern)))
                .select(account_auth::auth_id)
                .limit(500)
                .load::<String>(conn)
                .await
                .map_err(db(what))
        })?;
        if legacy.is_empty() {
            return Ok(replaced);
        }
        for id in legacy {
            let hashed = rekey(&id);
            with_conn!(common, what, |conn| {
                diesel::update(account_auth::table)
                    .filter(account_auth::provider.eq(provider).and(account_auth::auth_id.eq(&id)))
                    .set(account_auth::auth_id.eq(&hashed))
                    .execute(conn)
                    .await
                    .map_err(db(what))
            })?;
            replaced += 1;
        }
    }
}

/// Finds the account of `auth`.
pub(super) async fn account_of(common: &Db, auth: &AuthId) -> StoreResult<Option<i64>> {
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
