//! Deleting rows past their time (scheduled jobs' sweeps): shard by shard (or the clan
//! database), a bounded
//! statement at a time, each within the store's time bound.

use super::{DbStore, db};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::DbKind;
use crate::storage::rows::Value;
use crate::storage::sql;
use crate::storage::{StoreError, StoreResult, Sweep};
use crate::with_conn;

pub(super) async fn sweep(store: DbStore, sweep: Sweep) -> StoreResult<u64> {
    let what = format!("sweep {}", sweep.table.name);
    let shards: Vec<&crate::storage::db::Db> = match sweep.on {
        DbKind::Game => store.dbs.game.values().collect(),
        DbKind::Log => store.dbs.log.values().collect(),
        DbKind::Clan => vec![&store.dbs.clan],
        other => return Err(StoreError::Database(what, format!("{} databases are not swept", other.as_str()))),
    };
    let column = sweep.column_named(sweep.column)?;
    let spare = sweep.spared()?;
    let before = Value::Int(sweep.before_ms);
    let batch = sweep.batch.max(1);
    let mut total = 0u64;
    for shard in shards {
        loop {
            let statement_of = |dialect| sql::delete_older(dialect, sweep.table, column, &before, spare, batch);
            let deleted = tokio::time::timeout(store.timeout, async {
                with_conn!(shard, &what, |conn| {
                    let statement = statement_of(dialect_of(conn));
                    conn.exec(statement).await.map_err(db(&what))
                })
            })
            .await
            .map_err(|_| StoreError::Timeout(format!("{what} on {}", shard.location)))??;
            total += deleted as u64;
            if deleted < batch {
                break;
            }
        }
    }
    Ok(total)
}
