//! Group commit: a [`ShardRouter`] actor in front of one [`PersistenceActor`] per shard.
//!
//! A persistence actor queues the writes of many users and commits them in one database
//! transaction (a batch): it flushes when `batch_max_writes` jobs are queued or
//! `batch_delay` after the first one queued, and while a batch is in flight the next one
//! gathers, so under load batches grow by themselves without adding latency.
//!
//! Each job runs inside its own savepoint: a job that fails (a constraint violation, a
//! missing row) is rolled back alone and only its request fails; the rest of the batch
//! commits. If the transaction itself fails (the database is down), every job of the
//! batch fails with a retryable error. A caller is answered only after the commit.
//!
//! Writes are whole rows computed by the user's actor, so a batch that timed out but
//! committed late and is then retried by the client writes the same row again: never a
//! double charge.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, ResponseFuture, SpawnHandle, WrapFuture};
use diesel::ExpressionMethods;
use diesel::QueryDsl;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::future::join_all;
use summoner_actors::StoredReply;
use tokio::sync::oneshot;

use crate::storage::db::{Db, DbKind};
use crate::storage::db_store::{Databases, UserRow};
use crate::storage::schema::{action_log, last_replies, users};
use crate::storage::{StoreError, StoreResult, Write};
use crate::with_conn;

/// The writes of one request for one shard.
#[derive(Debug, Clone)]
pub struct Job {
    pub user: i64,
    pub writes: Vec<Write>,
    /// The reply to store with the writes (game shards only).
    pub reply: Option<StoredReply>,
}

/// Commit `job` on shard `shard_no` of `kind`. Answers once it is durable.
#[derive(Debug)]
pub struct Submit {
    pub kind: DbKind,
    pub shard_no: i16,
    pub job: Job,
}

impl Message for Submit {
    type Result = StoreResult<()>;
}

/// Commit everything queued on every shard; answers when all queues are empty.
#[derive(Debug)]
pub struct FlushAll;

impl Message for FlushAll {
    type Result = ();
}

/// Routes jobs to the persistence actor of their shard.
pub struct ShardRouter {
    shards: HashMap<(DbKind, i16), actix::Addr<PersistenceActor>>,
}

impl Actor for ShardRouter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Every request's commit passes here; the bound is a backstop, not a policy
        // (requests are bounded before, by user mailboxes and server admission).
        ctx.set_mailbox_capacity(1 << 16);
    }
}

impl ShardRouter {
    /// Starts one persistence actor per game and log shard, and the router.
    pub fn start(dbs: &Arc<Databases>, max_writes: usize, delay: Duration, timeout: Duration) -> actix::Addr<Self> {
        let mut shards = HashMap::new();
        for (kind, map) in [(DbKind::Game, &dbs.game), (DbKind::Log, &dbs.log)] {
            for (no, db) in map {
                let actor = PersistenceActor {
                    db: db.clone(),
                    label: format!("{}-{no}", kind.as_str()),
                    queue: Vec::new(),
                    flushing: false,
                    timer: None,
                    drained: Vec::new(),
                    max_writes: max_writes.max(1),
                    delay,
                    timeout,
                };
                shards.insert((kind, *no), actor.start());
            }
        }
        ShardRouter { shards }.start()
    }
}

impl Handler<Submit> for ShardRouter {
    type Result = ResponseFuture<StoreResult<()>>;

    fn handle(&mut self, msg: Submit, _: &mut Context<Self>) -> Self::Result {
        let Some(shard) = self.shards.get(&(msg.kind, msg.shard_no)).cloned() else {
            let missing = StoreError::NotFound(format!("{} shard {}", msg.kind.as_str(), msg.shard_no));
            return Box::pin(async move { Err(missing) });
        };
        Box::pin(async move {
            shard
                .send(Enqueue(msg.job))
                .await
                .map_err(|e| StoreError::Database("reach the shard's persistence actor".into(), e.to_string()))?
        })
    }
}

impl Handler<FlushAll> for ShardRouter {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: FlushAll, _: &mut Context<Self>) -> Self::Result {
        let shards: Vec<_> = self.shards.values().cloned().collect();
        Box::pin(async move {
            join_all(shards.iter().map(|s| s.send(Drain))).await;
        })
    }
}

/// Queue one job.
struct Enqueue(Job);

impl Message for Enqueue {
    type Result = StoreResult<()>;
}

/// Answer when nothing is queued or in flight.
struct Drain;

impl Message for Drain {
    type Result = ();
}

/// Commits the jobs of one shard in batches.
pub struct PersistenceActor {
    db: Db,
    label: String,
    queue: Vec<(Job, oneshot::Sender<StoreResult<()>>)>,
    flushing: bool,
    timer: Option<SpawnHandle>,
    drained: Vec<oneshot::Sender<()>>,
    max_writes: usize,
    delay: Duration,
    timeout: Duration,
}

impl Actor for PersistenceActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(1 << 16);
    }
}

