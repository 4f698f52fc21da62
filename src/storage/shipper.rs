//! The action-log outbox of one game shard, shipped to the log shards: the [`LogRoute`] of a
//! [`Courier`] (`crate::storage::courier`), which holds the retry, batching and read-back
//! logic every outbox shares.
//!
//! A request's action-log rows are written to `log_outbox` in the same transaction as its
//! change (so the reply waits for one durable commit, and a log row exists exactly when the
//! change does). The shipper of the shard then copies them to each user's log shard
//! (`action_log`, keyed by `log_id`, so a copy made twice after a crash is one row) and
//! deletes them from the outbox, in rounds at most every [`LINGER`] while rows keep coming.
//! Rows for a log shard this node does not know wait in the outbox (logged at every sweep),
//! without holding up the others.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::courier::{Courier, Pace, Route};
use crate::storage::db::Db;
use crate::storage::nodes::GateSlot;
use crate::storage::rows::{ColType, Row, Value};
use crate::storage::sql::{self, Bind, Statement};
use crate::storage::tables::{ACTION_LOG, LOG_OUTBOX};
use crate::storage::{StoreError, StoreResult};
use crate::with_conn;

/// The pause after a round, so that one round ships the logs of many batches (each round is
/// a statement on the log shard and one on the game shard): the most a log row waits for
/// its round while rows keep coming.
pub const LINGER: Duration = Duration::from_millis(100);

/// Ships one game shard's action-log outbox.
pub type LogShipper = Courier<LogRoute>;

/// From one game shard's `log_outbox` to the `action_log` of each row's log shard.
pub struct LogRoute {
    game: Db,
    logs: BTreeMap<i16, Db>,
}

/// A shipper of `game`'s outbox to `logs`, each round at most `limit` long, reading the
/// outbox back every `sweep`.
pub fn log_shipper(
    game: Db,
    logs: BTreeMap<i16, Db>,
    label: &str,
    limit: Duration,
    sweep: Duration,
    gate: Arc<GateSlot>,
) -> LogShipper {
    let pace = Pace { limit, sweep, linger: LINGER };
    Courier::new(LogRoute { game, logs }, format!("{label} log outbox"), pace, lease_name(label), gate)
}

/// The work lease of the log shipper of game shard `label` (`game-1`).
pub fn lease_name(label: &str) -> String {
    format!("shipper:{label}")
}

impl Route for LogRoute {
    fn read(&self, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        let (game, logs) = (self.game.clone(), self.logs.clone());
        async move { read_outbox(&game, &logs, limit).await }.boxed()
    }

    fn carry(&self, rows: Vec<Row>) -> BoxFuture<'static, StoreResult<()>> {
        let (game, logs) = (self.game.clone(), self.logs.clone());
        async move {
            ship(&game, &logs, &rows).await?;
            crate::metrics::METRICS.logs_shipped.inc_by(rows.len() as u64);
            Ok(())
        }
        .boxed()
    }

    fn sweep(&self, _holds_lease: bool) -> BoxFuture<'static, bool> {
        report_stranded(self.game.clone(), self.logs.keys().copied().collect()).map(|()| false).boxed()
    }
}

/// The oldest rows of the outbox bound for the log shards in `logs` (rows for another shard
/// wait, and are logged).
async fn read_outbox(game: &Db, logs: &BTreeMap<i16, Db>, limit: usize) -> StoreResult<Vec<Row>> {
    let what = "read the action-log outbox";
    let shards: Vec<Value> = logs.keys().map(|no| Value::Int(i64::from(*no))).collect();
    with_conn!(game, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), sql::select(dialect_of(conn), &LOG_OUTBOX));
        s.push(" WHERE log_shard IN ");
        s.tuple_of(shards.iter().map(|v| Bind::Value(ColType::BigInt, v)));
        s.push(" ORDER BY log_id LIMIT ");
        s.param(Bind::Int(limit as i64));
        s.cacheable = true;
        conn.rows(s).await.map_err(crate::storage::db_store::db(what))
    })
}

/// An outbox row's log shard, and the row as `action_log` stores it: the outbox's columns
/// but the log shard.
pub(crate) fn logged(row: &Row) -> (i16, Row) {
    let place = LOG_OUTBOX.key.len() + LOG_OUTBOX.column("log_shard").unwrap_or(1);
    let shard = match row.get(place) {
        Some(Value::Int(no)) => i16::try_from(*no).unwrap_or(0),
        _ => 0,
    };
    (shard, row.iter().enumerate().filter(|(i, _)| *i != place).map(|(_, v)| v.clone()).collect())
}

/// Logs the outbox rows bound for a log shard this node does not know (they wait there).
async fn report_stranded(game: Db, logs: Vec<i16>) {
    let what = "count stranded action logs";
    let shards: Vec<Value> = logs.iter().map(|no| Value::Int(i64::from(*no))).collect();
    let counted = with_conn!(game, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), "SELECT COUNT(*) AS i0 FROM log_outbox WHERE log_shard NOT IN ");
        s.tuple_of(shards.iter().map(|v| Bind::Value(ColType::BigInt, v)));
        conn.rows(s).await.map_err(crate::storage::db_store::db(what))
    });
    match counted.as_deref().map(<[_]>::first) {
        Ok(Some(row)) if !matches!(row.as_slice(), [Value::Int(0)]) => {
            tracing::error!(rows = ?row, "action logs wait in the outbox for a log shard this node does not know");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "stranded action logs not counted"),
    }
}

/// Copies `rows` to their log shards (a row already there is left as it is), then deletes
/// them from the outbox.
async fn ship(game: &Db, logs: &BTreeMap<i16, Db>, rows: &[Row]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut by_shard: BTreeMap<i16, Vec<Row>> = BTreeMap::new();
    for row in rows {
        let (shard, logged) = logged(row);
        by_shard.entry(shard).or_default().push(logged);
    }
    for (shard, logged) in &by_shard {
        let db = logs.get(shard).ok_or_else(|| StoreError::NotFound(format!("log shard {shard}")))?;
        let what = format!("ship action logs to log shard {shard}");
        let stamped: Vec<(&Row, i64)> = logged.iter().map(|r| (r, 0)).collect();
        with_conn!(db, &what, |conn| {
            for statement in sql::insert_new(dialect_of(conn), &ACTION_LOG, &stamped) {
                conn.exec(statement).await.map_err(crate::storage::db_store::db(&what))?;
            }
            Ok(())
        })?;
    }
    let keys: Vec<Vec<Value>> = rows.iter().map(|r| r.iter().take(1).cloned().collect()).collect();
    let keys: Vec<&[Value]> = keys.iter().map(Vec::as_slice).collect();
    let what = "empty the action-log outbox";
    with_conn!(game, what, |conn| {
        for statement in sql::delete(dialect_of(conn), &LOG_OUTBOX, &keys) {
            conn.exec(statement).await.map_err(crate::storage::db_store::db(what))?;
        }
        Ok(())
    })
}
