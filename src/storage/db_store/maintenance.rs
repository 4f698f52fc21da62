//! One-off maintenance steps of the common database: start-up runs such a step once and
//! records it in `maintenance_steps`, so later starts skip its scan. Nodes starting at once
//! may both run a step that has not been recorded yet, so every step is idempotent; the first
//! record wins and the others find it there.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;

use super::{db, is_unique_violation};
use crate::storage::StoreResult;
use crate::storage::db::Db;
use crate::storage::schema::maintenance_steps;
use crate::with_conn;

/// When step `name` was recorded as done, if it was.
pub(super) async fn done_at(common: &Db, name: &str) -> StoreResult<Option<i64>> {
    let what = "read the maintenance steps done";
    with_conn!(common, what, |conn| {
        maintenance_steps::table
            .filter(maintenance_steps::name.eq(name))
            .select(maintenance_steps::done_at_ms)
            .first::<i64>(conn)
            .await
            .optional()
            .map_err(db(what))
    })
}

/// Records step `name` as done at `now_ms` (a record already there stays).
pub(super) async fn record(common: &Db, name: &str, now_ms: i64) -> StoreResult<()> {
    let what = "record a maintenance step done";
    with_conn!(common, what, |conn| {
        let inserted = diesel::insert_into(maintenance_steps::table)
            .values((maintenance_steps::name.eq(name), maintenance_steps::done_at_ms.eq(now_ms)))
            .execute(conn)
            .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => Ok(()),
            other => other.map(drop).map_err(db(what)),
        }
    })
}
