//! A [`Courier`] moves rows that wait in a table of one game shard (an outbox, written in the
//! same transaction as the change that made them) to where they belong, at least once, and
//! removes them from where they waited; where they land, a row's key makes a second copy the
//! same row, so every row arrives exactly once whatever crashes where.
//!
//! What differs between couriers is their [`Route`]: the action-log shipper
//! (`crate::storage::shipper`) and the delivery between users (`crate::storage::delivery`).
//! The courier holds what is common. Every round reads the oldest rows of the table, in key
//! order, and carries them: the table is the only record of what waits, so a row is carried
//! only while it is still there, and rows of one writer (whose keys rise with each of its
//! commits) arrive in the order they were committed. A round runs when a commit announced
//! rows ([`Ship`]), when a batch's outcome was unknown ([`Rescan`]), at start (rows a crash
//! left) and at every sweep (a batch abandoned past its time bound may still have committed
//! after that); rounds run at most every `linger` while rows keep coming, so one round
//! carries the rows of many commits. A round has a time bound; a failed or late one is
//! retried with a growing delay (up to [`MAX_BACKOFF`]); nothing is lost meanwhile, the table
//! holds it.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, ActorFutureExt, AsyncContext, Context, Handler, Message, ResponseFuture, WrapFuture};
use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

use crate::storage::nodes::GateSlot;
use crate::storage::rows::Row;
use crate::storage::{StoreError, StoreResult};

/// Rows carried per round.
pub const ROUND: usize = 2_000;
/// Longest wait before retrying after a failure.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Where a courier's rows wait and where they go.
pub trait Route: Send + Sync + 'static {
    /// The oldest rows waiting, at most `limit`, in the order of their key.
    fn read(&self, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>>;
    /// Carries `rows` to where they go, then removes them from where they wait.
    fn carry(&self, rows: Vec<Row>) -> BoxFuture<'static, StoreResult<()>>;
    /// Housekeeping at every sweep besides the read-back (reports, purges), on every node;
    /// `holds_lease`: this node's courier carries the table now. Answers whether it put rows
    /// in the table (a round then carries them).
    fn sweep(&self, holds_lease: bool) -> BoxFuture<'static, bool>;
}

/// A commit wrote rows to carry.
#[derive(Debug)]
pub struct Ship;

impl Message for Ship {
    type Result = ();
}

/// A batch's outcome is unknown: it may have committed rows no [`Ship`] announced.
#[derive(Debug)]
pub struct Rescan;

impl Message for Rescan {
    type Result = ();
}

/// Carry everything announced so far; answers when a round answered every announcement
/// (or failed), at once when there is nothing to carry.
#[derive(Debug)]
pub struct ShipAll;

impl Message for ShipAll {
    type Result = ();
}

/// How a courier paces itself.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Longest a round may take.
    pub limit: Duration,
    /// How often the table is read back anyway.
    pub sweep: Duration,
    /// The pause after a round while rows keep coming: the most a row waits for its round.
    pub linger: Duration,
}

/// Carries one game shard's rows of one [`Route`].
pub struct Courier<R: Route> {
    route: Arc<R>,
    label: String,
    /// Its work lease: it carries only while this node holds it (one courier per table
    /// runs cluster-wide).
    lease: String,
    gate: Arc<GateSlot>,
    pace: Pace,
    /// Reasons to read the table so far (commits announced, unknown outcomes, sweeps), and
    /// how many of them a completed round has answered: a round that read less than a full
    /// page answers every reason counted before it began.
    asked: u64,
    answered: u64,
    carrying: bool,
    /// A sweep runs.
    sweeping: bool,
    /// Resting after a round (`Pace::linger`).
    resting: bool,
    backoff: Duration,
    waiting: Vec<oneshot::Sender<()>>,
}

impl<R: Route> Courier<R> {
    /// A courier of `route`, named `label` in logs, that runs while this node holds the work
    /// lease `lease` (as `gate` says).
    pub fn new(route: R, label: String, pace: Pace, lease: String, gate: Arc<GateSlot>) -> Self {
        Self {
            route: Arc::new(route),
            label,
            lease,
            gate,
            pace,
            // Rows a crash left.
            asked: 1,
            answered: 0,
            carrying: false,
            sweeping: false,
            resting: false,
            backoff: FIRST_BACKOFF,
            waiting: Vec::new(),
        }
    }

