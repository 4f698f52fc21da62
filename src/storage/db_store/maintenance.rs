//! One-off maintenance steps: start-up runs such a step once and
//! records it in `maintenance_steps`, so later starts skip its scan. Nodes starting at once
//! may both run a step that has not been recorded yet, so every step is idempotent; the first
//! record wins and the others find it there.

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;

use super::{db, is_unique_violation};
use crate::storage::StoreResult;
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::Db;
use crate::storage::rows::{ColType, Row, Value};
use crate::storage::schema::maintenance_steps;
use crate::storage::sql::{Bind, Dialect, Statement};
use crate::with_conn;

/// Rows read per page of a rewrite.
const PAGE: i64 = 1_000;

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

/// ` AND <column> = ` compared byte for byte: MySQL's default collations would match a
/// value renamed meanwhile that differs only in case or accents.
fn exactly(dialect: Dialect, column: &str) -> String {
    if dialect == Dialect::Mysql { format!(" AND BINARY {column} = ") } else { format!(" AND {column} = ") }
}

/// Rewrites every nickname (on `games`) and clan name (on `clan`) to `form` where it differs;
/// answers how many. Each row is rewritten only if it still holds what was read (a player
/// renamed meanwhile keeps the new name); a clan name whose form another clan holds already
/// is left as it is and logged (names are unique).
pub(super) async fn rewrite_names(games: &[Db], clan: &Db, form: fn(&str) -> String) -> StoreResult<u64> {
    let mut rewritten = 0;
    for game in games {
        rewritten += rewrite_column(game, ("users", "user_id", "nickname"), form).await?;
    }
    Ok(rewritten + rewrite_column(clan, ("clans", "clan_id", "name"), form).await?)
}

/// Rewrites column `name` of `table` (keyed by `id`) in `db` to `form`, page by page in id
/// order; answers how many rows changed. A row whose new form another row holds under a
/// unique index is left and logged.
async fn rewrite_column(
    source: &Db,
    (table, id, name): (&str, &str, &str),
    form: fn(&str) -> String,
) -> StoreResult<u64> {
    let what = format!("rewrite {table}.{name} in its stored form");
    let (mut after, mut rewritten) = (Value::Int(i64::MIN), 0);
    loop {
        let page = with_conn!(source, &what, |conn| {
            let mut s =
                Statement::new(dialect_of(conn), format!("SELECT {id} AS i0, {name} AS s1 FROM {table} WHERE {id} > "));
            s.param(Bind::Value(ColType::BigInt, &after)).push(&format!(" ORDER BY {id} LIMIT "));
            s.param(Bind::Int(PAGE));
            conn.rows(s).await.map_err(db(&what))
        })?;
        let Some(last) = <[Row]>::last(&page).and_then(|r| <[Value]>::first(r).cloned()) else { return Ok(rewritten) };
        after = last;
        for row in &page {
            let [key, Value::Text(old)] = row.as_slice() else { continue };
            let formed = form(old);
            if formed == *old {
                continue;
            }
            let (old_value, new_value) = (Value::Text(old.clone()), Value::Text(formed.clone()));
            let updated = with_conn!(source, &what, |conn| {
                let dialect = dialect_of(conn);
                let mut s = Statement::new(dialect, format!("UPDATE {table} SET {name} = "));
                s.param(Bind::Value(ColType::Text, &new_value)).push(&format!(" WHERE {id} = "));
                s.param(Bind::Value(ColType::BigInt, key));
                s.push(&exactly(dialect, name)).param(Bind::Value(ColType::Text, &old_value));
                match conn.exec(s).await {
                    Err(e) if is_unique_violation(&e) => Ok(None),
                    other => other.map(Some).map_err(db(&what)),
                }
            })?;
            match updated {
                Some(n) => rewritten += n as u64,
                None => tracing::warn!(table, ?key, old, formed, "a name left as it is: another row holds its form"),
            }
        }
    }
}
