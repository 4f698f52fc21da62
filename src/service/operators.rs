//! What operators do to a user, written once for the admin API and the admin page: grant
//! mail, end a session (kick), retire an actor (passivate), look at a user (what their live
//! actor holds, or a read-only copy from storage without activating one), replay a logged
//! summon, read the shards' queues.
//!
//! Every action on a user is recorded in the operator audit log (`operator_actions` in the
//! common database): who took it, when, why and what it carried, before it runs (an action
//! whose record cannot be written is not taken), and its outcome after.
//!
//! Errors are [`OperatorError`]; the admin transport alone turns them into statuses.

use std::sync::Arc;
use std::time::Duration;

use summoner_actors::{ActorInfo, AskError, CallError, Directory, Inspect, Inspection, Kick, Refresh, Session, UserId};

use crate::game::data::GameData;
use crate::game::entities::TABLES;
use crate::game::grants::{self, Grant};
use crate::game::state::UserState;
use crate::service::audit::{self, AuditError, Replay};
use crate::service::backend::GameBackend;
use crate::service::battle_audit::{self, BattleReplay};
use crate::storage::ExportedTable;
use crate::storage::delivery::DeadLetter;
use crate::storage::nodes::{NodeRow, WorkLease};
use crate::storage::queue_gauge::QueueView;
use crate::storage::{ActionLog, OPERATOR_ACTION_PENDING, OperatorActionQuery, OperatorActionRow, StoreError};

/// How long a look waits for a busy actor before showing what the directory knows.
const INSPECT_WAIT: Duration = Duration::from_secs(2);
/// How long a grant waits for a live actor to read its state again.
const REFRESH_WITHIN: Duration = Duration::from_secs(5);
/// How long a kick waits for the user's actor.
const KICK_WAIT: Duration = Duration::from_secs(10);

/// Why an operator's action did not happen (or may not have).
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("no user {0}")]
    NoSuchUser(u64),
    /// The game data refuses it; nothing was written.
    #[error("refused: {0}")]
    Refused(String),
    /// Storage was busy; nothing was written.
    #[error("storage is busy, nothing written: {0}")]
    Busy(String),
    /// The action's outcome is unknown: it may have been done (a write whose answer was lost,
    /// an actor that did not answer in time); the same action again is safe.
    #[error("not confirmed, it may have been done; the same action again is safe: {0}")]
    Unconfirmed(String),
    /// Storage or the user's actor could not be reached; nothing was done.
    #[error("{0}")]
    Unavailable(String),
    /// The request is not one that can be taken (a missing reason, a bad name); nothing was
    /// done.
    #[error("{0}")]
    Invalid(String),
}

/// Longest operator name and reason kept.
pub const MAX_OPERATOR_CHARS: usize = 64;
pub const MAX_REASON_CHARS: usize = 500;
/// The most rows one read of the operator audit log answers.
pub const MAX_AUDIT_PAGE: usize = 500;

/// Who takes an action on a user, and why: what the operator audit log keeps of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    operator: String,
    reason: String,
}

impl Acting {
    /// `operator` acting for `reason`: each must have a visible character, no control
    /// character, and fit its bound ([`MAX_OPERATOR_CHARS`], [`MAX_REASON_CHARS`]).
    pub fn new(operator: &str, reason: &str) -> Result<Self, OperatorError> {
        Ok(Self { operator: operator_name(operator)?, reason: bounded_text("the reason", reason, MAX_REASON_CHARS)? })
    }
}

/// `text` as an operator's name: something visible, at most [`MAX_OPERATOR_CHARS`]
/// characters, no control character (trimmed).
pub fn operator_name(text: &str) -> Result<String, OperatorError> {
    bounded_text("the operator's name", text, MAX_OPERATOR_CHARS)
}

fn bounded_text(what: &str, text: &str, max: usize) -> Result<String, OperatorError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        Err(OperatorError::Invalid(format!("{what} must have 1 to {max} characters and no control characters")))
    } else {
        Ok(text.to_owned())
    }
}

/// One operator action as the audit log shows it: who took it, when, on whom, why, what it
/// carried and how it ended (`pending` until it answered).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OperatorAction {
    pub action_id: u64,
    pub at_ms: i64,
    pub operator: String,
    pub action: String,
    pub user_id: UserId,
    pub reason: String,
    pub detail: String,
    pub outcome: String,
    /// When the outcome was written (0: it has not been).
    pub finished_at_ms: i64,
}

