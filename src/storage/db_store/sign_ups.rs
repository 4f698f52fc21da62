//! Sign-ups, group-committed: the accounts, sign-in ids and first sessions of every sign-up
//! that arrives while a batch commits go into the next batch's one transaction on the common
//! database (multi-row statements), then their profile rows and action logs into one
//! transaction per game shard (the logs shipped from its `log_outbox` as a game request's
//! are), while the next batch's accounts commit. Batches run in tasks of their own, so a
//! caller that stops waiting (a timeout, a client gone) neither stalls the ones queued
//! behind it nor cuts a batch short.
//!
//! A sign-in id registered already (before, or by another sign-up in the same batch) is
//! left as it is: its sign-up is answered "registered already", with nothing of its own
//! written. The order is the one a single Register keeps: the account first, the profile
//! row after, so a batch cut short between the two leaves accounts without a profile row,
//! which the next Register, or Login that may register, of the id writes
//! (`ensure_user_rows`). A profile row written meanwhile by such a repair is left as it is,
//! and the sign-ups of that statement are answered "written, not as sent": their actors
//! read storage instead of starting from the rows sent.
//!
//! A caller that stopped waiting before its batch began has nothing written; one that stops
//! later learns the outcome from its next sign-in (its timeout is an unknown outcome).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use diesel::result::Error as DieselError;
use diesel_async::AsyncConnection;
use futures_util::future::join_all;
use summoner_actors::Session;
use tokio::sync::oneshot;

use super::{DbStore, db};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::DbKind;
use crate::storage::router::LogsWritten;
use crate::storage::rows::{ColType, Row, Value};
use crate::storage::sql::{self, Bind, Dialect, Statement};
use crate::storage::tables::LOG_OUTBOX;
use crate::storage::{AuthId, StoreError, StoreResult, UserShards};
use crate::with_conn;

/// Most sign-ups in one batch (a profile row is 18 bind parameters: 4,608 in a statement).
const MOST_PER_BATCH: usize = 256;

/// Most sign-ups waiting for a batch; past it a sign-up is refused as overloaded.
const MOST_PENDING: usize = 4_096;

/// One sign-up, its id minted and its shards placed.
pub(super) struct NewAccount {
    pub auth: AuthId,
    pub user_id: i64,
    pub shards: UserShards,
    pub session: Session,
    /// The profile row, its `user_id` set.
    pub profile: Row,
    /// The node that signs the user up, and owns them from the start.
    pub node: Value,
    /// The user's action logs, as `log_outbox` rows.
    pub logs: Vec<Row>,
    pub now_ms: i64,
}

/// What became of a sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    /// Its rows are written as sent.
    AsSent,
    /// Its account and session are written, but a profile row in its statement was there
    /// already (a repair's, of this sign-up or another of the same game shard and batch):
    /// storage, not the rows sent, has the user's state.
    NotAsSent,
    /// Its sign-in id was registered already; nothing of it was written.
    Taken,
}

type Outcome = StoreResult<Written>;

struct Pending {
    account: NewAccount,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    /// A batch task is running; it takes what is pending when its batch's accounts are in.
    running: bool,
}

/// The sign-ups waiting for the next batch of a store.
#[derive(Default)]
pub(super) struct SignUps {
    queue: Mutex<Queue>,
}

