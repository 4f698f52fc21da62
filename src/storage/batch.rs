//! One batch of jobs in one transaction, on any backend ([`SqlConn`]).
//!
//! 1. **Fence.** The `users` rows of every fenced job are locked for the transaction and their
//!    owner epochs read (one statement). A job whose epoch is older than the stored one (another
//!    activation took the user over), or whose user has no row, is refused and writes nothing.
//! 2. **Fast path.** The remaining jobs' writes go out as one multi-row statement per table
//!    and kind of change (deletes, inserts, upserts, updates, patches): a batch of 256
//!    requests is a handful of statements. An update or patch must find every row it names
//!    (the statement's affected count says so); one that does not has met a row someone
//!    else removed.
//! 3. **Isolation.** If a write fails, the whole transaction rolls back. If the connection
//!    still answers (a probe), the write failed, not the database: the batch runs again in a
//!    new transaction (fenced anew) job after job, the first job that fails is left out, and
//!    the rest run again together, until the batch commits; only the culprits fail. If it
//!    does not answer, the batch fails as a whole. (A batch of one job needs no second run:
//!    its job failed. A batch with two jobs of one user runs job after job, in order.) No
//!    savepoints: after some errors (a deadlock on MySQL, a full disk on SQLite) the backend
//!    ends the whole transaction, and statements run after a lost savepoint would commit
//!    one by one.
//! 4. **Commit.** A failure before the commit means nothing was applied; a commit that
//!    returned an error may have been applied or not, and is reported as unknown.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use diesel::result::Error as DieselError;
use futures_util::future::BoxFuture;

use crate::storage::conn::SqlConn;
use crate::storage::rows::{RowWrite, TableDef, Value};
use crate::storage::sql::{self, Dialect, Patch, Stamped, Statement};

/// The writes of one request (or one operator action) for one shard.
#[derive(Debug, Clone)]
pub struct Job {
    /// The user the writes belong to.
    pub user: i64,
    /// The owner epoch the writer loaded: the job is refused if the stored one is newer.
    /// None: not fenced (an operator's write, log-shard appends). Also stamped on the rows
    /// written (0 when None).
    pub epoch: Option<i64>,
    pub writes: Vec<RowWrite>,
}

/// Why one job of a batch was not applied (the others may have been).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Rolled back alone: a constraint, a value that does not fit, a row to update that is
    /// not there.
    Failed(String),
    /// Another activation owns the user now (its epoch is newer).
    Fenced { stored: i64, loaded: i64 },
    /// The user has no `users` row on this shard.
    NoUser,
}

/// Why a whole batch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// Rolled back or never started: nothing of it was applied.
    NotApplied(String),
    /// The commit was sent and its answer lost: it may have been applied.
    Unknown(String),
}

/// Fault injection around a batch's commit (tests hold a batch, fail it, or lose its commit's
/// answer). Production runs without one.
pub trait BatchHook: Send + Sync + 'static {
    /// Runs inside the transaction, after the writes, before the commit; an error rolls the
    /// batch back.
    fn before_commit(&self, shard: &str, users: &[i64]) -> BoxFuture<'static, Result<(), String>>;
    /// Runs after a successful commit; an error is reported as a lost commit answer.
    fn after_commit(&self, shard: &str, users: &[i64]) -> BoxFuture<'static, Result<(), String>>;
}

/// Whether the connection still answers after a write failed and its transaction rolled
/// back: if so, the failure was the write's, not the database's. Costs a statement only when
/// something failed.
async fn still_answers<C: SqlConn>(conn: &mut C) -> bool {
    let mut probe = Statement::new(C::DIALECT, "SELECT 1");
    probe.cacheable = true;
    conn.exec(probe).await.is_ok()
}