impl From<OperatorActionRow> for OperatorAction {
    fn from(r: OperatorActionRow) -> Self {
        Self {
            action_id: r.action_id,
            at_ms: r.at_ms,
            operator: r.operator,
            action: r.action,
            user_id: r.user_id,
            reason: r.reason,
            detail: r.detail,
            outcome: r.outcome,
            finished_at_ms: r.finished_at_ms,
        }
    }
}

/// A grant written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Granted {
    pub user_id: u64,
    pub mail_id: u64,
    /// Whether the user's live actor read its mail again before the answer.
    pub live: bool,
}

/// What a look at a user found.
pub enum Looked {
    /// A live actor answered with what it holds.
    Live { info: ActorInfo, inspection: Box<Inspection<UserState>> },
    /// A live actor did not answer in time (busy with a request).
    Busy { info: ActorInfo },
    /// No live actor: what an activation would load, read without activating.
    Stored { state: Box<UserState>, session: Option<Session>, last_seq: Option<u64> },
}

/// The cluster as `GET /admin/cluster` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClusterView {
    /// The node that answered.
    pub this_node: u16,
    pub now_ms: i64,
    /// Whether it serves now (its lease holds), and whether it is stopping.
    pub serving: bool,
    pub draining: bool,
    pub nodes: Vec<NodeRow>,
    pub leases: Vec<WorkLease>,
    /// The peers this node forwards to, as its last renewal read them (less those found gone).
    pub peers: Vec<u16>,
}

/// The most suspects one read lists.
pub const MAX_SUSPECTS: usize = 500;

/// A game day's highest bot scores (`GET /admin/suspects`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suspects {
    pub day_ms: i64,
    pub suspects: Vec<Suspect>,
}

/// One user's bot score of the day and the features behind it (`crate::game::bot_score`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suspect {
    pub user_id: u64,
    pub score: f64,
    pub features: serde_json::Value,
    pub scored_at_ms: i64,
}

/// The operators' service: handed to the admin transport at wiring time.
#[derive(Clone)]
pub struct Operators {
    directory: Arc<Directory<GameBackend>>,
    /// The audited actions running now.
    running: Arc<Running>,
}

/// A count of running actions that can be waited to reach zero, and whether new ones are
/// still taken.
#[derive(Default)]
struct Running {
    count: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
    closing: std::sync::atomic::AtomicBool,
}

/// One running action; it ends when dropped.
struct RunningAction(Arc<Running>);

impl Running {
    /// One more running action, unless closing.
    fn enter(this: &Arc<Running>) -> Option<RunningAction> {
        this.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let action = RunningAction(this.clone());
        // Counted before the check: a close that saw no action running sees this one refused.
        (!this.closing.load(std::sync::atomic::Ordering::SeqCst)).then_some(action)
    }

    async fn idle(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.idle.notified();
            if self.count.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }
}

impl Drop for RunningAction {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Operators {
    /// Operators' actions on the users of `directory` and its store.
    pub fn new(directory: Arc<Directory<GameBackend>>) -> Self {
        Self { directory, running: Arc::default() }
    }

    /// The game data in force.
    pub fn game_data(&self) -> Arc<GameData> {
        self.directory.backend().catalog().current()
    }

    /// The time now, by the server's clock.
    pub fn now_ms(&self) -> i64 {
        self.directory.clock().now_ms()
    }

    /// Grants `user` the mail of `grant`: written on the user's game shard only if that grant
    /// is not there yet (a retry is never doubled), recorded in the user's action log, and
    /// read by the user's live actor, if any.
    pub async fn grant(&self, acting: &Acting, user: u64, grant: &Grant) -> Result<Granted, OperatorError> {
        // Refused before anything is recorded: a grant the game data refuses, a user that
        // does not exist.
        let (mail_id, row) = grants::mail_row(&self.game_data(), user, grant, self.now_ms())
            .map_err(|e| OperatorError::Refused(e.to_string()))?;
        self.existing(user).await?;
        let rewards: Vec<String> = grant.rewards.iter().map(|r| format!("{}x{}", r.what, r.amount)).collect();
        let detail = format!("grant={:?} title={:?} rewards={}", grant.grant_id, grant.title, rewards.join(","));
        let (this, grant_id, rewards) = (self.clone(), grant.grant_id.clone(), grant.rewards.len());
        let work = async move { this.grant_now(user, mail_id, row, grant_id, rewards).await };
        // The same grant sent again writes nothing new: the mail is in place either way.
        let outcome = |g: &Granted| format!("mail {} in place (live actor told: {})", g.mail_id, g.live);
        self.audited(acting, "grant", user, detail, work, outcome).await
    }

