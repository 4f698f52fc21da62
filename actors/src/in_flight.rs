//! Requests in flight and the stage each one waits in, so a hung server can be read
//! without a debugger: every request the transport admits is a [`Probe`] in the
//! [`InFlight`] registry until it is answered.
//!
//! A probe's stage is set by whoever holds the request at the time: the transport
//! (admission, the user's mailbox), the user's actor (handler, QuestActor, persistence), and
//! code deep in storage or the cache, which cannot be handed the probe, through [`enter`]:
//! the actor and the transport run each step of a request inside [`traced`], which makes
//! the probe the task's current one. A stage entered that way is left when its guard
//! drops, so the probe names the innermost wait.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::UserId;

/// Where a request waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Stage {
    /// Admitted by the server; its body is being read and decoded.
    Admission = 0,
    /// Queued for its user's actor (or for the actor to load the user's state).
    Mailbox = 1,
    /// The user's actor runs it (the pure handler, or reading what it needs).
    Handler = 2,
    /// Its events are with the QuestActor.
    QuestActor = 3,
    /// Its writes wait in a shard's group-commit queue or batch.
    Persistence = 4,
    /// Waiting for a Redis shard.
    Redis = 5,
    /// Waiting for a database read (outside a commit batch).
    Database = 6,
    /// Waiting for an outbound HTTP call (a sign-in provider).
    Outbound = 7,
}

impl Stage {
    /// Every stage, in the order a request usually meets them.
    pub const ALL: [Stage; 8] = [
        Stage::Admission,
        Stage::Mailbox,
        Stage::Handler,
        Stage::QuestActor,
        Stage::Persistence,
        Stage::Redis,
        Stage::Database,
        Stage::Outbound,
    ];

    /// The stage's name in views, logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Admission => "admission",
            Stage::Mailbox => "mailbox",
            Stage::Handler => "handler",
            Stage::QuestActor => "quest_actor",
            Stage::Persistence => "persistence",
            Stage::Redis => "redis",
            Stage::Database => "database",
            Stage::Outbound => "outbound",
        }
    }

    fn from_u8(value: u8) -> Stage {
        Stage::ALL.get(usize::from(value)).copied().unwrap_or(Stage::Handler)
    }
}

/// No shard named.
const NO_SHARD: i32 = -1;

/// One request in flight: who, what, since when, and where it waits now.
#[derive(Debug)]
pub struct Probe {
    id: u64,
    started: Instant,
    deadline: Instant,
    user: AtomicU64,
    op: OnceLock<&'static str>,
    stage: AtomicU8,
    shard: AtomicI32,
    warned: AtomicBool,
}

impl Probe {
    fn new(id: u64, deadline: Duration) -> Self {
        let started = Instant::now();
        Self {
            id,
            started,
            deadline: started + deadline,
            user: AtomicU64::new(0),
            op: OnceLock::new(),
            stage: AtomicU8::new(Stage::Admission as u8),
            shard: AtomicI32::new(NO_SHARD),
            warned: AtomicBool::new(false),
        }
    }

    /// Names the request's user, once known.
    pub fn set_user(&self, user: UserId) {
        self.user.store(user, Ordering::Relaxed);
    }

    /// Names the request's operation, once decoded.
    pub fn set_op(&self, op: &'static str) {
        let _ = self.op.set(op);
    }

    /// Moves the request to `stage` (on `shard`, if the stage has one).
    pub fn set_stage(&self, stage: Stage, shard: Option<i32>) {
        self.shard.store(shard.unwrap_or(NO_SHARD), Ordering::Relaxed);
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    fn stage(&self) -> (Stage, Option<i32>) {
        let shard = self.shard.load(Ordering::Relaxed);
        (Stage::from_u8(self.stage.load(Ordering::Relaxed)), (shard != NO_SHARD).then_some(shard))
    }

    /// What the probe says now.
    pub fn view(&self, now: Instant) -> InFlightView {
        let (stage, shard) = self.stage();
        let user = self.user.load(Ordering::Relaxed);
        InFlightView {
            id: self.id,
            user: (user != 0).then_some(user),
            op: self.op.get().copied().unwrap_or("none"),
            stage,
            shard,
            age: now.saturating_duration_since(self.started),
            overdue: now > self.deadline,
        }
    }
}

/// A request in flight as the views show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlightView {
    /// The probe's number, unique in this process.
    pub id: u64,
    pub user: Option<UserId>,
    /// The operation, "none" before the body decoded.
    pub op: &'static str,
    pub stage: Stage,
    /// The shard of a persistence, Redis or database stage, when known.
    pub shard: Option<i32>,
    pub age: Duration,
    /// Past its deadline (the request timeout).
    pub overdue: bool,
}

/// Lock stripes of the registry: admitting a request takes one, briefly.
const STRIPES: usize = 16;

/// Every request in flight in this process.
#[derive(Debug)]
pub struct InFlight {
    stripes: Vec<Mutex<HashMap<u64, Arc<Probe>>>>,
    hasher: RandomState,
    next: AtomicU64,
}

impl Default for InFlight {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            next: AtomicU64::new(1),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section is one insert, remove or read: a poisoned lock is whole.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl InFlight {
    fn stripe(&self, id: u64) -> &Mutex<HashMap<u64, Arc<Probe>>> {
        &self.stripes[(self.hasher.hash_one(id) as usize) % STRIPES]
    }

