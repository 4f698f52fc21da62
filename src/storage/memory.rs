//! An in-memory [`Store`]: the same contract as SQLite without durability. For benchmarks
//! of the request path and for tests that exercise logic rather than storage.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::future::{BoxFuture, ready};
use summoner_actors::{Commit, Loaded, Session, StoredReply, TokenHash, UserId};

use crate::game::effects::ActionLog;
use crate::game::state::{UserShards, UserState};
use crate::storage::{AuthId, Registered, Store, StoreError, StoreResult, Write};

#[derive(Default)]
struct Inner {
    next_id: u64,
    auth: HashMap<AuthId, UserId>,
    users: HashMap<UserId, UserState>,
    sessions: HashMap<UserId, Session>,
    replies: HashMap<UserId, StoredReply>,
    logs: Vec<ActionLog>,
}

/// Storage in a map; lost when the process ends.
#[derive(Clone, Default)]
pub struct MemoryStore(Arc<Mutex<Inner>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The action-log records of `user`, oldest first.
    pub fn action_logs(&self, user: UserId) -> Vec<ActionLog> {
        self.inner().logs.iter().filter(|l| l.user_id == user).cloned().collect()
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Each critical section is one map operation; a poisoned lock holds consistent maps.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemoryStore {
    fn register(&self, auth: AuthId, template: UserState, _now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>> {
        let mut inner = self.inner();
        if let Some(&user_id) = inner.auth.get(&auth) {
            return Box::pin(ready(Ok(Registered { user_id, created: false, shards: UserShards::default() })));
        }
        inner.next_id += 1;
        let user_id = inner.next_id;
        inner.auth.insert(auth, user_id);
        inner.users.insert(user_id, UserState { user_id, ..template });
        Box::pin(ready(Ok(Registered { user_id, created: true, shards: UserShards::default() })))
    }

    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        Box::pin(ready(Ok(self.inner().auth.get(&auth).copied())))
    }

    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        let inner = self.inner();
        let user = inner.sessions.iter().find(|(_, s)| s.token_hash == token).map(|(&u, _)| u);
        Box::pin(ready(Ok(user)))
    }

    fn load_user(&self, user: UserId) -> BoxFuture<'static, StoreResult<Loaded<UserState>>> {
        let inner = self.inner();
        let result = match inner.users.get(&user) {
            None => Err(StoreError::NotFound(format!("load user {user}"))),
            Some(state) => Ok(Loaded {
                state: state.clone(),
                session: inner.sessions.get(&user).cloned(),
                last_reply: inner.replies.get(&user).cloned(),
            }),
        };
        Box::pin(ready(result))
    }

    fn append_logs(&self, _shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner().logs.extend(logs);
        Box::pin(ready(Ok(())))
    }

    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<UserState>>> {
        let inner = self.inner();
        Box::pin(ready(Ok(users.iter().filter_map(|u| inner.users.get(u).cloned()).collect())))
    }

    fn commit(
        &self,
        user: UserId,
        _shards: UserShards,
        commit: Commit<Vec<Write>>,
    ) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        for write in commit.writes {
            match write {
                Write::Profile(state) => {
                    inner.users.insert(user, state);
                }
                Write::ActionLog(log) => inner.logs.push(log),
            }
        }
        inner.replies.insert(user, commit.reply);
        Box::pin(ready(Ok(())))
    }

    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        match session {
            Some(s) => inner.sessions.insert(user, s),
            None => inner.sessions.remove(&user),
        };
        Box::pin(ready(Ok(())))
    }
}