    /// `user`'s existence, checked before an action on them is recorded.
    async fn existing(&self, user: UserId) -> Result<(), OperatorError> {
        match self.owner(user).await? {
            Some(_) => Ok(()),
            None => Err(OperatorError::NoSuchUser(user)),
        }
    }

    async fn grant_now(
        &self,
        user: u64,
        mail_id: u64,
        row: crate::storage::rows::RowWrite,
        grant_id: String,
        rewards: usize,
    ) -> Result<Granted, OperatorError> {
        let now = self.now_ms();
        let store = self.directory.backend().store().clone();
        match store.write_outside(user, vec![row]).await {
            Ok(()) => {}
            Err(StoreError::NotFound(_)) => return Err(OperatorError::NoSuchUser(user)),
            Err(e @ StoreError::Overloaded(_)) => return Err(OperatorError::Busy(e.to_string())),
            Err(e) => {
                tracing::warn!(user.id = user, error = %e, "grant not confirmed");
                return Err(OperatorError::Unconfirmed(e.to_string()));
            }
        }
        tracing::info!(user.id = user, mail.id = mail_id, grant = %grant_id, "operator grant written");
        // The grant's trail on the user's log shard (each send is recorded; the mail is one).
        let log = ActionLog {
            user_id: user,
            action: "operator_grant",
            params: format!("grant={grant_id:?} mail={mail_id}"),
            result: format!("rewards={rewards}"),
            at_ms: now,
        };
        let logged = match store.load_profiles(vec![user]).await {
            Ok(rows) => match rows.first() {
                Some(row) => store.append_logs(row.shards, vec![log]).await,
                None => Err(StoreError::NotFound(format!("user {user}"))),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = logged {
            tracing::warn!(user.id = user, mail.id = mail_id, error = %e, "operator grant not recorded in the action log");
        }
        let live = match self.directory.live(user) {
            // Bounded like every call: past it, the actor still refreshes; the answer says it may not have.
            Some(actor) => {
                matches!(tokio::time::timeout(REFRESH_WITHIN, actor.send(Refresh::Added)).await, Ok(Ok(true)))
            }
            None => false,
        };
        Ok(Granted { user_id: user, mail_id, live })
    }

    /// Ends `user`'s session (activating the user's actor if none is live, never for a user
    /// who does not exist); answers whether a session was open.
    pub async fn kick(&self, acting: &Acting, user: u64) -> Result<bool, OperatorError> {
        self.existing(user).await?;
        let this = self.clone();
        let work = async move { this.kick_now(user).await };
        let outcome = |ended: &bool| (if *ended { "session ended" } else { "no session was open" }).to_owned();
        self.audited(acting, "kick", user, String::new(), work, outcome).await
    }

    async fn kick_now(&self, user: u64) -> Result<bool, OperatorError> {
        if self.directory.live(user).is_none() {
            match self.directory.backend().store().peek_user(user, &[]).await {
                Ok(Some(_)) => {}
                Ok(None) => return Err(OperatorError::NoSuchUser(user)),
                Err(e) => return Err(OperatorError::Unavailable(format!("storage: {e}"))),
            }
        }
        match self.directory.ask(user, KICK_WAIT, || Kick).await {
            Ok(ended) => Ok(ended),
            Err(AskError::Call(CallError::Internal(m))) if m.contains("not loaded") => {
                Err(OperatorError::NoSuchUser(user))
            }
            // The actor may still end the session after the wait.
            Err(e @ AskError::Timeout) => Err(OperatorError::Unconfirmed(e.to_string())),
            Err(e) => Err(OperatorError::Unavailable(e.to_string())),
        }
    }

    /// Retires `user`'s actor now, if live (after the request it handles); answers whether
    /// one was.
    pub async fn passivate(&self, acting: &Acting, user: u64) -> Result<bool, OperatorError> {
        // A live actor is proof enough (and passivating a stuck one must not need its shard).
        if self.directory.live(user).is_none() {
            self.existing(user).await?;
        }
        let directory = self.directory.clone();
        let work = async move { Ok(directory.passivate(user).await) };
        let outcome = |done: &bool| (if *done { "passivated" } else { "no live actor here" }).to_owned();
        self.audited(acting, "passivate", user, String::new(), work, outcome).await
    }

    /// Runs `work`, the operator action `action` on `user`, recorded in the operator audit
    /// log: first with its outcome pending (if that record cannot be written, the action is
    /// not taken), then with what `outcome` says of its result, or its error (`not confirmed`
    /// when it may have been done). Both records and the action run in a task of their own
    /// on this worker's thread (an action may start a user's actor, which lives there), so an
    /// operator who stops waiting (a dropped connection) leaves nothing half-done, and a stop
    /// waits for it ([`Operators::close`]). An action that panics is recorded as not confirmed. An
    /// outcome that cannot be written leaves the record pending and is logged; the action's
    /// answer stands.
    async fn audited<T: 'static>(
        &self,
        acting: &Acting,
        action: &'static str,
        user: UserId,
        detail: String,
        work: impl std::future::Future<Output = Result<T, OperatorError>> + 'static,
        outcome: impl FnOnce(&T) -> String + 'static,
    ) -> Result<T, OperatorError> {
        use futures_util::FutureExt as _;
        use tracing::Instrument as _;
        let backend = self.directory.backend();
        let (store, clock) = (backend.store().clone(), self.directory.clock().clone());
        let action_id = crate::ids::generator(backend.node().id).next_id();
        let record = OperatorActionRow {
            action_id,
            at_ms: clock.now_ms(),
            operator: acting.operator.clone(),
            action: action.to_owned(),
            user_id: user,
            reason: acting.reason.clone(),
            detail,
            outcome: OPERATOR_ACTION_PENDING.to_owned(),
            finished_at_ms: 0,
        };
        let running = Running::enter(&self.running)
            .ok_or_else(|| OperatorError::Unavailable("the server is stopping; no action is taken".into()))?;
        let task = actix::spawn(
            async move {
                let _running = running;
                store.record_operator_action(record).await.map_err(|e| {
                    OperatorError::Unavailable(format!("the operator audit log could not be written, nothing done: {e}"))
                })?;
                let done = match std::panic::AssertUnwindSafe(work).catch_unwind().await {
                    Ok(done) => done,
                    // It may have written before it panicked.
                    Err(_) => Err(OperatorError::Unconfirmed(format!("the {action} panicked"))),
                };
                let said = match &done {
                    Ok(value) => outcome(value),
                    Err(e @ OperatorError::Unconfirmed(_)) => e.to_string(),
                    Err(e) => format!("failed: {e}"),
                };
                if let Err(e) = store.finish_operator_action(action_id, said, clock.now_ms()).await {
                    tracing::warn!(user.id = user, action, action_id, error = %e, "operator action's outcome not recorded");
                }
                tracing::info!(user.id = user, action, action_id, "operator action");
                done
            }
            .instrument(tracing::info_span!("operator_action", operator = %acting.operator)),
        );
        task.await.map_err(|e| OperatorError::Unavailable(format!("the action's task ended early: {e}")))?
    }

    /// Takes no new operator action from now on, and waits until none is running, at most
    /// `within`; answers whether none is (a stop calls it before the admin listener closes,
    /// so actions end with their record).
    pub async fn close(&self, within: Duration) -> bool {
        self.running.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        self.running.idle(within).await
    }

    /// A page of the operator audit log (of `user` only, when given), newest first: actions
    /// with an id below `before`, at most `limit` (1 to [`MAX_AUDIT_PAGE`]).
    pub async fn operator_actions(
        &self,
        user: Option<UserId>,
        before: u64,
        limit: usize,
    ) -> Result<Vec<OperatorAction>, OperatorError> {
        if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
            return Err(OperatorError::Invalid(format!("limit must be 1 to {MAX_AUDIT_PAGE}")));
        }
        let query = OperatorActionQuery { user, before, limit };
        let store = self.directory.backend().store();
        let rows =
            store.operator_actions(query).await.map_err(|e| OperatorError::Unavailable(format!("storage: {e}")))?;
        Ok(rows.into_iter().map(OperatorAction::from).collect())
    }

