//! Group commit: one [`PersistenceActor`] per shard (started by the
//! [`crate::storage::router::ShardRouter`]; the store sends it jobs straight).
//!
//! A persistence actor queues the jobs of many users and commits them in one database
//! transaction (a batch, [`crate::storage::batch`]): it flushes when `batch_max_writes` jobs
//! are queued or `batch_delay` after the first one queued, and while a batch is in flight the
//! next one gathers, so under load batches grow by themselves without adding latency.
//!
//! The queue is bounded ([`QUEUE_CAPACITY`] jobs; past that a job is refused at once as
//! overload) and every job carries its caller's deadline: a job still queued when its
//! deadline passes is dropped, answered as not applied, before anything later of its user
//! runs. One batch is in flight per shard, so a user's jobs land in the order they came.
//! [`Settle`] answers once a user has nothing queued or in flight: a user's state is loaded
//! only after its earlier writes are decided, so a write whose caller gave up can never land
//! after the state was read.
//!
//! Every caller gets a definite answer: committed; not applied (dropped, refused by the
//! fence, rolled back alone, or the batch failed before its commit); or, when the commit
//! itself got no answer (or the batch ran past its time bound), outcome unknown.
//! Committed outbox rows go to the shard's couriers: action logs (`log_outbox`) to its
//! [`LogShipper`], deliveries between users (`outbox`) to its [`DeliveryCourier`].

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, Message, ResponseFuture, SpawnHandle, WrapFuture,
};
use tokio::sync::oneshot;

use crate::storage::batch::{self, BatchError, BatchHook, Job, JobError};
use crate::storage::courier::{Rescan, Ship};
use crate::storage::db::Db;
use crate::storage::delivery::DeliveryCourier;
use crate::storage::queue::{Queue, Queued};
use crate::storage::queue_gauge::QueueGauge;
use crate::storage::rows::RowWrite;
use crate::storage::shipper::LogShipper;
use crate::storage::statements;
use crate::storage::tables::{LOG_OUTBOX, OUTBOX};
use crate::storage::{StoreError, StoreResult};
use crate::with_conn;

/// Jobs a shard queues at most; more are refused as overload (503) rather than queued
/// without bound. Requests are bounded before this too (user mailboxes, server admission).
pub const QUEUE_CAPACITY: usize = 16_384;

/// How persistence actors batch and bound their work.
#[derive(Clone)]
pub struct BatchSettings {
    pub max_writes: usize,
    pub delay: Duration,
    /// Longest a batch may take; past it the batch's outcome is unknown.
    pub limit: Duration,
    /// How often a game shard's action-log outbox is read back anyway.
    pub log_sweep: Duration,
    pub hook: Option<Arc<dyn BatchHook>>,
}

/// Queue one job; its outcome goes to `reply` (straight from the batch that decides it,
/// with no future of the actor's in between).
pub(crate) struct Enqueue {
    pub job: Job,
    pub deadline: Instant,
    /// The operation the job was made for (`crate::storage::statements`).
    pub op: &'static str,
    pub reply: oneshot::Sender<StoreResult<()>>,
}

impl Message for Enqueue {
    type Result = ();
}

/// Answer when nothing is queued or in flight.
pub(crate) struct Drain;

impl Message for Drain {
    type Result = ();
}

/// Answer when the user has nothing queued or in flight.
pub(crate) struct SettleUser(pub i64);

impl Message for SettleUser {
    type Result = ();
}

/// A queued job, who waits for it, and the operation it was made for.
type Pending = (Job, oneshot::Sender<StoreResult<()>>, &'static str);

/// Commits the jobs of one shard in batches.
pub struct PersistenceActor {
    db: Db,
    label: String,
    queue: Queue<Pending>,
    /// Users with a job in the batch in flight.
    in_flight: HashSet<i64>,
    flushing: bool,
    timer: Option<SpawnHandle>,
    drained: Vec<oneshot::Sender<()>>,
    settles: Vec<(i64, oneshot::Sender<()>)>,
    settings: BatchSettings,
    couriers: Option<Couriers>,
    gauge: Arc<QueueGauge>,
    /// When the oldest job of the batch in flight was queued, and how many it holds.
    batch_oldest: Option<Instant>,
    in_batch: usize,
}

/// The couriers of a game shard's outboxes.
pub struct Couriers {
    pub logs: Addr<LogShipper>,
    pub deliveries: Addr<DeliveryCourier>,
}

impl PersistenceActor {
    /// The actor of the shard `db`, named `label` in logs and metrics; committed rows of a
    /// game shard's outboxes go to its `couriers`.
    pub fn new(
        db: Db,
        label: String,
        settings: BatchSettings,
        couriers: Option<Couriers>,
        gauge: Arc<QueueGauge>,
    ) -> Self {
        Self {
            db,
            label,
            queue: Queue::new(QUEUE_CAPACITY),
            in_flight: HashSet::new(),
            flushing: false,
            timer: None,
            drained: Vec::new(),
            settles: Vec::new(),
            settings,
            couriers,
            gauge,
            batch_oldest: None,
            in_batch: 0,
        }
    }

    /// Publishes what the queue holds now.
    fn publish(&self) {
        let oldest = self.batch_oldest.or(self.queue.oldest());
        self.gauge.set(self.queue.len(), self.in_batch, oldest);
    }
}

impl Actor for PersistenceActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(1 << 16);
    }
}