/// Commits `jobs` in one transaction on `conn`. Per job: applied, or why not.
pub async fn run<C: SqlConn>(
    conn: &mut C,
    label: &str,
    jobs: &[&Job],
    hook: Option<&Arc<dyn BatchHook>>,
) -> Result<Vec<Result<(), JobError>>, BatchError> {
    // Jobs found failing, each alone: the batch runs again without them.
    let mut culprits: Vec<Option<String>> = vec![None; jobs.len()];
    let distinct = jobs.iter().map(|j| j.user).collect::<HashSet<_>>().len() == jobs.len();
    let mut mode = if distinct { Mode::Together } else { Mode::InOrder };
    loop {
        let left: Vec<usize> = (0..jobs.len()).filter(|&i| culprits[i].is_none()).collect();
        let subset: Vec<&Job> = left.iter().map(|&i| jobs[i]).collect();
        match attempt(conn, label, &subset, hook, mode).await {
            Attempt::Done(Err(e)) => return Err(e),
            Attempt::Done(Ok(outcomes)) => {
                let mut all: Vec<Result<(), JobError>> =
                    culprits.into_iter().map(|c| c.map_or(Ok(()), |e| Err(JobError::Failed(e)))).collect();
                for (i, outcome) in left.into_iter().zip(outcomes) {
                    all[i] = outcome;
                }
                return Ok(all);
            }
            // With one job left, it is the one that failed.
            Attempt::WriteFailed { job: _, error } if subset.len() == 1 => culprits[left[0]] = Some(error),
            Attempt::WriteFailed { job: Some(job), error } => {
                culprits[left[job]] = Some(error);
                mode = if distinct { Mode::Together } else { Mode::InOrder };
            }
            Attempt::WriteFailed { job: None, error } => {
                tracing::debug!(error = %error, "batch runs again job by job to find the failing one");
                mode = Mode::InOrder;
            }
        }
    }
}

/// How a transaction writes its jobs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One statement per table and kind for all of them.
    Together,
    /// Job after job, in order, so the first that fails is known.
    InOrder,
}

/// How one transaction of a batch ended.
enum Attempt {
    Done(Result<Vec<Result<(), JobError>>, BatchError>),
    /// A write failed, the whole transaction rolled back, and the connection still answers
    /// (so the write failed, not the database): the batch runs again without the job that
    /// failed, when it is known (`InOrder`).
    WriteFailed {
        job: Option<usize>,
        error: String,
    },
}

async fn attempt<C: SqlConn>(
    conn: &mut C,
    label: &str,
    jobs: &[&Job],
    hook: Option<&Arc<dyn BatchHook>>,
    mode: Mode,
) -> Attempt {
    let users: Vec<i64> = jobs.iter().map(|j| j.user).collect();
    let mut outcomes: Vec<Result<(), JobError>> = vec![Ok(()); jobs.len()];
    let (mut failed_write, mut reached_commit) = (None, false);
    let result = conn
        .transaction::<_, DieselError, _>(async |conn| {
            fence(conn, jobs, &mut outcomes).await?;
            let live: Vec<usize> = (0..jobs.len()).filter(|&i| outcomes[i].is_ok()).collect();
            if mode == Mode::Together {
                let batch: Vec<&Job> = live.iter().map(|&i| jobs[i]).collect();
                if let Err(e) = write(conn, &batch).await {
                    failed_write = Some(None);
                    return Err(e);
                }
            } else {
                for &i in &live {
                    if let Err(e) = write(conn, &[jobs[i]]).await {
                        failed_write = Some(Some(i));
                        return Err(e);
                    }
                }
            }
            if let Some(hook) = hook {
                hook.before_commit(label, &users)
                    .await
                    .map_err(|e| DieselError::QueryBuilderError(format!("before commit: {e}").into()))?;
            }
            reached_commit = true;
            Ok(())
        })
        .await;
    match result {
        Ok(()) => {
            if let Some(hook) = hook
                && let Err(e) = hook.after_commit(label, &users).await
            {
                return Attempt::Done(Err(BatchError::Unknown(format!("commit answer lost: {e}"))));
            }
            Attempt::Done(Ok(outcomes))
        }
        Err(e) if reached_commit => Attempt::Done(Err(BatchError::Unknown(format!("commit: {e}")))),
        Err(e) => match failed_write {
            Some(job) if still_answers(conn).await => Attempt::WriteFailed { job, error: e.to_string() },
            _ => Attempt::Done(Err(BatchError::NotApplied(e.to_string()))),
        },
    }
}

/// Locks the users of the fenced jobs and refuses the jobs whose epoch is stale.
async fn fence<C: SqlConn>(
    conn: &mut C,
    jobs: &[&Job],
    outcomes: &mut [Result<(), JobError>],
) -> Result<(), DieselError> {
    let mut users: Vec<Value> = jobs.iter().filter(|j| j.epoch.is_some()).map(|j| Value::Int(j.user)).collect();
    users.sort();
    users.dedup();
    if users.is_empty() {
        return Ok(());
    }
    if C::DIALECT == Dialect::Sqlite {
        conn.exec(sql::lock_users(C::DIALECT, &users)).await?;
    }
    let stored: HashMap<i64, i64> = conn
        .rows(sql::fence(C::DIALECT, &users))
        .await?
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [Value::Int(user), Value::Int(epoch)] => Some((*user, *epoch)),
            _ => None,
        })
        .collect();
    for (job, outcome) in jobs.iter().zip(outcomes.iter_mut()) {
        let Some(loaded) = job.epoch else { continue };
        match stored.get(&job.user) {
            None => *outcome = Err(JobError::NoUser),
            Some(&stored) if stored > loaded => *outcome = Err(JobError::Fenced { stored, loaded }),
            Some(_) => {}
        }
    }
    Ok(())
}