    /// The replay of `user`'s logged draw that gave monster `draw` (`crate::service::audit`).
    pub async fn replay_summon(&self, user: u64, draw: u64) -> Result<Replay, AuditError> {
        let backend = self.directory.backend();
        audit::replay_summon(backend.store().as_ref(), backend.catalog(), user, draw).await
    }

    /// The replay of `user`'s logged battle `token` (`crate::service::battle_audit`).
    pub async fn replay_battle(&self, user: u64, token: u64) -> Result<BattleReplay, AuditError> {
        let backend = self.directory.backend();
        battle_audit::replay_battle(backend.store().as_ref(), user, token).await
    }

    /// The highest bot scores of the game day holding `day_ms` (default: the last complete
    /// game day), at most `limit` (1 to [`MAX_SUSPECTS`]).
    pub async fn suspects(&self, day_ms: Option<i64>, limit: usize) -> Result<Suspects, StoreError> {
        let reset = self.game_data().reset.clone();
        // Any instant of a day names that day.
        let day_ms = match day_ms {
            Some(at) => reset.last_reset(at),
            None => reset.last_reset(reset.last_reset(self.now_ms()) - 1),
        };
        let rows = self.directory.backend().store().top_bot_scores(day_ms, limit.min(MAX_SUSPECTS)).await?;
        let suspects = rows
            .into_iter()
            .map(|r| Suspect {
                user_id: r.user_id,
                score: r.score_milli as f64 / 1_000.0,
                // Written by the scoring run as JSON; a row that does not read shows as null.
                features: serde_json::from_str(&r.features).unwrap_or(serde_json::Value::Null),
                scored_at_ms: r.scored_at_ms,
            })
            .collect();
        Ok(Suspects { day_ms, suspects })
    }

