//! Reading the action logs back: one page of one action's rows from every log shard, or
//! from the user's own when an audit is about one user (audits); one page of a user's own
//! rows, newest first (their history).

use summoner_actors::UserId;

use super::{DbStore, db, registration};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::rows::{RowReader, Value};
use crate::storage::sql;
use crate::storage::tables::ACTION_LOG;
use crate::storage::{LoggedAction, StoreError, StoreResult, UserLogQuery};
use crate::with_conn;

pub(super) async fn scan_logs(
    store: DbStore,
    action: String,
    user: Option<UserId>,
    after: u64,
    limit: usize,
) -> StoreResult<Vec<LoggedAction>> {
    let what = "scan the action log";
    let shards: Vec<i16> = match user {
        Some(user) => {
            let placed = registration::shards_of(&store.dbs.common, user as i64).await?;
            vec![placed.ok_or_else(|| StoreError::NotFound(format!("user {user}")))?.log]
        }
        None => store.dbs.log.keys().copied().collect(),
    };
    let (action_value, after_value) = (Value::Text(action), Value::uint(after));
    let user_value = user.map(Value::uint);
    let mut out = Vec::new();
    for no in shards {
        let shard = store.shard(crate::storage::db::DbKind::Log, no)?;
        let rows = with_conn!(shard, what, |conn| {
            let statement = sql::select_logs(dialect_of(conn), &action_value, user_value.as_ref(), &after_value, limit);
            conn.rows(statement).await.map_err(db(what))
        })?;
        for row in &rows {
            out.push(logged(row).map_err(|e| StoreError::Database(what.into(), e.to_string()))?);
        }
    }
    out.sort_by_key(|l| l.log_id);
    out.truncate(limit);
    Ok(out)
}

/// A row of `action_log` as read back.
pub(super) fn logged(row: &crate::storage::rows::Row) -> Result<LoggedAction, crate::storage::rows::RowError> {
    let mut r = RowReader::new(&ACTION_LOG, row)?;
    Ok(LoggedAction {
        log_id: r.uint()?,
        user_id: r.uint()?,
        action: r.text()?,
        params: r.text()?,
        result: r.text()?,
        at_ms: r.int()?,
    })
}

pub(super) async fn user_logs(store: DbStore, query: UserLogQuery) -> StoreResult<Vec<LoggedAction>> {
    let what = "read a user's action log";
    let shard = store.shard(crate::storage::db::DbKind::Log, query.log_shard)?;
    let user = Value::uint(query.user);
    let actions: Vec<Value> = query.actions.iter().cloned().map(Value::Text).collect();
    let before = Value::uint(query.before.min(i64::MAX as u64));
    let (from, to) = (Value::Int(query.from_ms), Value::Int(query.to_ms));
    let params = query.params.map(Value::Text);
    let rows = with_conn!(shard, what, |conn| {
        let statement = sql::select_user_logs(
            dialect_of(conn),
            &user,
            &actions,
            &before,
            (&from, &to),
            params.as_ref(),
            query.limit,
        );
        conn.rows(statement).await.map_err(db(what))
    })?;
    rows.iter().map(|row| logged(row).map_err(|e| StoreError::Database(what.into(), e.to_string()))).collect()
}