impl SignUps {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // Every critical section is a push or a take: a panic cannot leave it half-done.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Writes `account` in the next batch of `store`'s sign-ups; answers what became of it.
pub(super) async fn sign_up(store: DbStore, account: NewAccount) -> Outcome {
    let (reply, answer) = oneshot::channel();
    let start = {
        let mut queue = store.sign_ups.queue();
        if queue.pending.len() >= MOST_PENDING {
            drop(queue);
            unplace(&store, &account);
            return Err(StoreError::Overloaded("sign up".into()));
        }
        queue.pending.push(Pending { account, reply });
        !std::mem::replace(&mut queue.running, true)
    };
    if start {
        tokio::spawn(run_batches(store));
    }
    answer.await.map_err(|_| StoreError::OutcomeUnknown("sign up: the batch ended without an answer".into()))?
}

/// Gives back the shards placed for a sign-up that wrote nothing.
fn unplace(store: &DbStore, account: &NewAccount) {
    store.placement.unplace(DbKind::Game, account.shards.game);
    store.placement.unplace(DbKind::Log, account.shards.log);
}

/// Clears the queue's running flag if the batch task ends without doing so (a panic, or
/// its runtime shutting down), and starts another task for what is pending.
struct Running {
    store: DbStore,
    cleared: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.cleared {
            return;
        }
        let pending = {
            let mut queue = self.store.sign_ups.queue();
            queue.running = !queue.pending.is_empty();
            queue.running
        };
        if pending {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(run_batches(self.store.clone()))),
                // No runtime left: the flag goes down and the next sign-up starts a task.
                Err(_) => self.store.sign_ups.queue().running = false,
            }
        }
    }
}

/// Runs batches while sign-ups are pending: each batch's accounts, then (in a task of its
/// own, so the next batch's accounts commit meanwhile) its profile rows and answers.
async fn run_batches(store: DbStore) {
    let mut running = Running { store: store.clone(), cleared: false };
    // Past this a batch's outcome is unknown (its transaction is abandoned).
    let bound = store.timeout + store.batch_limit;
    loop {
        let batch: Vec<Pending> = {
            let mut queue = store.sign_ups.queue();
            if queue.pending.is_empty() {
                queue.running = false;
                running.cleared = true;
                return;
            }
            let take = queue.pending.len().min(MOST_PER_BATCH);
            queue.pending.drain(..take).collect()
        };
        // Nothing is written for a caller that stopped waiting.
        let (gone, mut batch): (Vec<Pending>, Vec<Pending>) = batch.into_iter().partition(|p| p.reply.is_closed());
        gone.iter().for_each(|p| unplace(&store, &p.account));
        if batch.is_empty() {
            continue;
        }
        // In the order of their sign-in ids, so that two nodes' batches lock them in one order
        // (each sign-up keeps its own reply).
        batch.sort_by(|a, b| {
            let (a, b) = (&a.account.auth, &b.account.auth);
            (&a.provider, &a.id).cmp(&(&b.provider, &b.id))
        });
        let (accounts, replies): (Vec<NewAccount>, Vec<_>) = batch.into_iter().map(|p| (p.account, p.reply)).unzip();
        let written = match tokio::time::timeout(bound, write_accounts(&store, &accounts)).await {
            Ok(written) => written,
            Err(_) => Err(StoreError::OutcomeUnknown("create accounts: the batch took too long".into())),
        };
        match &written {
            Ok(written) => accounts.iter().filter(|a| !written.contains(&a.user_id)).for_each(|a| unplace(&store, a)),
            // Perhaps written: the next sign-in of each finds out.
            Err(StoreError::OutcomeUnknown(_)) => {}
            // Nothing was written.
            Err(_) => accounts.iter().for_each(|a| unplace(&store, a)),
        }
        let store = store.clone();
        tokio::spawn(async move {
            let outcomes = match written {
                Ok(written) => {
                    match tokio::time::timeout(bound, write_profiles_of(&store, &accounts, &written)).await {
                        Ok(outcomes) => outcomes,
                        Err(_) => {
                            let late = StoreError::OutcomeUnknown("create users: the batch took too long".into());
                            accounts.iter().map(|_| Err(late.clone())).collect()
                        }
                    }
                }
                Err(e) => accounts.iter().map(|_| Err(e.clone())).collect(),
            };
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                // A caller that stopped waiting learns the outcome from its next sign-in.
                let _ = reply.send(outcome);
            }
        });
    }
}

