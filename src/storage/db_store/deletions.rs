//! Accounts' deletions: their rows in the common database (`account_deletions`) and the
//! statements that erase what a deleted user leaves on the other databases. Every statement
//! here is idempotent: a step cut short runs again whole.

use diesel::result::Error as DieselError;
use diesel::{BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::{DbStore, db};
use crate::storage::batch::Job;
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::{Db, DbKind};
use crate::storage::rows::{ColType, Row, RowWrite, Value};
use crate::storage::schema::{account_auth, account_deletions, accounts, sessions};
use crate::storage::sql::{self, Bind, Statement};
use crate::storage::tables::{INBOX, LOG_OUTBOX, USERS};
use summoner_actors::UserId;

use crate::storage::{Deletion, DeletionPhase, StoreError, StoreResult, UserShards};
use crate::with_conn;

type DeletionRow = (i64, i16, i16, i64, i64, i16, i64, i32);

fn deletion_of_row(row: DeletionRow) -> StoreResult<Deletion> {
    let (user, game, log, requested_at_ms, due_at_ms, phase, phase_at_ms, failures) = row;
    let phase = DeletionPhase::from_stored(phase)
        .ok_or_else(|| StoreError::Database("read a deletion".into(), format!("user {user}: unknown phase {phase}")))?;
    Ok(Deletion {
        user: user as u64,
        shards: UserShards { game, log },
        requested_at_ms,
        due_at_ms,
        phase,
        phase_at_ms,
        failures: u32::try_from(failures).unwrap_or(0),
    })
}

macro_rules! columns {
    () => {
        (
            account_deletions::user_id,
            account_deletions::game_shard,
            account_deletions::log_shard,
            account_deletions::requested_at_ms,
            account_deletions::due_at_ms,
            account_deletions::phase,
            account_deletions::phase_at_ms,
            account_deletions::failures,
        )
    };
}

/// The deletion of `user`, if one is recorded.
pub(super) async fn deletion_of(common: &Db, user: i64) -> StoreResult<Option<Deletion>> {
    let what = "read an account's deletion";
    let row: Option<DeletionRow> = with_conn!(common, what, |conn| {
        account_deletions::table.find(user).select(columns!()).first(conn).await.optional().map_err(db(what))
    })?;
    row.map(deletion_of_row).transpose()
}

/// Records `deletion` unless its user has one, and ends the user's session as ended by
/// request `seq` (unless it ended already), in one transaction; answers the deletion in force.
pub(super) async fn request(common: &Db, deletion: Deletion, seq: u64) -> StoreResult<Deletion> {
    let what = "record an account's deletion";
    let user = deletion.user as i64;
    with_conn!(common, what, |conn| {
        conn.transaction::<_, DieselError, _>(async |conn| {
            let existing: Option<i64> =
                account_deletions::table.find(user).select(account_deletions::user_id).first(conn).await.optional()?;
            if existing.is_none() {
                diesel::insert_into(account_deletions::table)
                    .values((
                        account_deletions::user_id.eq(user),
                        account_deletions::game_shard.eq(deletion.shards.game),
                        account_deletions::log_shard.eq(deletion.shards.log),
                        account_deletions::requested_at_ms.eq(deletion.requested_at_ms),
                        account_deletions::due_at_ms.eq(deletion.due_at_ms),
                        account_deletions::phase.eq(DeletionPhase::Waiting as i16),
                        account_deletions::phase_at_ms.eq(deletion.requested_at_ms),
                    ))
                    .execute(conn)
                    .await?;
            }
            // The session ends with the record, whatever becomes of the request's own commit.
            // It keeps its token and id, as Logout's end does: a retry of the request still
            // finds the user and gets its stored reply.
            let at = deletion.requested_at_ms;
            diesel::update(sessions::table.find(user).filter(sessions::ended_at_ms.eq(0)))
                .set((
                    sessions::expires_at_ms.eq(at),
                    sessions::ended_at_ms.eq(at),
                    sessions::ended_by_seq.eq(seq as i64),
                ))
                .execute(conn)
                .await
                .map(drop)
        })
        .await
        .map_err(db(what))
    })?;
    deletion_of(common, user).await?.ok_or_else(|| StoreError::NotFound(format!("the deletion of user {user}")))
}

/// Starts the erasure of `user` (waiting → erasing, its failures forgotten) if its grace
/// period ended by `now_ms` and no session of the user is live; answers whether it did.
pub(super) async fn claim(common: &Db, user: i64, now_ms: i64) -> StoreResult<bool> {
    let what = "start an account's erasure";
    let (who, now) = (Value::Int(user), Value::Int(now_ms));
    let moved = with_conn!(common, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), "UPDATE account_deletions SET phase = ");
        s.param(Bind::Int(DeletionPhase::Erasing as i64)).push(", phase_at_ms = ");
        s.param(Bind::Value(ColType::BigInt, &now)).push(", failures = 0, retry_at_ms = 0 WHERE user_id = ");
        s.param(Bind::Value(ColType::BigInt, &who)).push(" AND phase = ");
        s.param(Bind::Int(DeletionPhase::Waiting as i64)).push(" AND due_at_ms <= ");
        s.param(Bind::Value(ColType::BigInt, &now));
        s.push(" AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.user_id = ");
        s.param(Bind::Value(ColType::BigInt, &who))
            .push(" AND sessions.token_hash IS NOT NULL AND sessions.expires_at_ms > ");
        s.param(Bind::Value(ColType::BigInt, &now)).push(")");
        conn.exec(s).await.map_err(db(what))
    })?;
    Ok(moved == 1)
}

