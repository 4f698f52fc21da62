//! The action-log outbox of one game shard, shipped to the log shards.
//!
//! A request's action-log rows are written to `log_outbox` in the same transaction as its
//! change (so the reply waits for one durable commit, and a log row exists exactly when the
//! change does). The [`LogShipper`] of the shard then copies them to each user's log shard
//! (`action_log`, keyed by `log_id`, so a copy made twice after a crash is one row) and
//! deletes them from the outbox, in rounds at most every [`LINGER`] while rows keep coming.
//! Rows it holds in memory come from committed batches
//! ([`Ship`]); the outbox is read back at start (rows a crash left), whenever the memory copy
//! was dropped or a batch's outcome was unknown ([`Rescan`]), and every `storage.log_sweep_secs`
//! (a batch abandoned past its time bound may still have committed after that). A round has
//! a time bound; a failed or late one is retried with a growing delay (up to
//! [`MAX_BACKOFF`]); nothing is lost meanwhile, the outbox holds it. Rows for a log shard this
//! node does not know wait in the outbox (logged), without holding up the others.

use std::collections::BTreeMap;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, ResponseFuture, WrapFuture};
use tokio::sync::oneshot;

use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::Db;
use crate::storage::rows::{ColType, Row, Value};
use crate::storage::sql::{self, Bind, Statement};
use crate::storage::tables::{ACTION_LOG, LOG_OUTBOX};
use crate::storage::{StoreError, StoreResult};
use crate::with_conn;

/// Rows shipped per round.
const ROUND: usize = 2_000;
/// Rows held in memory at most; beyond, the outbox alone holds them until a re-read.
const MAX_HELD: usize = 100_000;
/// Longest wait before retrying after a failure.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The pause after a round, so that one round ships the logs of many batches (each round is
/// a statement on the log shard and one on the game shard): the most a log row waits for
/// its round while rows keep coming.
pub const LINGER: Duration = Duration::from_millis(100);

/// Outbox rows just committed, to ship.
#[derive(Debug)]
pub struct Ship(pub Vec<Row>);

impl Message for Ship {
    type Result = ();
}

/// A batch's outcome is unknown: it may have committed outbox rows no [`Ship`] announced.
/// Read the outbox again.
#[derive(Debug)]
pub struct Rescan;

impl Message for Rescan {
    type Result = ();
}

/// Ship everything held now; answers when the outbox is empty or a shipment failed.
#[derive(Debug)]
pub struct ShipAll;

impl Message for ShipAll {
    type Result = ();
}

/// Ships one game shard's outbox.
pub struct LogShipper {
    game: Db,
    logs: BTreeMap<i16, Db>,
    label: String,
    /// Longest a round may take.
    limit: Duration,
    /// How often the outbox is read back anyway.
    sweep: Duration,
    /// Rows to ship, by log id.
    held: BTreeMap<i64, Row>,
    /// Read-backs of the outbox asked for so far, and the last one a round completed (the
    /// outbox may hold rows not in `held` while they differ). Counted, so a read-back asked
    /// for while one runs is not taken as done by it.
    rereads_asked: u64,
    rereads_done: u64,
    shipping: bool,
    /// Resting after a round ([`LINGER`]).
    resting: bool,
    backoff: Duration,
    waiting: Vec<oneshot::Sender<()>>,
}

impl LogShipper {
    /// A shipper of `game`'s outbox to `logs`, each round at most `limit` long, reading the
    /// outbox back every `sweep`.
    pub fn new(game: Db, logs: BTreeMap<i16, Db>, label: &str, limit: Duration, sweep: Duration) -> Self {
        Self {
            game,
            logs,
            label: format!("{label} log outbox"),
            limit,
            sweep,
            held: BTreeMap::new(),
            // Rows a crash left in the outbox.
            rereads_asked: 1,
            rereads_done: 0,
            shipping: false,
            resting: false,
            backoff: FIRST_BACKOFF,
            waiting: Vec::new(),
        }
    }

    fn log_id(row: &Row) -> i64 {
        match row.first() {
            Some(Value::Int(id)) => *id,
            _ => 0,
        }
    }

    fn reread_due(&self) -> bool {
        self.rereads_done < self.rereads_asked
    }

    fn ask_reread(&mut self, ctx: &mut Context<Self>) {
        self.rereads_asked += 1;
        self.round(ctx);
    }

