//! `GameBackend`: the server's implementation of the actors' `UserBackend`: the pure
//! dispatcher for `handle`, the configured [`Store`] for everything durable.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner_actors::{BackendError, Commit, Handled, Loaded, Session, UserBackend, UserId};
use summoner_proto::api::Request;

use crate::game::catalog::Catalog;
use crate::game::dispatch::dispatch;
use crate::game::effects::Changes;
use crate::game::state::UserState;
use crate::storage::{Store, StoreError};

/// Game logic plus storage, as user actors need them.
pub struct GameBackend {
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    test_operations: bool,
}

impl GameBackend {
    /// A backend over `store` with the game data of `catalog`.
    pub fn new(store: Arc<dyn Store>, catalog: Arc<Catalog>, test_operations: bool) -> Self {
        Self { store, catalog, test_operations }
    }

    /// Where handlers get the game-data version in force.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

fn to_backend(e: StoreError) -> BackendError {
    BackendError::new("storage", e)
}

impl UserBackend for GameBackend {
    type State = UserState;
    type Writes = Changes;

    fn load(&self, user: UserId) -> BoxFuture<'static, Result<Loaded<UserState>, BackendError>> {
        self.store.load_user(user).map(|r| r.map_err(to_backend)).boxed()
    }

    fn handle(&self, _user: UserId, state: &UserState, request: &Request, now_ms: i64) -> Handled<UserState, Changes> {
        // One version for the whole request, even if a reload swaps it meanwhile.
        let data = self.catalog.current();
        dispatch(&data, state, request, now_ms, self.test_operations)
    }

    fn commit(&self, user: UserId, commit: Commit<Changes>) -> BoxFuture<'static, Result<(), BackendError>> {
        let Commit { writes: changes, reply } = commit;
        if !changes.events.is_empty() {
            tracing::debug!(user.id = user, events = ?changes.events, "quest events");
        }
        self.store
            .commit(user, changes.shards, Commit { writes: changes.writes, reply })
            .map(|r| r.map_err(to_backend))
            .boxed()
    }

    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, Result<(), BackendError>> {
        self.store.save_session(user, session).map(|r| r.map_err(to_backend)).boxed()
    }
}