    /// The shards' group-commit queues, as operators read them.
    pub fn shard_queues(&self) -> Vec<QueueView> {
        self.directory.backend().store().queues()
    }

    /// Sets the gauges the service samples at scrape time: each shard's group-commit queue,
    /// the game-data version in force, the cache's traffic and its writes behind replies.
    pub fn sample_gauges(&self) {
        let (backend, metrics) = (self.directory.backend(), &*crate::metrics::METRICS);
        for queue in backend.store().queues() {
            let shard = queue.shard.as_str();
            metrics.queue_depth.with_label_values(&[shard]).set((queue.queued + queue.in_batch) as i64);
            metrics.queue_oldest_seconds.with_label_values(&[shard]).set(queue.oldest_job_ms.unwrap_or(0.0) / 1000.0);
        }
        metrics.gamedata_version.set(i64::from(backend.catalog().current().version));
        let traffic = backend.cache().traffic();
        metrics.cache_round_trips.set(traffic.round_trips as i64);
        metrics.cache_commands.set(traffic.commands as i64);
        let behind = backend.write_behind();
        metrics.cache_writes_behind.set(behind.sent() as i64);
        metrics.cache_writes_dropped.set(behind.dropped() as i64);
    }

    /// The cluster as operators see it: every node's row (its lease, live actors, whether it
    /// is stopping), every work lease and who holds it, and which node answers.
    pub async fn cluster(&self) -> Result<ClusterView, OperatorError> {
        let store = self.directory.backend().store();
        let unavailable = |e: crate::storage::StoreError| OperatorError::Unavailable(format!("storage: {e}"));
        let nodes = store.nodes().await.map_err(unavailable)?;
        let leases = store.work_leases().await.map_err(unavailable)?;
        let node = self.directory.backend().node();
        let now_ms = self.now_ms();
        Ok(ClusterView {
            this_node: node.id,
            now_ms,
            serving: node.serving(),
            draining: node.stopping(),
            nodes,
            leases,
            peers: node.peers().iter().map(|p| p.id).collect(),
        })
    }

    /// Every row `user` owns, on every database, as a data export's JSON: each table's rows
    /// as objects by column (integers as numbers, text as strings, bytes as `{"hex": ...}`).
    pub async fn export_user(&self, user: u64) -> Result<serde_json::Value, OperatorError> {
        let store = self.directory.backend().store();
        let tables = match store.export_user(user).await {
            Ok(Some(tables)) => tables,
            Ok(None) => return Err(OperatorError::NoSuchUser(user)),
            Err(e) => return Err(OperatorError::Unavailable(format!("storage: {e}"))),
        };
        let tables: Vec<serde_json::Value> = tables.iter().map(exported_table).collect();
        Ok(serde_json::json!({ "user_id": user, "exported_at_ms": self.now_ms(), "tables": tables }))
    }

