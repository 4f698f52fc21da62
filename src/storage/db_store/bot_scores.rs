//! Bot scores on the log shards: a day of one shard's action log read page by page (the
//! scoring job's input), the scores written back to the shard their users log to, and a
//! day's highest scores read from every shard (`GET /admin/suspects`).

use super::{DbStore, db};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::DbKind;
use crate::storage::rows::{Row, RowReader, Value};
use crate::storage::sql;
use crate::storage::tables::BOT_SCORES;
use crate::storage::{BotScoreRow, LoggedAction, StoreError, StoreResult};
use crate::with_conn;

pub(super) async fn logs_between(
    store: DbStore,
    shard: i16,
    window: (i64, i64),
    after: (i64, u64),
    limit: usize,
) -> StoreResult<Vec<LoggedAction>> {
    let what = format!("read a day of log shard {shard}");
    let log = store.shard(DbKind::Log, shard)?;
    // From the last row read on: the index range starts there, not at the window's start.
    let (from, to) = (Value::Int(window.0.max(after.0)), Value::Int(window.1));
    let (at, id) = (Value::Int(after.0), Value::uint(after.1));
    let rows = with_conn!(log, &what, |conn| {
        let statement = sql::select_logs_between(dialect_of(conn), &from, &to, (&at, &id), limit);
        conn.rows(statement).await.map_err(db(&what))
    })?;
    rows.iter()
        .map(|row| super::logs::logged(row).map_err(|e| StoreError::Database(what.clone(), e.to_string())))
        .collect()
}

pub(super) async fn put(store: DbStore, shard: i16, scores: Vec<BotScoreRow>) -> StoreResult<()> {
    if scores.is_empty() {
        return Ok(());
    }
    let what = format!("store bot scores on log shard {shard}");
    let log = store.shard(DbKind::Log, shard)?;
    let rows: Vec<Row> = scores
        .into_iter()
        .map(|s| {
            vec![
                Value::uint(s.user_id),
                Value::Int(s.day_ms),
                Value::Int(s.score_milli),
                Value::Text(s.features),
                Value::Int(s.scored_at_ms),
            ]
        })
        .collect();
    let stamped: Vec<(&Row, i64)> = rows.iter().map(|r| (r, 0)).collect();
    with_conn!(log, &what, |conn| {
        for statement in sql::upsert(dialect_of(conn), &BOT_SCORES, &stamped) {
            conn.exec(statement).await.map_err(db(&what))?;
        }
        Ok(())
    })
}

pub(super) async fn top(store: DbStore, day_ms: i64, limit: usize) -> StoreResult<Vec<BotScoreRow>> {
    let what = "read the day's bot scores";
    let day = Value::Int(day_ms);
    let mut out = Vec::new();
    for no in store.dbs.log.keys().copied().collect::<Vec<_>>() {
        let log = store.shard(DbKind::Log, no)?;
        let rows = with_conn!(log, what, |conn| {
            conn.rows(sql::select_top_scores(dialect_of(conn), &day, limit)).await.map_err(db(what))
        })?;
        for row in &rows {
            out.push(read(row).map_err(|e| StoreError::Database(what.into(), e.to_string()))?);
        }
    }
    out.sort_by(|a, b| b.score_milli.cmp(&a.score_milli).then(a.user_id.cmp(&b.user_id)));
    out.truncate(limit);
    Ok(out)
}

fn read(row: &Row) -> Result<BotScoreRow, crate::storage::rows::RowError> {
    let mut r = RowReader::new(&BOT_SCORES, row)?;
    Ok(BotScoreRow {
        user_id: r.uint()?,
        day_ms: r.int()?,
        score_milli: r.int()?,
        features: r.text()?,
        scored_at_ms: r.int()?,
    })
}