    fn ask(&mut self, ctx: &mut Context<Self>) {
        self.asked += 1;
        self.round(ctx);
    }

    fn release_waiting(&mut self) {
        self.waiting.drain(..).for_each(|tx| {
            let _ = tx.send(());
        });
    }

    /// Starts a round unless one runs, nothing is asked, or the courier rests (a flush does
    /// not wait for the rest).
    fn round(&mut self, ctx: &mut Context<Self>) {
        if self.carrying || (self.resting && self.waiting.is_empty()) {
            return;
        }
        if !self.gate.holds(&self.lease) {
            // Another node's courier carries this table; what was asked waits for the lease.
            self.release_waiting();
            return;
        }
        if self.answered >= self.asked {
            self.release_waiting();
            return;
        }
        self.carrying = true;
        let (route, asked) = (self.route.clone(), self.asked);
        let (limit, what) = (self.pace.limit, self.label.clone());
        let (gate, lease) = (self.gate.clone(), self.lease.clone());
        let work = async move {
            let round = async {
                let rows = route.read(ROUND).await?;
                let count = rows.len();
                // Checked again before writing: a node that stalled since the round began
                // may have lost the lease to a courier that carried these rows already.
                if count > 0 && !gate.holds(&lease) {
                    return Ok(0);
                }
                if count > 0 {
                    route.carry(rows).await?;
                }
                Ok::<_, StoreError>(count)
            };
            tokio::time::timeout(limit, round).await.unwrap_or(Err(StoreError::Timeout(what)))
        };
        ctx.spawn(work.into_actor(self).map(move |result, actor, ctx| {
            actor.carrying = false;
            match result {
                Ok(count) => {
                    actor.backoff = FIRST_BACKOFF;
                    // A full page leaves more to read: the next round reads again.
                    if count < ROUND {
                        actor.answered = asked;
                    }
                    if actor.waiting.is_empty() && actor.answered < actor.asked {
                        actor.resting = true;
                        ctx.run_later(actor.pace.linger, |actor, ctx| {
                            actor.resting = false;
                            actor.round(ctx);
                        });
                    } else {
                        actor.round(ctx);
                    }
                }
                Err(e) => {
                    tracing::warn!(courier = %actor.label, error = %e, retry_ms = actor.backoff.as_millis() as u64, "rows not carried yet; retrying");
                    actor.release_waiting();
                    let wait = actor.backoff;
                    actor.backoff = (actor.backoff * 2).min(MAX_BACKOFF);
                    // Commits announced meanwhile wait for the pause too.
                    actor.resting = true;
                    ctx.run_later(wait, |actor, ctx| {
                        actor.resting = false;
                        actor.round(ctx);
                    });
                }
            }
        }));
    }
}

impl<R: Route> Actor for Courier<R> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(1 << 16);
        self.round(ctx);
        ctx.run_interval(self.pace.sweep, |actor, ctx| {
            actor.ask(ctx);
            // One sweep at a time: a slow one (thousands of letters to put back) skips a tick
            // rather than run beside the next over the same rows.
            if actor.sweeping {
                return;
            }
            actor.sweeping = true;
            let holds_lease = actor.gate.holds(&actor.lease);
            ctx.spawn(actor.route.sweep(holds_lease).into_actor(actor).map(|refilled, actor, ctx| {
                actor.sweeping = false;
                if refilled {
                    actor.ask(ctx);
                }
            }));
        });
    }
}

impl<R: Route> Handler<Ship> for Courier<R> {
    type Result = ();

    fn handle(&mut self, _: Ship, ctx: &mut Context<Self>) {
        if !self.gate.holds(&self.lease) {
            self.gate.elsewhere(&self.lease);
        }
        self.ask(ctx);
    }
}

impl<R: Route> Handler<Rescan> for Courier<R> {
    type Result = ();

    fn handle(&mut self, _: Rescan, ctx: &mut Context<Self>) {
        self.ask(ctx);
    }
}

impl<R: Route> Handler<ShipAll> for Courier<R> {
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