    /// The deliveries couriers could not carry, at most `limit` of each outbox.
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, OperatorError> {
        let store = self.directory.backend().store();
        store.dead_letters(limit).await.map_err(|e| OperatorError::Unavailable(format!("storage: {e}")))
    }

    /// Puts the dead letters of `outbox` back in it, for its courier to carry again (once
    /// what stopped them is mended); answers how many.
    pub async fn requeue_dead_letters(&self, outbox: &str) -> Result<u64, OperatorError> {
        let store = self.directory.backend().store();
        let requeued = store.requeue_dead_letters(outbox.to_owned()).await.map_err(|e| match e {
            crate::storage::StoreError::NotFound(what) => OperatorError::Refused(format!("no {what}")),
            e => OperatorError::Unavailable(format!("storage: {e}")),
        })?;
        store.nudge(crate::storage::delivery::lease_name_of(outbox));
        Ok(requeued)
    }

    /// The node that owns `user` (-1: none yet) and the owner epoch; None: no such user.
    pub async fn owner(&self, user: u64) -> Result<Option<(i64, i64)>, OperatorError> {
        let store = self.directory.backend().store();
        store.owner_of(user).await.map_err(|e| OperatorError::Unavailable(format!("storage: {e}")))
    }

    /// What `user`'s live actor holds, or a read-only copy from storage when none is live.
    pub async fn look(&self, user: u64) -> Result<Looked, OperatorError> {
        if let (Some(info), Some(addr)) = (self.directory.actor(user), self.directory.live(user)) {
            match tokio::time::timeout(INSPECT_WAIT, addr.send(Inspect::default())).await {
                Ok(Ok(Ok(inspection))) => return Ok(Looked::Live { info, inspection: Box::new(inspection) }),
                Err(_) => return Ok(Looked::Busy { info }),
                // Retired meanwhile: storage below is the truth.
                Ok(_) => {}
            }
        }
        // What an activation would load (after the user's writes still queued are decided),
        // read without activating: no actor is started, nothing is written.
        let loaded = match self.directory.backend().store().load_user(user, TABLES).await {
            Ok(loaded) => loaded,
            Err(StoreError::NotFound(_)) => return Err(OperatorError::NoSuchUser(user)),
            Err(e) => return Err(OperatorError::Unavailable(format!("storage: {e}"))),
        };
        let state =
            UserState::from_rows(&loaded.state).map_err(|e| OperatorError::Unavailable(format!("storage: {e}")))?;
        Ok(Looked::Stored {
            state: Box::new(state),
            session: loaded.session,
            // The last change's seq: a later read's reply was handed to the cache, not stored.
            last_seq: loaded.last_reply.as_ref().map(|r| r.seq),
        })
    }
}

/// One table of an export as JSON.
fn exported_table(table: &ExportedTable) -> serde_json::Value {
    use crate::storage::rows::Value;
    let value = |v: &Value| match v {
        Value::Int(v) => serde_json::Value::from(*v),
        Value::Text(v) => serde_json::Value::from(v.as_str()),
        Value::Bytes(v) => serde_json::json!({ "hex": hex::encode(v) }),
    };
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = table
        .rows
        .iter()
        .map(|row| table.columns.iter().zip(row).map(|(c, v)| ((*c).to_owned(), value(v))).collect())
        .collect();
    serde_json::json!({ "database": table.database, "table": table.table, "rows": rows })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::SeqCst;

    use super::*;

    #[tokio::test]
    async fn a_close_waits_for_the_running_actions_and_takes_no_new_one() {
        let running = Arc::new(Running::default());
        let action = Running::enter(&running).expect("taken before closing");
        running.closing.store(true, SeqCst);
        assert!(Running::enter(&running).is_none(), "none is taken while closing");
        assert_eq!(running.count.load(SeqCst), 1, "a refused one is not counted");
        let closed = tokio::spawn({
            let running = running.clone();
            async move { running.idle(Duration::from_secs(30)).await }
        });
        drop(action);
        assert!(closed.await.expect("the wait ends"), "idle once the last action ended");
        assert!(running.idle(Duration::ZERO).await, "and stays idle");
    }
}