impl PersistenceActor {
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        if self.flushing || self.queue.is_empty() {
            return;
        }
        if self.queue.len() >= self.max_writes || self.delay.is_zero() {
            self.flush(ctx);
        } else if self.timer.is_none() {
            self.timer = Some(ctx.run_later(self.delay, |actor, ctx| {
                actor.timer = None;
                actor.flush(ctx);
            }));
        }
    }

    fn flush(&mut self, ctx: &mut Context<Self>) {
        if self.flushing || self.queue.is_empty() {
            return;
        }
        if let Some(timer) = self.timer.take() {
            ctx.cancel_future(timer);
        }
        let take = self.queue.len().min(self.max_writes);
        let (jobs, senders): (Vec<Job>, Vec<_>) = self.queue.drain(..take).unzip();
        self.flushing = true;
        let db = self.db.clone();
        // The batch is bounded in time too: a database that stops answering fails the
        // batch (retryable) instead of holding the shard forever.
        let limit = self.timeout * 2;
        let batch = async move {
            match tokio::time::timeout(limit, run_batch(&db, &jobs)).await {
                Ok(result) => result,
                Err(_) => Err(StoreError::Timeout("commit a batch".into())),
            }
        };
        let size = senders.len();
        let started = std::time::Instant::now();
        ctx.spawn(batch.into_actor(self).map(move |result, actor, ctx| {
            let metrics = &*crate::metrics::METRICS;
            metrics.batch_size.with_label_values(&[actor.label.as_str()]).observe(size as f64);
            metrics.commit_seconds.with_label_values(&[actor.label.as_str()]).observe(started.elapsed().as_secs_f64());
            match result {
                Ok(outcomes) => {
                    for (sender, outcome) in senders.into_iter().zip(outcomes) {
                        let _ = sender.send(outcome.map_err(|e| StoreError::Database("commit".into(), e)));
                    }
                }
                Err(e) => {
                    tracing::error!(shard = %actor.label, batch.size = size, error = %e, "batch failed");
                    for sender in senders {
                        let _ = sender.send(Err(StoreError::Database("commit a batch".into(), e.to_string())));
                    }
                }
            }
            tracing::trace!(shard = %actor.label, batch.size = size, "batch done");
            actor.flushing = false;
            // What queued during this batch has waited long enough: flush it now.
            if !actor.queue.is_empty() {
                actor.flush(ctx);
            } else {
                actor.drained.drain(..).for_each(|tx| {
                    let _ = tx.send(());
                });
            }
        }));
    }
}

impl Handler<Enqueue> for PersistenceActor {
    type Result = ResponseFuture<StoreResult<()>>;

    fn handle(&mut self, msg: Enqueue, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.queue.push((msg.0, tx));
        self.schedule(ctx);
        Box::pin(async move {
            rx.await
                .unwrap_or_else(|_| Err(StoreError::Database("commit".into(), "the persistence actor stopped".into())))
        })
    }
}

impl Handler<Drain> for PersistenceActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Drain, ctx: &mut Context<Self>) -> Self::Result {
        if !self.flushing && self.queue.is_empty() {
            return Box::pin(async {});
        }
        let (tx, rx) = oneshot::channel();
        self.drained.push(tx);
        self.flush(ctx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// Commits `jobs` in one transaction. Per job: Ok, or why it failed (and was rolled back
/// alone).
///
/// On PostgreSQL and MySQL a batch is first tried as a few multi-row statements (one per
/// table, whatever the batch size: the round trips, not the rows, are the cost). If that
/// fails on a constraint or a missing row, the batch runs again job by job in savepoints,
/// which isolates the culprit. SQLite, with no round trips to save, goes job by job.
pub async fn run_batch(db: &Db, jobs: &[Job]) -> StoreResult<Vec<Result<(), String>>> {
    if jobs.len() > 1 {
        match crate::storage::bulk::write_all(db, jobs).await {
            Ok(true) => return Ok(jobs.iter().map(|_| Ok(())).collect()),
            Ok(false) => {}
            Err(e) => return Err(e),
        }
    }
    run_isolated(db, jobs).await
}

/// One transaction for all `jobs`, each in its own savepoint.
async fn run_isolated(db: &Db, jobs: &[Job]) -> StoreResult<Vec<Result<(), String>>> {
    let what = "commit a batch";
    with_conn!(db, what, |conn| {
        conn.transaction::<_, DieselError, _>(async |conn| {
            let mut outcomes = Vec::with_capacity(jobs.len());
            for job in jobs {
                let outcome = conn
                    .transaction::<_, DieselError, _>(async |conn| {
                        for write in &job.writes {
                            match write {
                                Write::Profile(state) => {
                                    let row = UserRow::from(state);
                                    let n = diesel::update(users::table.find(job.user)).set(&row).execute(conn).await?;
                                    if n == 0 {
                                        return Err(DieselError::NotFound);
                                    }
                                }
                                Write::ActionLog(log) => {
                                    diesel::insert_into(action_log::table)
                                        .values((
                                            action_log::user_id.eq(log.user_id as i64),
                                            action_log::action.eq(log.action),
                                            action_log::params.eq(&log.params),
                                            action_log::result.eq(&log.result),
                                            action_log::at_ms.eq(log.at_ms),
                                        ))
                                        .execute(conn)
                                        .await?;
                                }
                            }
                        }
                        if let Some(reply) = &job.reply {
                            let n = diesel::update(last_replies::table.find(job.user))
                                .set((
                                    last_replies::session_id.eq(reply.session_id as i64),
                                    last_replies::seq.eq(reply.seq as i64),
                                    last_replies::response.eq(&reply.bytes),
                                ))
                                .execute(conn)
                                .await?;
                            if n == 0 {
                                return Err(DieselError::NotFound);
                            }
                        }
                        Ok(())
                    })
                    .await;
                outcomes.push(outcome.map_err(|e| format!("user {}: {e}", job.user)));
            }
            Ok(outcomes)
        })
        .await
        .map_err(|e| StoreError::Database(what.into(), e.to_string()))
    })
}