/// The profile rows of the sign-ups of `accounts` whose accounts were `written`, one
/// statement per game shard; answers each sign-up's outcome.
async fn write_profiles_of(store: &DbStore, accounts: &[NewAccount], written: &HashSet<i64>) -> Vec<Outcome> {
    let mut by_shard: BTreeMap<i16, Vec<&NewAccount>> = BTreeMap::new();
    for account in accounts.iter().filter(|a| written.contains(&a.user_id)) {
        by_shard.entry(account.shards.game).or_default().push(account);
    }
    let profiles = join_all(by_shard.into_iter().map(|(shard, accounts)| async move {
        let ids: Vec<i64> = accounts.iter().map(|a| a.user_id).collect();
        (ids, write_profiles(store, shard, &accounts).await)
    }))
    .await;
    let mut outcomes: BTreeMap<i64, Outcome> = BTreeMap::new();
    for (ids, result) in profiles {
        let outcome = result.map(|all| if all { Written::AsSent } else { Written::NotAsSent });
        outcomes.extend(ids.into_iter().map(|id| (id, outcome.clone())));
    }
    accounts.iter().map(|a| outcomes.remove(&a.user_id).unwrap_or(Ok(Written::Taken))).collect()
}

/// The sign-in ids (those nobody holds), then the accounts and sessions of the sign-ups
/// whose id this transaction took, in one transaction; answers their user ids.
async fn write_accounts(store: &DbStore, accounts: &[NewAccount]) -> StoreResult<HashSet<i64>> {
    let what = "create accounts";
    let auth: Vec<[Value; 4]> = accounts
        .iter()
        .map(|a| {
            [
                Value::Text(a.auth.provider.clone()),
                Value::Text(a.auth.id.clone()),
                Value::Int(a.user_id),
                Value::Int(a.now_ms),
            ]
        })
        .collect();
    let ids: Vec<Value> = accounts.iter().map(|a| Value::Int(a.user_id)).collect();
    let committing = AtomicBool::new(false);
    let written = with_conn!(store.dbs.common, what, |conn| {
        let dialect = dialect_of(conn);
        conn.transaction::<_, DieselError, _>(async |conn| {
            let inserted = conn.exec(insert_ids(dialect, &auth)).await?;
            // PostgreSQL and SQLite count what was inserted; MySQL may count a kept duplicate.
            let written = if dialect != Dialect::Mysql && inserted == accounts.len() {
                ids.iter().filter_map(|v| if let Value::Int(id) = v { Some(*id) } else { None }).collect()
            } else {
                user_ids(&conn.rows(ids_taken(dialect, &ids)).await?)
            };
            let rows: Vec<AccountRows> =
                accounts.iter().filter(|a| written.contains(&a.user_id)).map(AccountRows::of).collect();
            if !rows.is_empty() {
                conn.exec(insert_accounts(dialect, rows.iter().map(|r| &r.0))).await?;
                conn.exec(insert_sessions(dialect, rows.iter().map(|r| &r.1))).await?;
            }
            committing.store(true, Ordering::Relaxed);
            Ok(written)
        })
        .await
        .map_err(db(what))
    });
    written.map_err(|e| unknown_if(&committing, e))
}

/// A failure once the transaction's statements all ran is its commit's: its outcome is
/// unknown.
fn unknown_if(committing: &AtomicBool, e: StoreError) -> StoreError {
    if committing.load(Ordering::Relaxed) { StoreError::OutcomeUnknown(e.to_string()) } else { e }
}

/// The user ids of rows read as `[user_id]`.
fn user_ids(rows: &[Row]) -> HashSet<i64> {
    rows.iter()
        .filter_map(|row| match row.as_slice() {
            [Value::Int(id)] => Some(*id),
            _ => None,
        })
        .collect()
}

