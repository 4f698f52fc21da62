//! What the operators' console reads and writes: profiles found by a nickname prefix on every
//! game shard, the deliveries a user sent that still wait in their outbox, and the operator
//! audit log in the common database.

use futures_util::future::try_join_all;
use summoner_actors::UserId;

use super::clans::like_prefix;
use super::{DbStore, db, registration};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::rows::{ColType, Row, RowReader, Value};
use crate::storage::sql::{self, Bind, Dialect, Statement};
use crate::storage::tables::{OPERATOR_ACTIONS, OUTBOX, USERS};
use crate::storage::{FoundProfile, OperatorActionQuery, OperatorActionRow, StoreError, StoreResult};
use crate::with_conn;

/// The nickname condition of a search: a case-insensitive prefix match each backend can
/// answer from its index (`migrations/<backend>/game/*_nickname_search`), folding case its
/// own way on both sides: PostgreSQL by `lower()` (under the database's collation) with an
/// index on `lower(nickname)`; MySQL under the column's case-insensitive collation (whose
/// default also ignores accents); SQLite by its LIKE, which folds ASCII letters only, with a
/// `NOCASE` index.
fn nickname_matches(dialect: Dialect) -> (&'static str, &'static str) {
    match dialect {
        Dialect::Postgres => (" WHERE lower(nickname) LIKE lower(", ")"),
        Dialect::Mysql | Dialect::Sqlite => (" WHERE nickname LIKE ", ""),
    }
}

pub(super) async fn search_nicknames(
    store: DbStore,
    prefix: String,
    after: UserId,
    limit: usize,
) -> StoreResult<Vec<FoundProfile>> {
    let what = "search nicknames";
    let pattern = Value::Text(like_prefix(&prefix));
    let after = Value::uint(after);
    let searches = store.dbs.game.iter().map(|(no, shard)| {
        let (pattern, after, no) = (&pattern, &after, *no);
        async move {
            let rows = with_conn!(shard, what, |conn| {
                let dialect = dialect_of(conn);
                let mut s = Statement::new(dialect, sql::select(dialect, &USERS));
                let (open, close) = nickname_matches(dialect);
                s.push(open).param(Bind::Value(ColType::Text, pattern));
                s.push(close).push(" ESCAPE '!' AND user_id > ").param(Bind::Value(ColType::BigInt, after));
                s.push(" ORDER BY user_id LIMIT ").param(Bind::Int(limit as i64));
                conn.rows(s).await.map_err(db(what))
            })?;
            Ok::<_, StoreError>(rows.into_iter().map(|row| FoundProfile { game_shard: no, row }).collect::<Vec<_>>())
        }
    });
    let mut found: Vec<FoundProfile> = try_join_all(searches).await?.into_iter().flatten().collect();
    // Ids are stored as their 64-bit pattern; compared as stored, as each shard ordered them.
    found.sort_by_key(|f| match f.row.first() {
        Some(Value::Int(id)) => *id as u64,
        _ => 0,
    });
    found.truncate(limit);
    Ok(found)
}

pub(super) async fn outbox_of(store: DbStore, user: UserId, limit: usize) -> StoreResult<Vec<Row>> {
    let what = "read a user's outbox";
    let shards = registration::shards_of(&store.dbs.common, user as i64).await?;
    let shards = shards.ok_or_else(|| StoreError::NotFound(format!("user {user}")))?;
    let shard = store.shard(crate::storage::db::DbKind::Game, shards.game)?;
    let user = Value::uint(user);
    // The outbox holds only what its courier has not carried yet (seconds' worth), so the
    // sender's rows are found without an index of their own.
    with_conn!(shard, what, |conn| {
        let dialect = dialect_of(conn);
        let mut s = Statement::new(dialect, sql::select(dialect, &OUTBOX));
        s.push(" WHERE sender_id = ").param(Bind::Value(ColType::BigInt, &user));
        s.push(" ORDER BY delivery_id LIMIT ").param(Bind::Int(limit as i64));
        conn.rows(s).await.map_err(db(what))
    })
}

pub(super) async fn record_operator_action(store: DbStore, action: OperatorActionRow) -> StoreResult<()> {
    let what = "record an operator action";
    let row = operator_action_row(&action);
    with_conn!(store.dbs.common, what, |conn| {
        for statement in sql::insert(dialect_of(conn), &OPERATOR_ACTIONS, &[(&row, 0)]) {
            conn.exec(statement).await.map_err(db(what))?;
        }
        Ok(())
    })
}

pub(super) async fn finish_operator_action(
    store: DbStore,
    action_id: u64,
    outcome: String,
    finished_at_ms: i64,
) -> StoreResult<()> {
    let what = "record an operator action's outcome";
    let (id, outcome, at) = (Value::uint(action_id), Value::Text(outcome), Value::Int(finished_at_ms));
    let updated = with_conn!(store.dbs.common, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), "UPDATE operator_actions SET outcome = ");
        s.param(Bind::Value(ColType::Text, &outcome));
        s.push(", finished_at_ms = ").param(Bind::Value(ColType::BigInt, &at));
        s.push(" WHERE action_id = ").param(Bind::Value(ColType::BigInt, &id));
        conn.exec(s).await.map_err(db(what))
    })?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!("operator action {action_id}")));
    }
    Ok(())
}

pub(super) async fn operator_actions(
    store: DbStore,
    query: OperatorActionQuery,
) -> StoreResult<Vec<OperatorActionRow>> {
    let what = "read the operator audit log";
    let before = Value::uint(query.before.min(i64::MAX as u64));
    let user = query.user.map(Value::uint);
    let rows = with_conn!(store.dbs.common, what, |conn| {
        let dialect = dialect_of(conn);
        let mut s = Statement::new(dialect, sql::select(dialect, &OPERATOR_ACTIONS));
        s.push(" WHERE action_id < ").param(Bind::Value(ColType::BigInt, &before));
        if let Some(user) = &user {
            s.push(" AND user_id = ").param(Bind::Value(ColType::BigInt, user));
        }
        s.push(" ORDER BY action_id DESC LIMIT ").param(Bind::Int(query.limit as i64));
        conn.rows(s).await.map_err(db(what))
    })?;
    rows.iter().map(|row| operator_action(row).map_err(|e| StoreError::Database(what.into(), e.to_string()))).collect()
}

fn operator_action_row(a: &OperatorActionRow) -> Row {
    vec![
        Value::uint(a.action_id),
        Value::Int(a.at_ms),
        Value::Text(a.operator.clone()),
        Value::Text(a.action.clone()),
        Value::uint(a.user_id),
        Value::Text(a.reason.clone()),
        Value::Text(a.detail.clone()),
        Value::Text(a.outcome.clone()),
        Value::Int(a.finished_at_ms),
    ]
}

/// A row of `operator_actions` as read back.
fn operator_action(row: &Row) -> Result<OperatorActionRow, crate::storage::rows::RowError> {
    let mut r = RowReader::new(&OPERATOR_ACTIONS, row)?;
    Ok(OperatorActionRow {
        action_id: r.uint()?,
        at_ms: r.int()?,
        operator: r.text()?,
        action: r.text()?,
        user_id: r.uint()?,
        reason: r.text()?,
        detail: r.text()?,
        outcome: r.text()?,
        finished_at_ms: r.int()?,
    })
}
