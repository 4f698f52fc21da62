//! The clan database: a clan's rows, a member's clan, search by name prefix, the recorded
//! results of clan actions, and committing a change only if the clan's version is the one it
//! was decided on (optimistic: a change decided on an old read is refused as moved, nothing
//! written, and decided again on a fresh read).

use diesel::result::Error as DieselError;
use diesel_async::AsyncConnection;
use summoner_actors::UserId;

use super::{DbStore, db, is_unique_violation};
use crate::storage::batch::{self, Job};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::Db;
use crate::storage::rows::{ColType, Row, RowWrite, Value};
use crate::storage::sql::{self, Bind, Statement};
use crate::storage::tables::{CLAN_MEMBERS, CLAN_OPS, CLAN_REQUESTS, CLANS};
use crate::storage::{ClanCommit, ClanCommitError, ClanRows, StoreError, StoreResult};
use crate::with_conn;

pub(super) async fn clan(store: DbStore, clan_id: u64) -> StoreResult<Option<ClanRows>> {
    let what = format!("read clan {clan_id}");
    let ids = [Value::uint(clan_id)];
    let mut read = with_conn!(store.dbs.clan, &what, |conn| {
        let statements = [&CLANS, &CLAN_MEMBERS, &CLAN_REQUESTS]
            .into_iter()
            .map(|t| sql::select_users(dialect_of(conn), t, &ids))
            .collect();
        conn.rows_all(statements).await.map_err(db(&what))
    })?
    .into_iter();
    let (Some(mut clan), Some(members), Some(requests)) = (read.next(), read.next(), read.next()) else {
        return Err(StoreError::Database(what, "a read came back short".into()));
    };
    Ok(clan.pop().map(|clan| ClanRows { clan, members, requests }))
}

pub(super) async fn clan_of(store: DbStore, user: UserId) -> StoreResult<Option<u64>> {
    let what = "find a user's clan";
    let user = Value::uint(user);
    let rows = with_conn!(store.dbs.clan, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), "SELECT clan_id AS i0 FROM clan_members WHERE user_id = ");
        s.param(Bind::Value(ColType::BigInt, &user));
        s.cacheable = true;
        conn.rows(s).await.map_err(db(what))
    })?;
    Ok(rows.first().and_then(|r| match r.as_slice() {
        [Value::Int(id)] => Some(*id as u64),
        _ => None,
    }))
}

/// `prefix` as a LIKE pattern: `!` escapes the pattern's own characters.
pub(super) fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '!' | '%' | '_') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub(super) async fn search(store: DbStore, prefix: String, limit: usize) -> StoreResult<Vec<Row>> {
    let what = "search clans";
    let pattern = Value::Text(like_prefix(&prefix));
    with_conn!(store.dbs.clan, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), sql::select(dialect_of(conn), &CLANS));
        s.push(" WHERE name LIKE ");
        s.param(Bind::Value(ColType::Text, &pattern));
        s.push(" ESCAPE '!' ORDER BY name LIMIT ");
        s.param(Bind::Int(limit as i64));
        conn.rows(s).await.map_err(db(what))
    })
}

pub(super) async fn op(store: DbStore, user: UserId, session: u64, seq: u64) -> StoreResult<Option<Vec<u8>>> {
    let what = "read a clan action's result";
    let key = [Value::uint(user), Value::uint(session), Value::uint(seq)];
    let rows = with_conn!(store.dbs.clan, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), "SELECT result AS b0 FROM clan_ops WHERE user_id = ");
        s.param(Bind::Value(ColType::BigInt, &key[0]));
        s.push(" AND session_id = ");
        s.param(Bind::Value(ColType::BigInt, &key[1]));
        s.push(" AND seq = ");
        s.param(Bind::Value(ColType::BigInt, &key[2]));
        conn.rows(s).await.map_err(db(what))
    })?;
    Ok(rows.into_iter().next().and_then(|r| match r.into_iter().next() {
        Some(Value::Bytes(bytes)) => Some(bytes),
        _ => None,
    }))
}

/// Why the transaction ended without a commit.
enum Refused {
    Moved,
    Db(DieselError),
}

impl From<DieselError> for Refused {
    fn from(e: DieselError) -> Self {
        Refused::Db(e)
    }
}

pub(super) async fn commit(store: DbStore, change: ClanCommit) -> Result<(), ClanCommitError> {
    let what = format!("change clan {}", change.clan_id);
    let ClanCommit { clan_id, version, mut writes, op } = change;
    writes.push(RowWrite::Insert(&CLAN_OPS, op));
    let job = Job { user: 0, epoch: None, writes };
    let (id, expected) = (Value::uint(clan_id), version.map(Value::Int));
    let outcome: Result<Result<(), Refused>, StoreError> = with_conn!(store.dbs.clan, &what, |conn| {
        let run = conn
            .transaction::<_, Refused, _>(async |conn| {
                if let Some(expected) = &expected {
                    let mut s =
                        Statement::new(dialect_of(conn), "UPDATE clans SET version = version + 1 WHERE clan_id = ");
                    s.param(Bind::Value(ColType::BigInt, &id));
                    s.push(" AND version = ");
                    s.param(Bind::Value(ColType::BigInt, expected));
                    if conn.exec(s).await? != 1 {
                        return Err(Refused::Moved);
                    }
                }
                batch::write(conn, &[&job]).await?;
                Ok(())
            })
            .await;
        // The lease closes the connection only on an error of the database itself.
        match run {
            Ok(()) => Ok(Ok(())),
            Err(Refused::Moved) => Ok(Err(Refused::Moved)),
            Err(Refused::Db(e)) if is_unique_violation(&e) => Ok(Err(Refused::Db(e))),
            Err(Refused::Db(e)) => Err(StoreError::Database(what.clone(), e.to_string())),
        }
    });
    match outcome? {
        Ok(()) => Ok(()),
        Err(Refused::Moved) => Err(ClanCommitError::Moved),
        Err(Refused::Db(e)) => Err(ClanCommitError::Taken(e.to_string())),
    }
}

/// Withdraws `user`'s requests to join clans, moving each clan's version in the same
/// transaction: an approval decided on the clan as it was is decided again, without them.
pub(super) async fn withdraw_requests(clan: &Db, user: i64) -> StoreResult<u64> {
    let what = "withdraw a user's requests to join clans";
    let who = Value::Int(user);
    with_conn!(clan, what, |conn| {
        conn.transaction::<_, DieselError, _>(async |conn| {
            let dialect = dialect_of(conn);
            let mut bump = Statement::new(
                dialect,
                "UPDATE clans SET version = version + 1 WHERE clan_id IN \
                 (SELECT clan_id FROM clan_requests WHERE user_id = ",
            );
            bump.param(Bind::Value(ColType::BigInt, &who)).push(")");
            conn.exec(bump).await?;
            let mut delete = Statement::new(dialect, "DELETE FROM clan_requests WHERE user_id = ");
            delete.param(Bind::Value(ColType::BigInt, &who));
            conn.exec(delete).await.map(|n| n as u64)
        })
        .await
        .map_err(db(what))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_prefix_matches_itself_and_nothing_its_characters_would_stand_for() {
        assert_eq!(super::like_prefix("Red_Wolves 100%!"), "Red!_Wolves 100!%!!%");
    }
}