/// The profile rows of `accounts`, all on game shard `shard`, each owned by its node (a row
/// there already is left as it is), and their action logs, in one transaction; the shard's
/// log shipper is told. Answers whether every profile row was written as sent.
async fn write_profiles(store: &DbStore, shard: i16, accounts: &[&NewAccount]) -> StoreResult<bool> {
    let what = "create users on their game shard";
    let profiles: Vec<(&Row, &Value)> = accounts.iter().map(|a| (&a.profile, &a.node)).collect();
    let logs: Vec<(&Row, i64)> = accounts.iter().flat_map(|a| a.logs.iter().map(|row| (row, 0))).collect();
    let committing = AtomicBool::new(false);
    let written = with_conn!(store.shard(DbKind::Game, shard)?, what, |conn| {
        let dialect = dialect_of(conn);
        let log_inserts = sql::insert(dialect, &LOG_OUTBOX, &logs);
        conn.transaction::<_, DieselError, _>(async |conn| {
            let inserted = conn.exec(sql::insert_owned_users(dialect, &profiles)).await?;
            for statement in log_inserts {
                conn.exec(statement).await?;
            }
            committing.store(true, Ordering::Relaxed);
            Ok(inserted == profiles.len())
        })
        .await
        .map_err(db(what))
    })
    .map_err(|e| unknown_if(&committing, e));
    let perhaps = matches!(written, Ok(_) | Err(StoreError::OutcomeUnknown(_)));
    if perhaps
        && !logs.is_empty()
        && let Some(router) = &store.router
    {
        router.do_send(LogsWritten(shard));
    }
    written
}

/// The values of one sign-up's `accounts` and `sessions` rows.
struct AccountRows([Value; 5], [Value; 4]);

impl AccountRows {
    fn of(a: &NewAccount) -> Self {
        let account = [
            Value::Int(a.user_id),
            Value::Int(i64::from(a.shards.game)),
            Value::Int(i64::from(a.shards.log)),
            Value::Int(a.now_ms),
            Value::Int(a.now_ms),
        ];
        let session = [
            Value::Int(a.user_id),
            Value::Int(a.session.id as i64),
            Value::Bytes(a.session.token_hash.0.to_vec()),
            Value::Int(a.session.expires_at_ms),
        ];
        Self(account, session)
    }
}

/// `head` (`INSERT INTO table (columns) `) and `VALUES (...), (...)` of `rows`, typed by
/// `types`.
fn insert<'a, const N: usize>(
    dialect: Dialect,
    head: &str,
    types: [ColType; N],
    rows: impl Iterator<Item = &'a [Value; N]>,
) -> Statement<'a> {
    let mut s = Statement::new(dialect, format!("{head}VALUES "));
    for (i, row) in rows.enumerate() {
        if i > 0 {
            s.push(", ");
        }
        s.tuple_of(types.iter().zip(row.iter()).map(|(ty, v)| Bind::Value(*ty, v)));
        s.rows += 1;
    }
    s.cacheable = s.rows == 1;
    s
}

/// The sign-in ids, leaving one held already as it is.
fn insert_ids<'a>(dialect: Dialect, rows: &'a [[Value; 4]]) -> Statement<'a> {
    use ColType::{BigInt, Text};
    let head = "INSERT INTO account_auth (provider, auth_id, user_id, created_at_ms) ";
    let mut s = insert(dialect, head, [Text, Text, BigInt, BigInt], rows.iter());
    s.push(match dialect {
        Dialect::Mysql => " ON DUPLICATE KEY UPDATE provider = provider",
        Dialect::Postgres | Dialect::Sqlite => " ON CONFLICT (provider, auth_id) DO NOTHING",
    });
    s
}

/// Which of `ids` hold a sign-in id now (read in the inserting transaction).
fn ids_taken<'a>(dialect: Dialect, ids: &'a [Value]) -> Statement<'a> {
    let mut s = Statement::new(dialect, "SELECT user_id AS i0 FROM account_auth WHERE user_id IN ");
    s.tuple_of(ids.iter().map(|id| Bind::Value(ColType::BigInt, id)));
    s.cacheable = ids.len() == 1;
    s
}

fn insert_accounts<'a>(dialect: Dialect, rows: impl Iterator<Item = &'a [Value; 5]>) -> Statement<'a> {
    let head = "INSERT INTO accounts (user_id, gamedb_shard_no, logdb_shard_no, created_at_ms, updated_at_ms) ";
    insert(dialect, head, [ColType::BigInt; 5], rows)
}

fn insert_sessions<'a>(dialect: Dialect, rows: impl Iterator<Item = &'a [Value; 4]>) -> Statement<'a> {
    use ColType::{BigInt, Bytes};
    let head = "INSERT INTO sessions (user_id, session_id, token_hash, expires_at_ms) ";
    insert(dialect, head, [BigInt, BigInt, Bytes, BigInt], rows)
}
