//! Users as their actors load them (account, current session, state and last reply: one
//! read of the common database and one of the game shard), profiles of many users at once
//! (one query per shard touched), and the sessions table: a token's user, a session saved.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::{ExpressionMethods, JoinOnDsl, NullableExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
use diesel_async::RunQueryDsl;
use summoner_actors::{Loaded, Session, StoredReply, TokenHash, UserId};

use super::{Databases, DbStore, db};
use crate::game::state::{UserShards, UserState};
use crate::storage::db::DbKind;
use crate::storage::rows::UserRow;
use crate::storage::schema::{accounts, last_replies, sessions, users};
use crate::storage::{StoreError, StoreResult};
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

/// A user's state, session and last reply.
pub(super) async fn load_user(store: DbStore, user: UserId) -> StoreResult<Loaded<UserState>> {
    let what = format!("load user {user}");
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
        (Some(session_id), Some(hash), Some(expires_at_ms)) => <[u8; 32]>::try_from(hash).ok().map(|h| Session {
            id: session_id as u64,
            token_hash: TokenHash(h),
            expires_at_ms,
        }),
        _ => None,
    };
    let last_reply = reply.filter(|(_, seq, _)| *seq > 0).map(|(session_id, seq, bytes)| StoredReply {
        session_id: session_id as u64,
        seq: seq as u64,
        bytes,
    });
    Ok(Loaded { state: row.into_state(shards), session, last_reply })
}

/// The states of `users`, batched per game shard.
pub(super) async fn load_profiles(store: DbStore, users: Vec<UserId>) -> StoreResult<Vec<UserState>> {
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
}

/// Stores `session` as the user's current one (None: no session).
pub(super) async fn save_session(dbs: Arc<Databases>, user: UserId, session: Option<Session>) -> StoreResult<()> {
    let what = format!("save session of user {user}");
    let (session_id, hash, expires) = match &session {
        Some(s) => (s.id as i64, Some(s.token_hash.0.to_vec()), s.expires_at_ms),
        None => (0, None, 0),
    };
    let n = with_conn!(dbs.common, &what, |conn| {
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
}
