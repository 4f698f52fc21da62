//! A store that loses one write the server acknowledged: the new monster row of the N-th
//! commit that makes exactly one monster (a summon, a battle's drop; not a starter box) is
//! left out while the commit reports success, as a broken disk or a buggy storage layer
//! would. The bot swarm's check must catch it.

use std::sync::Mutex;

use futures_util::future::BoxFuture;
use summoner::storage::memory::MemoryStore;
use summoner::storage::rows::RowWrite;
use summoner::storage::{Changes, Store, StoreResult, UserPlace};
use summoner_actors::{Commit, UserId};

use super::hooked_store::{CommitHook, HookedStore};

/// A [`MemoryStore`] that drops one monster insert.
pub type LossyStore = HookedStore<LoseOne>;

/// Counts commits that make one monster down to the one whose monster it drops.
pub struct LoseOne {
    left: Mutex<Option<usize>>,
    /// The user whose write was lost, once it was.
    pub lost_for: Mutex<Option<UserId>>,
}

impl LossyStore {
    /// A store that drops the monster of the `n`-th (from 1) commit making one monster.
    pub fn losing_single_monster(n: usize) -> Self {
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
        let inserts: Vec<usize> = commit
            .writes
            .rows
            .iter()
            .enumerate()
            .filter(|(_, w)| matches!(w, RowWrite::Insert(t, _) if t.name == "monsters"))
            .map(|(i, _)| i)
            .collect();
        if let (Some(n), [only]) = (*left, inserts.as_slice()) {
            if n == 1 {
                commit.writes.rows.remove(*only);
                *left = None;
                *self.lost_for.lock().unwrap() = Some(user);
            } else {
                *left = Some(n - 1);
            }
        }
        inner.commit(user, place, commit)
    }
}