    /// Registers a request that must be answered within `deadline`; it leaves the registry
    /// when the returned guard drops.
    pub fn begin(self: &Arc<Self>, deadline: Duration) -> Tracked {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let probe = Arc::new(Probe::new(id, deadline));
        lock(self.stripe(id)).insert(id, probe.clone());
        Tracked { registry: self.clone(), probe }
    }

    /// Every request in flight, oldest first.
    pub fn views(&self) -> Vec<InFlightView> {
        let now = Instant::now();
        let mut views: Vec<InFlightView> =
            self.stripes.iter().flat_map(|s| lock(s).values().map(|p| p.view(now)).collect::<Vec<_>>()).collect();
        views.sort_by(|a, b| b.age.cmp(&a.age).then(a.id.cmp(&b.id)));
        views
    }

    /// How many requests wait in each stage, in [`Stage::ALL`]'s order.
    pub fn by_stage(&self) -> [usize; Stage::ALL.len()] {
        let mut counts = [0; Stage::ALL.len()];
        for stripe in &self.stripes {
            for probe in lock(stripe).values() {
                counts[probe.stage().0 as usize] += 1;
            }
        }
        counts
    }

    /// The requests that passed their deadline since the last call (each is named once).
    pub fn newly_overdue(&self) -> Vec<InFlightView> {
        self.overdue_at(Instant::now())
    }

    fn overdue_at(&self, now: Instant) -> Vec<InFlightView> {
        let mut overdue = Vec::new();
        for stripe in &self.stripes {
            for probe in lock(stripe).values() {
                if now > probe.deadline && !probe.warned.swap(true, Ordering::Relaxed) {
                    overdue.push(probe.view(now));
                }
            }
        }
        overdue
    }
}

/// A registered request; dropping it (the request answered or abandoned) unregisters it.
#[derive(Debug)]
pub struct Tracked {
    registry: Arc<InFlight>,
    probe: Arc<Probe>,
}

impl Tracked {
    /// The request's probe.
    pub fn probe(&self) -> &Arc<Probe> {
        &self.probe
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        lock(self.registry.stripe(self.probe.id)).remove(&self.probe.id);
    }
}

tokio::task_local! {
    static CURRENT: Arc<Probe>;
}

/// Runs `work` with `probe` as the current probe, so the stages code inside it [`enter`]s
/// are recorded on it.
pub async fn traced<F: Future>(probe: Option<Arc<Probe>>, work: F) -> F::Output {
    match probe {
        Some(probe) => CURRENT.scope(probe, work).await,
        None => work.await,
    }
}

/// The operation of the current probe, if the task has one and it is named.
pub fn current_op() -> Option<&'static str> {
    CURRENT.try_with(|probe| probe.op.get().copied()).ok().flatten()
}

/// Puts the current probe (if any) in `stage` until the guard drops, when the stage it was
/// in before comes back.
pub fn enter(stage: Stage, shard: Option<i32>) -> StageGuard {
    let probe = CURRENT.try_with(Arc::clone).ok();
    let before = probe.as_ref().map(|p| p.stage());
    if let Some(probe) = &probe {
        probe.set_stage(stage, shard);
    }
    StageGuard { probe, before }
}

/// Restores the stage a probe was in before [`enter`].
#[must_use = "the stage lasts as long as its guard"]
pub struct StageGuard {
    probe: Option<Arc<Probe>>,
    before: Option<(Stage, Option<i32>)>,
}

impl Drop for StageGuard {
    fn drop(&mut self) {
        if let (Some(probe), Some((stage, shard))) = (&self.probe, self.before) {
            probe.set_stage(stage, shard);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_probe_names_its_innermost_stage_and_leaves_with_its_guard() {
        let registry = Arc::new(InFlight::default());
        let tracked = registry.begin(Duration::from_secs(60));
        tracked.probe().set_user(7);
        tracked.probe().set_op("Summon");
        tracked.probe().set_stage(Stage::Handler, None);
        let probe = tracked.probe().clone();
        traced(Some(probe.clone()), async {
            let _persistence = enter(Stage::Persistence, Some(2));
            let view = &registry.views()[0];
            assert_eq!((view.user, view.op, view.stage, view.shard), (Some(7), "Summon", Stage::Persistence, Some(2)));
            assert_eq!(registry.by_stage()[Stage::Persistence as usize], 1);
        })
        .await;
        assert_eq!(registry.views()[0].stage, Stage::Handler, "the stage before comes back");
        // Outside a traced task, entering a stage touches no probe.
        drop(enter(Stage::Redis, Some(0)));
        assert_eq!(registry.views()[0].stage, Stage::Handler);
        drop(tracked);
        assert!(registry.views().is_empty());
    }

    #[test]
    fn an_overdue_request_is_named_once() {
        let registry = Arc::new(InFlight::default());
        let _late = registry.begin(Duration::from_secs(1));
        let _fine = registry.begin(Duration::from_secs(60));
        let later = Instant::now() + Duration::from_secs(2);
        let overdue = registry.overdue_at(later);
        assert_eq!(overdue.len(), 1);
        assert!(overdue[0].overdue);
        assert!(registry.overdue_at(later).is_empty());
        let views = registry.views();
        assert_eq!(views.len(), 2);
        assert!(views[0].age >= views[1].age, "oldest first");
    }
}