/// Cancels `user`'s deletion if it waits; answers the phase found.
pub(super) async fn cancel(common: &Db, user: i64) -> StoreResult<Option<DeletionPhase>> {
    let Some(found) = deletion_of(common, user).await? else { return Ok(None) };
    if found.phase != DeletionPhase::Waiting {
        return Ok(Some(found.phase));
    }
    let what = "cancel an account's deletion";
    let waiting = DeletionPhase::Waiting as i16;
    let deleted = with_conn!(common, what, |conn| {
        diesel::delete(account_deletions::table.find(user).filter(account_deletions::phase.eq(waiting)))
            .execute(conn)
            .await
            .map_err(db(what))
    })?;
    if deleted == 1 {
        return Ok(Some(DeletionPhase::Waiting));
    }
    // Its erasure started between the two statements.
    Ok(deletion_of(common, user).await?.map(|d| d.phase))
}

/// Deletions not done whose grace period ended by `now_ms` and not put off past it (an
/// account gone, once it has been for `settle_ms`), by due time then user, after `after`.
pub(super) async fn due(
    common: &Db,
    now_ms: i64,
    settle_ms: i64,
    after: Option<(i64, UserId)>,
    limit: usize,
) -> StoreResult<Vec<Deletion>> {
    let what = "read the deletions due";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let settled = now_ms.saturating_sub(settle_ms);
    let (after_due, after_user) = after.map_or((i64::MIN, i64::MIN), |(due, user)| (due, user as i64));
    let rows: Vec<DeletionRow> = with_conn!(common, what, |conn| {
        account_deletions::table
            .filter(account_deletions::phase.lt(DeletionPhase::Done as i16))
            .filter(account_deletions::due_at_ms.le(now_ms))
            .filter(account_deletions::retry_at_ms.le(now_ms))
            .filter(
                account_deletions::phase
                    .ne(DeletionPhase::AccountGone as i16)
                    .or(account_deletions::phase_at_ms.le(settled)),
            )
            .filter(
                account_deletions::due_at_ms
                    .gt(after_due)
                    .or(account_deletions::due_at_ms.eq(after_due).and(account_deletions::user_id.gt(after_user))),
            )
            .order((account_deletions::due_at_ms, account_deletions::user_id))
            .limit(limit)
            .select(columns!())
            .load(conn)
            .await
            .map_err(db(what))
    })?;
    rows.into_iter().map(deletion_of_row).collect()
}