/// What a caller is told when its job was not committed. A user's own (fenced) job that
/// failed alone met rows its actor does not know of: a conflict, so the actor reloads.
fn job_error(label: &str, job: &Job, e: JobError) -> StoreError {
    let user = job.user;
    match e {
        JobError::Failed(m) if job.epoch.is_some() => {
            StoreError::Conflict(format!("commit for user {user} on {label}: {m}"))
        }
        JobError::Failed(m) => StoreError::Database(format!("commit for user {user} on {label}"), m),
        JobError::Fenced { stored, loaded } => StoreError::Fenced(format!(
            "user {user} on {label}: owner epoch {stored} is newer than the {loaded} this commit was made from"
        )),
        JobError::NoUser => StoreError::NotFound(format!("user {user} on {label}")),
    }
}

impl PersistenceActor {
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        if self.flushing || self.queue.is_empty() {
            return;
        }
        if self.queue.len() >= self.settings.max_writes || self.settings.delay.is_zero() {
            self.flush(ctx);
        } else if self.timer.is_none() {
            self.timer = Some(ctx.run_later(self.settings.delay, |actor, ctx| {
                actor.timer = None;
                actor.flush(ctx);
            }));
        }
    }

    fn flush(&mut self, ctx: &mut Context<Self>) {
        if self.flushing {
            return;
        }
        if let Some(timer) = self.timer.take() {
            ctx.cancel_future(timer);
        }
        let (batch, expired) = self.queue.take(self.settings.max_writes, Instant::now());
        for Queued { user, item: (_, tx, _), .. } in expired {
            crate::metrics::METRICS.writes_dropped.inc();
            tracing::warn!(shard = %self.label, user.id = user, "write dropped before it started: its caller gave up");
            let _ = tx.send(Err(StoreError::Timeout(format!(
                "commit for user {user} on {}: dropped before it started",
                self.label
            ))));
        }
        if batch.is_empty() {
            self.after_batch(ctx);
            return;
        }
        self.batch_oldest = batch.iter().map(|q| q.queued_at).min();
        let (mut jobs, mut senders, mut ops) = (Vec::new(), Vec::new(), Vec::new());
        for Queued { item: (job, tx, op), .. } in batch {
            jobs.push(job);
            senders.push(tx);
            ops.push(op);
        }
        self.in_flight = jobs.iter().map(|j| j.user).collect();
        self.flushing = true;
        let (db, label, hook, limit) =
            (self.db.clone(), self.label.clone(), self.settings.hook.clone(), self.settings.limit);
        let batch = async move {
            let refs: Vec<&Job> = jobs.iter().collect();
            let run = async { run_on(&db, &label, &refs, hook.as_ref()).await };
            let (outcome, ran) = statements::in_batch(tokio::time::timeout(limit, run)).await;
            statements::credit(&ops, ran);
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(_) => Err(BatchError::Unknown(format!("the batch took longer than {} ms", limit.as_millis()))),
            };
            (jobs, outcome)
        };
        let size = senders.len();
        let started = Instant::now();
        self.in_batch = size;
        self.publish();
        ctx.spawn(batch.into_actor(self).map(move |(jobs, outcome), actor, ctx| {
            let metrics = &*crate::metrics::METRICS;
            metrics.batch_size.with_label_values(&[actor.label.as_str()]).observe(size as f64);
            metrics.commit_seconds.with_label_values(&[actor.label.as_str()]).observe(started.elapsed().as_secs_f64());
            actor.gauge.batch_done(size, started.elapsed());
            actor.answer(jobs, senders, outcome);
            actor.flushing = false;
            actor.in_flight.clear();
            actor.batch_oldest = None;
            actor.in_batch = 0;
            actor.after_batch(ctx);
        }));
    }

    /// Tells each caller its job's outcome; records and ships what committed.
    fn answer(
        &mut self,
        jobs: Vec<Job>,
        senders: Vec<oneshot::Sender<StoreResult<()>>>,
        outcome: Result<Vec<Result<(), JobError>>, BatchError>,
    ) {
        let outcomes = match outcome {
            Ok(outcomes) => outcomes,
            Err(e) => {
                if matches!(e, BatchError::Unknown(_)) {
                    crate::metrics::METRICS.writes_unknown.inc_by(jobs.len() as u64);
                    // If it landed, its outbox rows are there with nobody to carry them.
                    if let Some(couriers) = &self.couriers {
                        couriers.logs.do_send(Rescan);
                        couriers.deliveries.do_send(Rescan);
                    }
                }
                tracing::error!(shard = %self.label, batch.size = jobs.len(), error = ?e, "batch failed");
                for (job, tx) in jobs.iter().zip(senders) {
                    let what = format!("commit for user {} on {}", job.user, self.label);
                    let _ = tx.send(Err(match &e {
                        BatchError::NotApplied(m) => StoreError::Database(what, m.clone()),
                        BatchError::Unknown(m) => StoreError::OutcomeUnknown(format!("{what}: {m}")),
                    }));
                }
                return;
            }
        };
        // The couriers hear of committed outbox rows before any caller is answered, so a
        // flush asked for after an answer finds them announced.
        let committed = jobs.iter().zip(&outcomes).filter(|(_, o)| o.is_ok()).flat_map(|(job, _)| &job.writes);
        let (mut logged, mut sent) = (false, false);
        for write in committed {
            if let RowWrite::Insert(table, _) = write {
                logged |= std::ptr::eq(*table, &LOG_OUTBOX);
                sent |= std::ptr::eq(*table, &OUTBOX);
            }
        }
        if let Some(couriers) = &self.couriers {
            if logged {
                couriers.logs.do_send(Ship);
            }
            if sent {
                couriers.deliveries.do_send(Ship);
            }
        }
        for ((job, tx), outcome) in jobs.into_iter().zip(senders).zip(outcomes) {
            match outcome {
                Ok(()) => {
                    self.db.stats.record(&job.writes);
                    let _ = tx.send(Ok(()));
                }
                Err(e) => {
                    if matches!(e, JobError::Fenced { .. }) {
                        crate::metrics::METRICS.writes_fenced.inc();
                    }
                    let e = job_error(&self.label, &job, e);
                    tracing::warn!(shard = %self.label, user.id = job.user, error = %e, "write refused");
                    let _ = tx.send(Err(e));
                }
            }
        }
    }

    /// Starts the next batch if jobs wait; answers drains and settles that are due.
    fn after_batch(&mut self, ctx: &mut Context<Self>) {
        if !self.queue.is_empty() {
            // What queued meanwhile has waited long enough.
            self.flush(ctx);
        }
        let (queue, in_flight) = (&self.queue, &self.in_flight);
        let mut waiting = Vec::new();
        for (user, tx) in self.settles.drain(..) {
            if queue.has_user(user) || in_flight.contains(&user) {
                waiting.push((user, tx));
            } else {
                let _ = tx.send(());
            }
        }
        self.settles = waiting;
        self.publish();
        if !self.flushing && self.queue.is_empty() {
            self.drained.drain(..).for_each(|tx| {
                let _ = tx.send(());
            });
        }
    }
}

