//! Scheduled jobs as actors, as the seed ran them under Celery beat: each job is a
//! [`JobActor`] that runs its work every interval, one run at a time, each run bounded by a
//! timeout; runs are counted and timed (`summoner_job_*` metrics), the last one is kept for
//! operators (`GET /admin/jobs`), and an operator can run one now
//! (`POST /admin/jobs/{name}/run`).
//!
//! The jobs: [`sweeps`] (expired and claimed mail, battles never finished, action-log
//! retention), [`recommendations`] (stale entries of the friend-recommendation buckets),
//! [`deletions`] (accounts past their deletion's grace period), [`bot_scores`] (each user
//! active on the last game day scored from the action logs) and [`signing_keys`] (the
//! sign-in providers' keys read ahead of sign-ins).

pub mod bot_scores;
pub mod deletions;
pub mod recommendations;
pub mod signing_keys;
pub mod sweeps;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::future::BoxFuture;
use serde::Serialize;
use summoner_actors::Clock;
use tokio::sync::oneshot;

use crate::cache::Cache;
use crate::config::JobsConfig;
use crate::metrics::METRICS;
use crate::service::bot_scoring::BotScoring;
use crate::service::catalog::Catalog;
use crate::service::deletions::Eraser;
use crate::service::oidc::Providers;
use crate::storage::Store;

/// Outbound HTTP calls a job makes are bounded by this (a request's path uses 3–9 s).
pub const JOB_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A scheduled job first runs this long after start (or after its interval, if shorter).
pub const FIRST_RUN_AFTER: Duration = Duration::from_secs(60);

/// Work that runs on a schedule.
pub trait Job: Send + Sync + 'static {
    /// Its name, in metrics, logs and the admin path.
    fn name(&self) -> &'static str;
    /// What the count a run answers counts ("rows deleted", ...).
    fn unit(&self) -> &'static str;
    /// Runs once as of `now_ms`; answers how many items it handled.
    fn run(&self, now_ms: i64) -> BoxFuture<'static, Result<u64, String>>;
    /// Whether every node runs it (it fills this process's memory), rather than the one
    /// node holding its work lease (it changes shared rows).
    fn on_every_node(&self) -> bool {
        false
    }
}

/// How one run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    Failed,
    TimedOut,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed_out",
        }
    }
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRun {
    pub job: &'static str,
    pub started_at_ms: i64,
    pub took_ms: u64,
    pub outcome: Outcome,
    /// Items handled (0 unless done).
    pub count: u64,
    pub unit: &'static str,
    pub error: Option<String>,
}

/// A job as operators see it.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    pub name: &'static str,
    /// Seconds between runs; None when it runs only when asked.
    pub every_secs: Option<u64>,
    pub timeout_secs: u64,
    /// How long the run in progress has taken, if one is.
    pub running_ms: Option<u64>,
    /// Whether this node runs the job now: it holds the job's lease, or the job runs on every node.
    pub held_here: bool,
    pub runs: u64,
    pub last: Option<JobRun>,
}

/// The job's schedule.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// None: only when asked.
    pub every: Option<Duration>,
    pub timeout: Duration,
}

/// Whether this node runs a job now: it holds the job's work lease (one runner
/// cluster-wide). Takes the lease's name ([`lease_name`]).
pub type JobGate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The work lease of job `name`.
pub fn lease_name(name: &str) -> String {
    format!("job:{name}")
}

/// Runs one job on its schedule.
pub struct JobActor {
    job: Arc<dyn Job>,
    schedule: Schedule,
    gate: JobGate,
    clock: Arc<dyn Clock>,
    running: Option<Instant>,
    /// The run in progress, aborted if the job stops first.
    run_task: Option<tokio::task::AbortHandle>,
    waiting: Vec<oneshot::Sender<JobRun>>,
    runs: u64,
    last: Option<JobRun>,
}

impl JobActor {
    pub fn new(job: Arc<dyn Job>, schedule: Schedule, clock: Arc<dyn Clock>, gate: JobGate) -> Self {
        Self { job, schedule, gate, clock, running: None, run_task: None, waiting: Vec::new(), runs: 0, last: None }
    }

    /// Whether this node holds the job's lease now.
    fn held(&self) -> bool {
        (self.gate)(&lease_name(self.job.name()))
    }