/// Counts a failed run on `user`'s deletion and puts its next try off to `retry_at_ms`.
pub(super) async fn put_off(common: &Db, user: i64, failures: u32, retry_at_ms: i64) -> StoreResult<()> {
    let what = "put an account's erasure off";
    let failures = i32::try_from(failures).unwrap_or(i32::MAX);
    with_conn!(common, what, |conn| {
        diesel::update(account_deletions::table.find(user))
            .set((account_deletions::failures.eq(failures), account_deletions::retry_at_ms.eq(retry_at_ms)))
            .execute(conn)
            .await
            .map_err(db(what))
    })?;
    Ok(())
}

/// Of `users`, those whose erasure started (or is done).
pub(super) async fn erasing_among(common: &Db, users: &[UserId]) -> StoreResult<Vec<UserId>> {
    let what = "read which users are being erased";
    let mut erasing = Vec::new();
    // Bounded lists: every backend takes a few hundred bound values in one statement.
    for chunk in users.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|u| *u as i64).collect();
        let found: Vec<i64> = with_conn!(common, what, |conn| {
            account_deletions::table
                .filter(account_deletions::user_id.eq_any(&ids))
                .filter(account_deletions::phase.ge(DeletionPhase::Erasing as i16))
                .select(account_deletions::user_id)
                .load(conn)
                .await
                .map_err(db(what))
        })?;
        erasing.extend(found.into_iter().map(|u| u as u64));
    }
    Ok(erasing)
}

/// Moves `user`'s deletion from `from` to `to`; answers whether it was in `from`.
pub(super) async fn advance(
    common: &Db,
    user: i64,
    from: DeletionPhase,
    to: DeletionPhase,
    now_ms: i64,
) -> StoreResult<bool> {
    let what = "move an account's deletion on";
    let moved = with_conn!(common, what, |conn| {
        diesel::update(account_deletions::table.find(user).filter(account_deletions::phase.eq(from as i16)))
            .set((
                account_deletions::phase.eq(to as i16),
                account_deletions::phase_at_ms.eq(now_ms),
                account_deletions::failures.eq(0),
                account_deletions::retry_at_ms.eq(0),
            ))
            .execute(conn)
            .await
            .map_err(db(what))
    })?;
    Ok(moved == 1)
}

/// Deletes `user`'s session, sign-in ids and account row.
pub(super) async fn forget_account(common: &Db, user: i64) -> StoreResult<()> {
    let what = "remove an account";
    with_conn!(common, what, |conn| {
        diesel::delete(sessions::table.find(user)).execute(conn).await.map_err(db(what))?;
        diesel::delete(account_auth::table.filter(account_auth::user_id.eq(user)))
            .execute(conn)
            .await
            .map_err(db(what))?;
        diesel::delete(accounts::table.find(user)).execute(conn).await.map_err(db(what))
    })?;
    Ok(())
}

/// Answers whether `table` of `source` holds a row whose `column` is `user`.
async fn holds(source: &Db, table: &str, column: &str, user: &Value) -> StoreResult<bool> {
    let what = format!("look for rows of a deleted user in {table}");
    let rows = with_conn!(source, &what, |conn| {
        let mut s = Statement::new(dialect_of(conn), format!("SELECT 1 AS i0 FROM {table} WHERE {column} = "));
        s.param(Bind::Value(ColType::BigInt, user)).push(" LIMIT 1");
        conn.rows(s).await.map_err(db(&what))
    })?;
    Ok(!rows.is_empty())
}

/// Runs `sql` followed by the user's id on `source`; answers the rows it changed.
async fn run(source: &Db, sql: &str, user: &Value) -> StoreResult<u64> {
    run_on_action(source, sql, user, None).await
}

/// [`run`], and with `action`: ` AND action <op> ` that action.
async fn run_on_action(source: &Db, sql: &str, user: &Value, action: Option<(&str, &Value)>) -> StoreResult<u64> {
    let what = format!("erase a deleted user's rows: {sql}");
    with_conn!(source, &what, |conn| {
        let mut s = Statement::new(dialect_of(conn), sql);
        s.param(Bind::Value(ColType::BigInt, user));
        if let Some((op, action)) = action {
            s.push(&format!(" AND action {op} ")).param(Bind::Value(ColType::Text, action));
        }
        conn.exec(s).await.map(|n| n as u64).map_err(db(&what))
    })
}

