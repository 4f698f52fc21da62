//! A store whose commits wait at a gate the test opens: it makes "a request is in flight"
//! a state the test controls instead of a race it hopes to win.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner::storage::memory::MemoryStore;
use summoner::storage::{Changes, Store, StoreResult, UserPlace};
use summoner_actors::{Commit, UserId};
use tokio::sync::{Semaphore, mpsc};

use super::hooked_store::{CommitHook, HookedStore};

/// A [`MemoryStore`] whose commits announce themselves and then wait for a permit.
pub type GatedStore = HookedStore<Gated>;

/// The store's side of the gate.
pub struct Gated {
    gate: Arc<Semaphore>,
    entered: mpsc::UnboundedSender<UserId>,
}

/// The test's side of the gate.
pub struct Gate {
    pub gate: Arc<Semaphore>,
    pub entered: mpsc::UnboundedReceiver<UserId>,
}

impl GatedStore {
    /// A closed gate and the store behind it.
    pub fn new() -> (Arc<Self>, Gate) {
        let gate = Arc::new(Semaphore::new(0));
        let (tx, rx) = mpsc::unbounded_channel();
        let store = HookedStore { inner: MemoryStore::new(), hook: Gated { gate: gate.clone(), entered: tx } };
        (Arc::new(store), Gate { gate, entered: rx })
    }
}

impl CommitHook for Gated {
    fn commit(
        &self,
        inner: &MemoryStore,
        user: UserId,
        place: UserPlace,
        commit: Commit<Changes>,
    ) -> BoxFuture<'static, StoreResult<()>> {
        let (gate, inner, entered) = (self.gate.clone(), inner.clone(), self.entered.clone());
        async move {
            let _ = entered.send(user);
            let permit = gate.acquire().await.expect("gate stays open");
            permit.forget();
            inner.commit(user, place, commit).await
        }
        .boxed()
    }
}