    /// Starts a run unless one is in progress; answers whether it started one.
    fn begin(&mut self, ctx: &mut Context<Self>) -> bool {
        if self.running.is_some() {
            return false;
        }
        let started = Instant::now();
        self.running = Some(started);
        let (timeout, now_ms) = (self.schedule.timeout, self.clock.now_ms());
        // A task of its own: a panic in the job is a failed run, not a dead actor, and a run
        // past its timeout (or still going when the job stops) is aborted rather than left
        // running behind the next.
        let mut run = tokio::spawn(self.job.run(now_ms));
        self.run_task = Some(run.abort_handle());
        let work = async move {
            let outcome = match tokio::time::timeout(timeout, &mut run).await {
                Ok(Ok(Ok(count))) => (Outcome::Done, count, None),
                Ok(Ok(Err(error))) => (Outcome::Failed, 0, Some(error)),
                Ok(Err(panicked)) => (Outcome::Failed, 0, Some(format!("the job panicked: {panicked}"))),
                Err(_) => {
                    run.abort();
                    (Outcome::TimedOut, 0, Some(format!("not done within {} s", timeout.as_secs_f64())))
                }
            };
            (outcome, now_ms, started.elapsed())
        };
        ctx.spawn(work.into_actor(self).map(|((outcome, count, error), now_ms, took), actor, _| {
            actor.finish(JobRun {
                job: actor.job.name(),
                started_at_ms: now_ms,
                took_ms: took.as_millis() as u64,
                outcome,
                count,
                unit: actor.job.unit(),
                error,
            })
        }));
        true
    }

    fn finish(&mut self, run: JobRun) {
        let name = run.job;
        METRICS.job_runs.with_label_values(&[name, run.outcome.as_str()]).inc();
        METRICS.job_seconds.with_label_values(&[name]).observe(run.took_ms as f64 / 1000.0);
        match run.outcome {
            Outcome::Done => {
                METRICS.job_items.with_label_values(&[name]).inc_by(run.count);
                let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                METRICS.job_last_success.with_label_values(&[name]).set(unix.as_secs_f64());
                tracing::info!(job = name, count = run.count, unit = run.unit, took_ms = run.took_ms, "job done");
            }
            Outcome::Failed | Outcome::TimedOut => tracing::warn!(
                job = name,
                outcome = run.outcome.as_str(),
                error = run.error.as_deref().unwrap_or_default(),
                took_ms = run.took_ms,
                "job did not finish"
            ),
        }
        self.running = None;
        self.run_task = None;
        self.runs += 1;
        for waiter in self.waiting.drain(..) {
            let _ = waiter.send(run.clone());
        }
        self.last = Some(run);
    }
}

impl Actor for JobActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if let Some(every) = self.schedule.every {
            // The first run soon after start (a node restarted more often than a daily job's
            // interval still runs it), then every interval. A run still going when the next
            // falls due is not doubled: that tick is skipped.
            // Each run only where the job's lease is held: one node runs it cluster-wide.
            ctx.run_later(every.min(FIRST_RUN_AFTER), |actor, ctx| {
                if actor.held() {
                    actor.begin(ctx);
                }
            });
            ctx.run_interval(every, |actor, ctx| {
                if actor.held() {
                    actor.begin(ctx);
                }
            });
        }
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        if let Some(run) = self.run_task.take() {
            run.abort();
        }
    }
}

/// Stops the job (at shutdown): a run in progress is abandoned with it.
pub struct Stop;

impl Message for Stop {
    type Result = ();
}

impl Handler<Stop> for JobActor {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

/// Runs the job now and answers the run; `Busy` when a run is in progress, `Elsewhere`
/// when another node holds the job's lease.
pub struct RunNow;

/// Why a run did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotNow {
    Busy,
    Elsewhere,
}

impl Message for RunNow {
    type Result = Result<oneshot::Receiver<JobRun>, NotNow>;
}

impl Handler<RunNow> for JobActor {
    type Result = Result<oneshot::Receiver<JobRun>, NotNow>;

    fn handle(&mut self, _: RunNow, ctx: &mut Context<Self>) -> Self::Result {
        if !self.held() {
            return Err(NotNow::Elsewhere);
        }
        if !self.begin(ctx) {
            return Err(NotNow::Busy);
        }
        let (tell, told) = oneshot::channel();
        self.waiting.push(tell);
        Ok(told)
    }
}

/// The job's view.
pub struct Status;

impl Message for Status {
    type Result = JobView;
}

