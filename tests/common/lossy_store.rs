//! A store that loses one write the server acknowledged: the N-th new monster row of its
//! commits is left out while the commit reports success, as a broken disk or a buggy
//! storage layer would. The bot swarm's check must catch it.

use std::sync::Mutex;

use futures_util::future::BoxFuture;
use summoner::storage::memory::MemoryStore;
use summoner::storage::rows::RowWrite;
use summoner::storage::{Changes, Store, StoreResult, UserPlace};
use summoner_actors::{Commit, UserId};

use super::hooked_store::{CommitHook, HookedStore};

/// A [`MemoryStore`] that drops one monster insert.
pub type LossyStore = HookedStore<LoseOne>;

/// Counts monster inserts down to the one it drops.
pub struct LoseOne {
    left: Mutex<Option<usize>>,
    /// The user whose write was lost, once it was.
    pub lost_for: Mutex<Option<UserId>>,
}

impl LossyStore {
    /// A store that drops the `n`-th (from 1) new monster row.
    pub fn losing_monster(n: usize) -> Self {
        HookedStore {
            inner: MemoryStore::new(),
            hook: LoseOne { left: Mutex::new(Some(n)), lost_for: Mutex::new(None) },
        }
    }
}

impl CommitHook for LoseOne {
    fn commit(
        &self,
        inner: &MemoryStore,
        user: UserId,
        place: UserPlace,
        mut commit: Commit<Changes>,
    ) -> BoxFuture<'static, StoreResult<()>> {
        let mut left = self.left.lock().unwrap();
        if let Some(n) = *left {
            let inserts: Vec<usize> = commit
                .writes
                .rows
                .iter()
                .enumerate()
                .filter(|(_, w)| matches!(w, RowWrite::Insert(t, _) | RowWrite::Upsert(t, _) if t.name == "monsters"))
                .map(|(i, _)| i)
                .collect();
            if inserts.len() >= n {
                commit.writes.rows.remove(inserts[n - 1]);
                *left = None;
                *self.lost_for.lock().unwrap() = Some(user);
            } else {
                *left = Some(n - inserts.len());
            }
        }
        inner.commit(user, place, commit)
    }
}