impl Handler<Enqueue> for PersistenceActor {
    type Result = ();

    fn handle(&mut self, msg: Enqueue, ctx: &mut Context<Self>) {
        let user = msg.job.user;
        let job =
            Queued { user, deadline: msg.deadline, queued_at: Instant::now(), item: (msg.job, msg.reply, msg.op) };
        if let Err(refused) = self.queue.push(job) {
            let (_, reply, _) = refused.item;
            let label = &self.label;
            let _ =
                reply.send(Err(StoreError::Overloaded(format!("{label}: {QUEUE_CAPACITY} writes are queued already"))));
            return;
        }
        self.schedule(ctx);
        self.publish();
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

impl Handler<SettleUser> for PersistenceActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, SettleUser(user): SettleUser, ctx: &mut Context<Self>) -> Self::Result {
        if !self.queue.has_user(user) && !self.in_flight.contains(&user) {
            return Box::pin(async {});
        }
        let (tx, rx) = oneshot::channel();
        self.settles.push((user, tx));
        // Its queued jobs need not wait for the batch delay.
        self.flush(ctx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// Commits `jobs` in one transaction on a connection of `db`.
async fn run_on(
    db: &Db,
    label: &str,
    jobs: &[&Job],
    hook: Option<&Arc<dyn BatchHook>>,
) -> Result<Vec<Result<(), JobError>>, BatchError> {
    // A failed batch is an error of `with_conn!`, so its connection is not reused.
    let result =
        with_conn!(db, "commit a batch", |conn| batch::run(conn, label, jobs, hook).await.map_err(|e| match e {
            BatchError::NotApplied(m) => StoreError::Database("commit a batch".into(), m),
            BatchError::Unknown(m) => StoreError::OutcomeUnknown(m),
        }));
    result.map_err(|e| match e {
        StoreError::OutcomeUnknown(m) => BatchError::Unknown(m),
        other => BatchError::NotApplied(other.to_string()),
    })
}

/// Commits `jobs` in one transaction on `db`, outside any actor (benchmarks compare this
/// against group commit).
pub async fn run_batch(db: &Db, jobs: &[Job]) -> StoreResult<Vec<Result<(), String>>> {
    let refs: Vec<&Job> = jobs.iter().collect();
    match run_on(db, &db.location, &refs, None).await {
        Ok(outcomes) => Ok(outcomes.into_iter().map(|o| o.map_err(|e| format!("{e:?}"))).collect()),
        Err(BatchError::NotApplied(m)) => Err(StoreError::Database("commit a batch".into(), m)),
        Err(BatchError::Unknown(m)) => Err(StoreError::OutcomeUnknown(m)),
    }
}
