//! The fast path of group commit: a whole batch as one multi-row statement per table, in
//! one transaction, on PostgreSQL (`INSERT ... ON CONFLICT DO UPDATE`) and MySQL
//! (`REPLACE`). Rows are whole (the user's actor computed them), so an upsert of a row that
//! exists is exactly the update the slow path would make.
//!
//! It refuses (answers `false`, nothing written) whenever the slow path must decide:
//! a user row is missing, a user appears twice, or a statement violates a constraint.

use std::collections::HashSet;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::upsert::excluded;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use crate::storage::db::{Db, Pools};
use crate::storage::db_store::UserRow;
use crate::storage::persistence::Job;
use crate::storage::schema::{action_log, last_replies, users};
use crate::storage::{StoreError, StoreResult, Write};

#[derive(diesel::Insertable)]
#[diesel(table_name = last_replies)]
struct ReplyRow {
    user_id: i64,
    session_id: i64,
    seq: i64,
    response: Vec<u8>,
}

#[derive(diesel::Insertable)]
#[diesel(table_name = action_log)]
struct LogRow {
    user_id: i64,
    action: String,
    params: String,
    result: String,
    at_ms: i64,
}

/// Every user of the batch has a profile row (an upsert would otherwise create one).
macro_rules! check_users_exist {
    ($conn:expr, $ids:expr) => {
        if !$ids.is_empty() {
            let found: i64 = users::table.filter(users::user_id.eq_any($ids)).count().get_result($conn).await?;
            if found as usize != $ids.len() {
                return Err(DieselError::NotFound);
            }
        }
    };
}

struct Rows {
    ids: Vec<i64>,
    profiles: Vec<UserRow>,
    replies: Vec<ReplyRow>,
    logs: Vec<LogRow>,
}

/// The batch as rows per table, or None if a user appears twice.
fn rows(jobs: &[Job]) -> Option<Rows> {
    let mut seen = HashSet::new();
    let mut rows = Rows { ids: Vec::new(), profiles: Vec::new(), replies: Vec::new(), logs: Vec::new() };
    for job in jobs {
        let mut touches_user = job.reply.is_some();
        for write in &job.writes {
            match write {
                Write::Profile(state) => {
                    touches_user = true;
                    rows.profiles.push(UserRow::from(state));
                }
                Write::ActionLog(l) => rows.logs.push(LogRow {
                    user_id: l.user_id as i64,
                    action: l.action.to_owned(),
                    params: l.params.clone(),
                    result: l.result.clone(),
                    at_ms: l.at_ms,
                }),
            }
        }
        if let Some(reply) = &job.reply {
            rows.replies.push(ReplyRow {
                user_id: job.user,
                session_id: reply.session_id as i64,
                seq: reply.seq as i64,
                response: reply.bytes.clone(),
            });
        }
        if touches_user {
            if !seen.insert(job.user) {
                return None;
            }
            rows.ids.push(job.user);
        }
    }
    Some(rows)
}

/// A failure the slow path can attribute to one job (as opposed to a database that is
/// down, which fails the whole batch either way).
fn job_specific(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::NotFound
            | DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::NotNullViolation
                    | DatabaseErrorKind::CheckViolation,
                _,
            )
    )
}

/// Writes the whole batch with multi-row statements. `Ok(true)`: committed; `Ok(false)`:
/// nothing written, run it job by job; `Err`: the database failed.
pub async fn write_all(db: &Db, jobs: &[Job]) -> StoreResult<bool> {
    let Some(rows) = rows(jobs) else { return Ok(false) };
    let what = "commit a batch";
    let fail = |e: String| StoreError::Database(what.into(), e);
    let result = match &db.pools {
        Pools::Sqlite(_) => return Ok(false),
        Pools::Postgres(pool) => {
            let mut conn = pool.get().await.map_err(|e| fail(e.to_string()))?;
            conn.transaction::<_, DieselError, _>(async |conn| {
                check_users_exist!(&mut *conn, &rows.ids);
                if !rows.profiles.is_empty() {
                    diesel::insert_into(users::table)
                        .values(&rows.profiles)
                        .on_conflict(users::user_id)
                        .do_update()
                        .set((
                            users::nickname.eq(excluded(users::nickname)),
                            users::level.eq(excluded(users::level)),
                            users::exp.eq(excluded(users::exp)),
                            users::gold.eq(excluded(users::gold)),
                            users::gems.eq(excluded(users::gems)),
                            users::stamina.eq(excluded(users::stamina)),
                            users::stamina_at_ms.eq(excluded(users::stamina_at_ms)),
                            users::rng_seed.eq(excluded(users::rng_seed)),
                            users::rng_word_pos.eq(excluded(users::rng_word_pos)),
                            users::updated_at_ms.eq(excluded(users::updated_at_ms)),
                            users::friends.eq(excluded(users::friends)),
                        ))
                        .execute(conn)
                        .await?;
                }
                if !rows.replies.is_empty() {
                    diesel::insert_into(last_replies::table)
                        .values(&rows.replies)
                        .on_conflict(last_replies::user_id)
                        .do_update()
                        .set((
                            last_replies::session_id.eq(excluded(last_replies::session_id)),
                            last_replies::seq.eq(excluded(last_replies::seq)),
                            last_replies::response.eq(excluded(last_replies::response)),
                        ))
                        .execute(conn)
                        .await?;
                }
                if !rows.logs.is_empty() {
                    diesel::insert_into(action_log::table).values(&rows.logs).execute(conn).await?;
                }
                Ok(())
            })
            .await
        }
        Pools::Mysql(pool) => {
            let mut conn = pool.get().await.map_err(|e| fail(e.to_string()))?;
            conn.transaction::<_, DieselError, _>(async |conn| {
                check_users_exist!(&mut *conn, &rows.ids);
                if !rows.profiles.is_empty() {
                    diesel::replace_into(users::table).values(&rows.profiles).execute(conn).await?;
                }
                if !rows.replies.is_empty() {
                    diesel::replace_into(last_replies::table).values(&rows.replies).execute(conn).await?;
                }
                if !rows.logs.is_empty() {
                    diesel::insert_into(action_log::table).values(&rows.logs).execute(conn).await?;
                }
                Ok(())
            })
            .await
        }
    };
    match result {
        Ok(()) => Ok(true),
        Err(e) if job_specific(&e) => Ok(false),
        Err(e) => Err(fail(e.to_string())),
    }
}