    /// Starts a round unless one runs or the shipper rests (a flush does not wait for the
    /// rest): re-read the outbox if needed, then ship.
    fn round(&mut self, ctx: &mut Context<Self>) {
        if self.shipping || (self.resting && self.waiting.is_empty()) {
            return;
        }
        if self.held.is_empty() && !self.reread_due() {
            self.waiting.drain(..).for_each(|tx| {
                let _ = tx.send(());
            });
            return;
        }
        self.shipping = true;
        let (game, logs) = (self.game.clone(), self.logs.clone());
        let reread = self.reread_due().then_some(self.rereads_asked);
        let rows: Vec<Row> = self.held.values().take(ROUND).cloned().collect();
        let limit = self.limit;
        let work = async move {
            let round = async {
                let rows = if reread.is_some() { read_outbox(&game, &logs).await? } else { rows };
                let count = rows.len();
                ship(&game, &logs, &rows).await?;
                Ok::<_, StoreError>((rows, count))
            };
            tokio::time::timeout(limit, round)
                .await
                .unwrap_or_else(|_| Err(StoreError::Timeout("ship action logs".into())))
        };
        ctx.spawn(work.into_actor(self).map(move |result, actor, ctx| {
            actor.shipping = false;
            match result {
                Ok((rows, count)) => {
                    actor.backoff = FIRST_BACKOFF;
                    // A full page leaves more to read: the next round reads again.
                    if let Some(asked) = reread
                        && count < ROUND
                    {
                        actor.rereads_done = asked;
                    }
                    for row in &rows {
                        actor.held.remove(&Self::log_id(row));
                    }
                    crate::metrics::METRICS.logs_shipped.inc_by(count as u64);
                    if actor.waiting.is_empty() && !actor.held.is_empty() {
                        actor.resting = true;
                        ctx.run_later(LINGER, |actor, ctx| {
                            actor.resting = false;
                            actor.round(ctx);
                        });
                    } else {
                        actor.round(ctx);
                    }
                }
                Err(e) => {
                    tracing::warn!(outbox = %actor.label, error = %e, retry_ms = actor.backoff.as_millis() as u64, "action logs not shipped yet; retrying");
                    actor.waiting.drain(..).for_each(|tx| {
                        let _ = tx.send(());
                    });
                    let wait = actor.backoff;
                    actor.backoff = (actor.backoff * 2).min(MAX_BACKOFF);
                    ctx.run_later(wait, |actor, ctx| actor.round(ctx));
                }
            }
        }));
    }
}

impl Actor for LogShipper {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(1 << 16);
        self.round(ctx);
        ctx.run_interval(self.sweep, |actor, ctx| {
            actor.ask_reread(ctx);
            let logs = actor.logs.keys().copied().collect();
            ctx.spawn(report_stranded(actor.game.clone(), logs).into_actor(actor));
        });
    }
}

impl Handler<Ship> for LogShipper {
    type Result = ();

    fn handle(&mut self, Ship(rows): Ship, ctx: &mut Context<Self>) {
        if self.held.len() + rows.len() > MAX_HELD {
            // The outbox has them; read them back once the backlog is shipped.
            self.ask_reread(ctx);
        } else {
            self.held.extend(rows.into_iter().map(|r| (Self::log_id(&r), r)));
            self.round(ctx);
        }
    }
}

impl Handler<Rescan> for LogShipper {
    type Result = ();

    fn handle(&mut self, _: Rescan, ctx: &mut Context<Self>) {
        self.ask_reread(ctx);
    }
}

impl Handler<ShipAll> for LogShipper {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: ShipAll, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.waiting.push(tx);
        self.round(ctx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// The oldest rows of the outbox bound for the log shards in `logs` (rows for another shard
/// wait, and are logged).
async fn read_outbox(game: &Db, logs: &BTreeMap<i16, Db>) -> StoreResult<Vec<Row>> {
    let what = "read the action-log outbox";
    let shards: Vec<Value> = logs.keys().map(|no| Value::Int(i64::from(*no))).collect();
    with_conn!(game, what, |conn| {
        let mut s = Statement::new(dialect_of(conn), sql::select(dialect_of(conn), &LOG_OUTBOX));
        s.push(" WHERE log_shard IN ");
        s.tuple_of(shards.iter().map(|v| Bind::Value(ColType::BigInt, v)));
        s.push(" ORDER BY log_id LIMIT ");
        s.param(Bind::Int(ROUND as i64));
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
    let keys: Vec<Vec<Value>> = rows.iter().map(|r| vec![Value::Int(LogShipper::log_id(r))]).collect();
    let keys: Vec<&[Value]> = keys.iter().map(Vec::as_slice).collect();
    let what = "empty the action-log outbox";
    with_conn!(game, what, |conn| {
        for statement in sql::delete(dialect_of(conn), &LOG_OUTBOX, &keys) {
            conn.exec(statement).await.map_err(crate::storage::db_store::db(what))?;
        }
        Ok(())
    })
}