/// The deliveries waiting unapplied in a deleted user's inbox.
pub(super) async fn leftover_inbox(store: &DbStore, deletion: Deletion) -> StoreResult<Vec<Row>> {
    let game = game_shard(store, deletion)?;
    let user = Value::uint(deletion.user);
    let what = "read what reached a deleted user";
    with_conn!(game, what, |conn| {
        let dialect = dialect_of(conn);
        let mut s = Statement::new(dialect, sql::select(dialect, &INBOX));
        s.push(" WHERE user_id = ").param(Bind::Value(ColType::BigInt, &user)).push(" AND applied_at_ms = 0");
        conn.rows(s).await.map_err(db(what))
    })
}

fn game_shard(store: &DbStore, deletion: Deletion) -> StoreResult<&Db> {
    let no = deletion.shards.game;
    store.dbs.game.get(&no).ok_or_else(|| StoreError::NotFound(format!("game shard {no} on this node")))
}

/// What reached a deleted user after its erasure, and its action log but for the rows of
/// action `kept` (they stay, as no one's: user id 0), once its outboxes are empty; answers
/// false while they are not. `answers` (outbox rows answering what waited in the inbox) are
/// committed first, with the inbox emptied, and the step waits for them to be carried.
pub(super) async fn erase_leftovers(
    store: &DbStore,
    deletion: Deletion,
    kept: &str,
    answers: Vec<RowWrite>,
) -> StoreResult<bool> {
    let dbs = &store.dbs;
    let user = Value::uint(deletion.user);
    let shards = deletion.shards;
    let game = game_shard(store, deletion)?;
    if !answers.is_empty() {
        let mut writes = answers;
        writes.push(RowWrite::DeleteOwned(&INBOX, user.clone()));
        store.submit(DbKind::Game, shards.game, Job { user: deletion.user as i64, epoch: None, writes }).await?;
        return Ok(false);
    }
    if holds(game, "outbox", "sender_id", &user).await? || holds(game, "log_outbox", "user_id", &user).await? {
        return Ok(false);
    }
    // Rows written since the erasure by writers outside the user's actor (an operator's
    // grant before the account went), and what reached the user.
    for table in super::export::OWN_TABLES.iter().filter(|t| t.name != LOG_OUTBOX.name).chain([&&USERS]) {
        run(game, &format!("DELETE FROM {} WHERE user_id = ", table.name), &user).await?;
    }
    // Dead letters to the user, and those it sent before it asked for the deletion; the ones
    // sent since are its farewells, kept to be put back.
    let asked = Value::Int(deletion.requested_at_ms);
    for source in dbs.game.values().chain([&dbs.clan]) {
        run(source, "DELETE FROM dead_letters WHERE receiver_id = ", &user).await?;
        let what = "erase a deleted user's dead letters";
        with_conn!(source, what, |conn| {
            let mut s = Statement::new(dialect_of(conn), "DELETE FROM dead_letters WHERE sender_id = ");
            s.param(Bind::Value(ColType::BigInt, &user)).push(" AND created_at_ms < ");
            s.param(Bind::Value(ColType::BigInt, &asked));
            conn.exec(s).await.map_err(db(what))
        })?;
    }
    run(&dbs.clan, "DELETE FROM clan_ops WHERE user_id = ", &user).await?;
    let log = dbs
        .log
        .get(&shards.log)
        .ok_or_else(|| StoreError::NotFound(format!("log shard {} on this node", shards.log)))?;
    let kept = Value::Text(kept.to_owned());
    run_on_action(log, "DELETE FROM action_log WHERE user_id = ", &user, Some(("<>", &kept))).await?;
    run_on_action(log, "UPDATE action_log SET user_id = 0 WHERE user_id = ", &user, Some(("=", &kept))).await?;
    // On every log shard: a score stays with the shard the user's logs were read from.
    for log in dbs.log.values() {
        run(log, "DELETE FROM bot_scores WHERE user_id = ", &user).await?;
    }
    Ok(true)
}