/// The writes of `jobs`, one statement (or a few, for very large batches) per table and kind.
pub(crate) async fn write<C: SqlConn>(conn: &mut C, jobs: &[&Job]) -> Result<(), DieselError> {
    for write in jobs.iter().flat_map(|j| &j.writes) {
        write.check().map_err(|e| DieselError::SerializationError(e.into()))?;
    }
    // Tables in the order first written, so statements come in a stable order.
    let mut order: Vec<&'static TableDef> = Vec::new();
    let mut grouped: HashMap<&'static str, Grouped> = HashMap::new();
    for job in jobs {
        let epoch = job.epoch.unwrap_or(0);
        for write in &job.writes {
            let table = write.table();
            let group = grouped.entry(table.name).or_insert_with(|| {
                order.push(table);
                Grouped::default()
            });
            match write {
                RowWrite::Delete(_, key) => group.deletes.push(key),
                RowWrite::DeleteOwned(_, owner) => group.owners.push(owner),
                RowWrite::Insert(_, row) => group.inserts.push((row, epoch)),
                RowWrite::InsertNew(_, row) => group.inserts_new.push((row, epoch)),
                RowWrite::Upsert(_, row) => group.upserts.push((row, epoch)),
                RowWrite::Update(t, row) => {
                    let (key, columns) = row.split_at(t.key.len());
                    group.updates.push((key, columns.iter().cloned().enumerate().collect(), epoch));
                }
                RowWrite::Patch { key, set, .. } => group.patches.push((key, set, epoch)),
            }
        }
    }
    let dialect = C::DIALECT;
    let (mut all, mut checks) = (Vec::new(), Vec::new());
    for table in order {
        let Some(group) = grouped.get(table.name) else { continue };
        let mut statements = Vec::new();
        if !group.owners.is_empty() {
            statements.extend(sql::delete_owned(dialect, table, &group.owners).into_iter().map(|s| (s, false)));
        }
        if !group.deletes.is_empty() {
            statements.extend(sql::delete(dialect, table, &group.deletes).into_iter().map(|s| (s, false)));
        }
        if !group.inserts.is_empty() {
            statements.extend(sql::insert(dialect, table, &group.inserts).into_iter().map(|s| (s, false)));
        }
        if !group.inserts_new.is_empty() {
            statements.extend(sql::insert_new(dialect, table, &group.inserts_new).into_iter().map(|s| (s, false)));
        }
        if !group.upserts.is_empty() {
            statements.extend(sql::upsert(dialect, table, &group.upserts).into_iter().map(|s| (s, false)));
        }
        let updates: Vec<Patch> =
            group.updates.iter().map(|(key, set, epoch)| (*key, set.as_slice(), *epoch)).collect();
        for patches in [updates.as_slice(), group.patches.as_slice()] {
            if !patches.is_empty() {
                statements.extend(sql::patch(dialect, table, patches).into_iter().map(|s| (s, true)));
            }
        }
        for (statement, must_find_all) in statements {
            checks.push((table, statement.rows, must_find_all));
            all.push(statement);
        }
    }
    // Sent together: pipelined on PostgreSQL, so the batch's writes overlap their round trips.
    let affected = conn.exec_all(all).await?;
    for ((table, expected, must_find_all), affected) in checks.into_iter().zip(affected) {
        if must_find_all && affected != expected {
            return Err(DieselError::QueryBuilderError(
                format!("{table}: {affected} of {expected} rows to update are there").into(),
            ));
        }
    }
    Ok(())
}

/// A whole-row update as a patch of every column: key, (column, value), epoch.
type RowUpdate<'a> = (&'a [Value], Vec<(usize, Value)>, i64);

/// One table's writes of a batch, by kind.
#[derive(Default)]
struct Grouped<'a> {
    /// Owners (first key column) whose every row goes.
    owners: Vec<&'a Value>,
    deletes: Vec<&'a [Value]>,
    inserts: Vec<Stamped<'a>>,
    inserts_new: Vec<Stamped<'a>>,
    upserts: Vec<Stamped<'a>>,
    /// Whole rows over stored ones, as patches of every column.
    updates: Vec<RowUpdate<'a>>,
    patches: Vec<Patch<'a>>,
}
