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
use crate::storage::rows::{ColType, Value};
use crate::storage::schema::{clans, maintenance_steps};
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
    use crate::storage::schema::users_names;

    let mut rewritten = 0;
    for game in games {
        let what = "rewrite nicknames in their stored form";
        let mut after = i64::MIN;
        loop {
            let page: Vec<(i64, String)> = with_conn!(game, what, |conn| {
                users_names::table
                    .filter(users_names::user_id.gt(after))
                    .order(users_names::user_id)
                    .select((users_names::user_id, users_names::nickname))
                    .limit(PAGE)
                    .load(conn)
                    .await
                    .map_err(db(what))
            })?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (user, nickname) in page {
                let formed = form(&nickname);
                if formed == nickname {
                    continue;
                }
                rewritten += with_conn!(game, what, |conn| {
                    let dialect = dialect_of(conn);
                    let (old, new, id) = (Value::Text(nickname.clone()), Value::Text(formed.clone()), Value::Int(user));
                    let mut s = Statement::new(dialect, "UPDATE users SET nickname = ");
                    s.param(Bind::Value(ColType::Text, &new))
                        .push(" WHERE user_id = ")
                        .param(Bind::Value(ColType::BigInt, &id));
                    s.push(&exactly(dialect, "nickname")).param(Bind::Value(ColType::Text, &old));
                    conn.exec(s).await.map_err(db(what))
                })? as u64;
            }
        }
    }
    let what = "rewrite clan names in their stored form";
    let mut after = i64::MIN;
    loop {
        let page: Vec<(i64, String)> = with_conn!(clan, what, |conn| {
            clans::table
                .filter(clans::clan_id.gt(after))
                .order(clans::clan_id)
                .select((clans::clan_id, clans::name))
                .limit(PAGE)
                .load(conn)
                .await
                .map_err(db(what))
        })?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (clan_id, name) in page {
            let formed = form(&name);
            if formed == name {
                continue;
            }
            let updated = with_conn!(clan, what, |conn| {
                let dialect = dialect_of(conn);
                let (old, new, id) = (Value::Text(name.clone()), Value::Text(formed.clone()), Value::Int(clan_id));
                let mut s = Statement::new(dialect, "UPDATE clans SET name = ");
                s.param(Bind::Value(ColType::Text, &new))
                    .push(" WHERE clan_id = ")
                    .param(Bind::Value(ColType::BigInt, &id));
                s.push(&exactly(dialect, "name")).param(Bind::Value(ColType::Text, &old));
                match conn.exec(s).await {
                    Err(e) if is_unique_violation(&e) => Ok(None),
                    other => other.map(Some).map_err(db(what)),
                }
            })?;
            match updated {
                Some(n) => rewritten += n as u64,
                None => tracing::warn!(clan_id, name, formed, "a clan name left as it is: another clan holds its form"),
            }
        }
    }
    Ok(rewritten)
}