impl Handler<Status> for JobActor {
    type Result = MessageResult<Status>;

    fn handle(&mut self, _: Status, _: &mut Context<Self>) -> Self::Result {
        MessageResult(JobView {
            name: self.job.name(),
            every_secs: self.schedule.every.map(|d| d.as_secs()),
            timeout_secs: self.schedule.timeout.as_secs(),
            running_ms: self.running.map(|at| at.elapsed().as_millis() as u64),
            held_here: self.held(),
            runs: self.runs,
            last: self.last.clone(),
        })
    }
}

/// Why an operator's run did not happen.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    #[error("no job is named {0:?}")]
    Unknown(String),
    #[error("job {0} is running already")]
    Busy(&'static str),
    #[error("job {0} stopped")]
    Stopped(&'static str),
    #[error("job {0} runs on another node now (it holds the job's lease); ask that node")]
    Elsewhere(&'static str),
}

/// What the server's jobs work on.
pub struct JobServices {
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub catalog: Arc<Catalog>,
    pub providers: Arc<Providers>,
    /// How long sign-in providers' keys are cached.
    pub jwks_cache: Duration,
    /// Erases accounts past their deletion's grace period.
    pub eraser: Arc<Eraser>,
}

/// Every job of the server, by name; and the work leases of those that run on one node.
#[derive(Clone, Default)]
pub struct Jobs(Vec<(&'static str, Addr<JobActor>)>, Vec<String>);

impl Jobs {
    /// Starts `jobs` with their schedules, each run where `gate` says. Must run inside an
    /// actix system.
    pub fn start(jobs: Vec<(Arc<dyn Job>, Schedule)>, clock: Arc<dyn Clock>, gate: JobGate) -> Self {
        let leases =
            jobs.iter().filter(|(job, _)| !job.on_every_node()).map(|(job, _)| lease_name(job.name())).collect();
        let everywhere: JobGate = Arc::new(|_| true);
        let actors = jobs
            .into_iter()
            .map(|(job, schedule)| {
                let gate = if job.on_every_node() { everywhere.clone() } else { gate.clone() };
                (job.name(), JobActor::new(job, schedule, clock.clone(), gate).start())
            })
            .collect();
        Self(actors, leases)
    }

    /// The work leases of the jobs that run on one node at a time.
    pub fn leases(&self) -> Vec<String> {
        self.1.clone()
    }

    /// The server's jobs: what `config` and the services call for.
    pub fn for_server(config: &JobsConfig, on: JobServices, clock: Arc<dyn Clock>, gate: JobGate) -> Self {
        let JobServices { store, cache, catalog, providers, jwks_cache, eraser } = on;
        let timeout = Duration::from_secs(config.timeout_secs);
        let every = |secs: u64| Schedule { every: config.enabled.then(|| Duration::from_secs(secs)), timeout };
        let mut jobs: Vec<(Arc<dyn Job>, Schedule)> = vec![
            (Arc::new(sweeps::expired_mail(store.clone(), config)), every(config.mail_every_secs)),
            (Arc::new(sweeps::stale_battles(store.clone(), config)), every(config.battles_every_secs)),
            (Arc::new(sweeps::action_log_retention(store.clone(), config)), every(config.action_log_every_secs)),
            (Arc::new(sweeps::clan_ops_retention(store.clone(), config)), every(config.clan_ops_every_secs)),
            (
                Arc::new(bot_scores::ScoreBots(Arc::new(BotScoring::new(store, catalog.clone())))),
                Schedule {
                    timeout: Duration::from_secs(config.bot_scores_timeout_secs),
                    ..every(config.bot_scores_every_secs)
                },
            ),
            (Arc::new(recommendations::TrimBuckets::new(cache, catalog)), every(config.recommendations_every_secs)),
            (Arc::new(deletions::EraseAccounts(eraser)), every(config.deletions_every_secs)),
        ];
        if !providers.is_empty() {
            // Read well before the cached keys go stale, so sign-ins do not wait for a fetch.
            let secs = (jwks_cache.as_secs() / 2).max(60);
            jobs.push((Arc::new(signing_keys::RefreshKeys::new(providers)), every(secs)));
        }
        Self::start(jobs, clock, gate)
    }

    /// Stops every job (graceful shutdown).
    pub async fn stop(&self) {
        for (_, actor) in &self.0 {
            let _ = actor.send(Stop).await;
        }
    }

    /// Every job's view, in the order they were started.
    pub async fn views(&self) -> Vec<JobView> {
        let mut out = Vec::with_capacity(self.0.len());
        for (_, actor) in &self.0 {
            if let Ok(view) = actor.send(Status).await {
                out.push(view);
            }
        }
        out
    }

    /// Runs job `name` now and waits for the run (its own timeout bounds the wait).
    pub async fn run(&self, name: &str) -> Result<JobRun, RunError> {
        let (name, actor) = self.0.iter().find(|(n, _)| *n == name).ok_or_else(|| RunError::Unknown(name.into()))?;
        let told = actor.send(RunNow).await.map_err(|_| RunError::Stopped(name))?.map_err(|not| match not {
            NotNow::Busy => RunError::Busy(name),
            NotNow::Elsewhere => RunError::Elsewhere(name),
        })?;
        told.await.map_err(|_| RunError::Stopped(name))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use futures_util::FutureExt;
    use summoner_actors::ManualClock;

    use super::*;

    /// Counts its runs; a run waits on the gate when it has one.
    struct Counting {
        runs: Arc<AtomicU64>,
        gate: Option<Arc<tokio::sync::Notify>>,
        fail: bool,
    }

    impl Job for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }
        fn unit(&self) -> &'static str {
            "runs"
        }
        fn run(&self, _now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
            let (runs, gate, fail) = (self.runs.clone(), self.gate.clone(), self.fail);
            async move {
                if let Some(gate) = gate {
                    gate.notified().await;
                }
                if fail {
                    return Err("the store said no".into());
                }
                Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
            }
            .boxed()
        }
    }

    fn jobs(job: Counting, timeout: Duration) -> Jobs {
        let schedule = Schedule { every: None, timeout };
        Jobs::start(vec![(Arc::new(job), schedule)], Arc::new(ManualClock::new()), Arc::new(|_: &str| true))
    }

    #[actix::test]
    async fn a_run_is_counted_and_kept() {
        let runs = Arc::new(AtomicU64::new(0));
        let jobs = jobs(Counting { runs: runs.clone(), gate: None, fail: false }, Duration::from_secs(5));
        let before = METRICS.job_runs.with_label_values(&["counting", "done"]).get();
        let run = jobs.run("counting").await.expect("runs");
        assert_eq!((run.outcome, run.count, run.unit), (Outcome::Done, 1, "runs"));
        assert_eq!(jobs.run("counting").await.expect("runs again").count, 2);
        assert!(METRICS.job_runs.with_label_values(&["counting", "done"]).get() >= before + 2);
        let views = jobs.views().await;
        assert_eq!((views[0].runs, views[0].last.as_ref().map(|r| r.count)), (2, Some(2)));
        assert_eq!(jobs.run("nothing").await, Err(RunError::Unknown("nothing".into())));
    }

    /// Fills this process's memory: runs on every node.
    struct Local;

    impl Job for Local {
        fn name(&self) -> &'static str {
            "local"
        }
        fn unit(&self) -> &'static str {
            "keys"
        }
        fn run(&self, _now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
            async { Ok(1) }.boxed()
        }
        fn on_every_node(&self) -> bool {
            true
        }
    }

    #[actix::test]
    async fn a_job_on_every_node_runs_without_a_lease_and_the_others_only_with_theirs() {
        let schedule = Schedule { every: None, timeout: Duration::from_secs(5) };
        let counting = Counting { runs: Arc::default(), gate: None, fail: false };
        let jobs = Jobs::start(
            vec![(Arc::new(counting), schedule), (Arc::new(Local), schedule)],
            Arc::new(ManualClock::new()),
            Arc::new(|_: &str| false),
        );
        assert_eq!(jobs.leases(), vec![lease_name("counting")], "only the shared job takes a work lease");
        assert!(matches!(jobs.run("counting").await, Err(RunError::Elsewhere(_))), "no lease here: not run");
        assert_eq!(jobs.run("local").await.expect("runs").outcome, Outcome::Done);
    }

    #[actix::test]
    async fn a_run_past_its_timeout_is_abandoned_and_the_next_goes_on() {
        let gate = Arc::new(tokio::sync::Notify::new());
        let runs = Arc::new(AtomicU64::new(0));
        let jobs =
            jobs(Counting { runs: runs.clone(), gate: Some(gate.clone()), fail: false }, Duration::from_millis(50));
        let run = jobs.run("counting").await.expect("answers");
        assert_eq!(run.outcome, Outcome::TimedOut);
        assert!(run.error.as_deref().is_some_and(|e| e.contains("not done within")), "{run:?}");
        assert!(jobs.views().await[0].running_ms.is_none(), "nothing is left running");
        // The next run goes on; the abandoned one was aborted, so it never finishes its work.
        gate.notify_one();
        let next = jobs.run("counting").await.expect("answers");
        assert_eq!((next.outcome, next.count), (Outcome::Done, 1), "only the second run counted: {next:?}");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    /// Panics in its run.
    struct Panicking;

    impl Job for Panicking {
        fn name(&self) -> &'static str {
            "panicking"
        }
        fn unit(&self) -> &'static str {
            "runs"
        }
        fn run(&self, _now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
            async { panic!("a bug in the job") }.boxed()
        }
    }

    #[actix::test]
    async fn a_panicking_run_is_a_failed_run_and_the_job_goes_on() {
        let schedule = Schedule { every: None, timeout: Duration::from_secs(5) };
        let jobs =
            Jobs::start(vec![(Arc::new(Panicking), schedule)], Arc::new(ManualClock::new()), Arc::new(|_: &str| true));
        for _ in 0..2 {
            let run = jobs.run("panicking").await.expect("the actor answers");
            assert_eq!(run.outcome, Outcome::Failed);
            assert!(run.error.as_deref().is_some_and(|e| e.contains("panicked")), "{run:?}");
        }
    }

    #[actix::test]
    async fn a_second_run_while_one_is_in_progress_is_refused() {
        let gate = Arc::new(tokio::sync::Notify::new());
        let jobs =
            jobs(Counting { runs: Arc::default(), gate: Some(gate.clone()), fail: false }, Duration::from_secs(30));
        let first = {
            let jobs = jobs.clone();
            actix::spawn(async move { jobs.run("counting").await })
        };
        // The first run is in progress once the actor reports it running.
        let started = async {
            while jobs.views().await[0].running_ms.is_none() {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), started).await.expect("the first run starts");
        assert_eq!(jobs.run("counting").await, Err(RunError::Busy("counting")));
        gate.notify_one();
        assert_eq!(first.await.expect("joins").expect("runs").outcome, Outcome::Done);
    }

    /// Waits forever; says when its run is dropped.
    struct Endless(std::sync::Mutex<Option<oneshot::Sender<()>>>);

    /// Sends when dropped.
    struct OnDrop(Option<oneshot::Sender<()>>);

    impl Drop for OnDrop {
        fn drop(&mut self) {
            if let Some(tell) = self.0.take() {
                let _ = tell.send(());
            }
        }
    }

    impl Job for Endless {
        fn name(&self) -> &'static str {
            "endless"
        }
        fn unit(&self) -> &'static str {
            "runs"
        }
        fn run(&self, _now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
            let guard = OnDrop(self.0.lock().unwrap().take());
            async move {
                let _guard = guard;
                std::future::pending::<Result<u64, String>>().await
            }
            .boxed()
        }
    }

    #[actix::test]
    async fn stopping_a_job_aborts_its_run() {
        let (tell, dropped) = oneshot::channel();
        let schedule = Schedule { every: None, timeout: Duration::from_secs(3_600) };
        let jobs = Jobs::start(
            vec![(Arc::new(Endless(std::sync::Mutex::new(Some(tell)))), schedule)],
            Arc::new(ManualClock::new()),
            Arc::new(|_: &str| true),
        );
        let waiting = {
            let jobs = jobs.clone();
            actix::spawn(async move { jobs.run("endless").await })
        };
        let started = async {
            while jobs.views().await[0].running_ms.is_none() {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), started).await.expect("the run starts");
        jobs.stop().await;
        tokio::time::timeout(Duration::from_secs(10), dropped)
            .await
            .expect("the run is aborted when the job stops")
            .expect("the run's guard says so");
        assert_eq!(waiting.await.expect("joins"), Err(RunError::Stopped("endless")));
    }

    #[actix::test]
    async fn a_failed_run_says_why() {
        let jobs = jobs(Counting { runs: Arc::default(), gate: None, fail: true }, Duration::from_secs(5));
        let run = jobs.run("counting").await.expect("answers");
        assert_eq!((run.outcome, run.error.as_deref()), (Outcome::Failed, Some("the store said no")));
    }
}
