//! An in-memory [`Store`]: the same contract as the SQL store (rows per table, the owner-epoch
//! fence, the reply stored with its writes, deliveries between users) without durability.
//! Deliveries reach the receiver's inbox in the sender's commit. For benchmarks of the
//! request path and for tests that exercise logic rather than storage.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::future::{BoxFuture, ready};
use summoner_actors::{Commit, Loaded, Session, StoredReply, TokenHash, UserId};

use crate::storage::db::DbKind;
use crate::storage::nodes::{Activated, ClaimRefused, NodeBeat, NodeRow, OwnerClaim, WorkClaim, WorkGate, WorkLease};
use crate::storage::rows::{Row, RowWrite, TableDef, Value};
use crate::storage::tables::{CLAN_MEMBERS, CLAN_OPS, CLAN_OUTBOX, CLAN_REQUESTS, CLANS, INBOX, OUTBOX, USERS};
use crate::storage::{
    ActionLog, AuthId, BotScoreRow, Changes, ClanCommit, ClanCommitError, ClanRows, Deletion, DeletionPhase,
    FoundProfile, LoggedAction, OperatorActionQuery, OperatorActionRow, ProfileRow, Registered, SignUp, SignedUp,
    Store, StoreError, StoreResult, Sweep, UserLogQuery, UserPlace, UserRows, UserShards,
};

#[derive(Default)]
struct Inner {
    /// Told of deliveries.
    listener: Option<crate::storage::delivery::Listener>,
    next_id: u64,
    auth: HashMap<AuthId, UserId>,
    /// Rows by table name, then key.
    tables: HashMap<&'static str, BTreeMap<Vec<Value>, Row>>,
    epochs: HashMap<UserId, i64>,
    /// The node that owns each user (as `users.owner_node`).
    owners: HashMap<UserId, u16>,
    nodes: BTreeMap<u16, NodeRow>,
    work: BTreeMap<String, WorkLease>,
    sessions: HashMap<UserId, Session>,
    replies: HashMap<UserId, StoredReply>,
    /// Action logs by log id (from 1, in the order they came).
    logs: BTreeMap<u64, ActionLog>,
    next_log: u64,
    /// Accounts' deletions, as `account_deletions`.
    deletions: BTreeMap<UserId, Deletion>,
    /// When a deletion a run failed on is due again (`account_deletions.retry_at_ms`).
    deletion_retry_at: BTreeMap<UserId, i64>,
    /// Bot scores by (user, day), as `bot_scores`.
    bot_scores: BTreeMap<(UserId, i64), BotScoreRow>,
    /// Operators' actions by id, as `operator_actions`.
    operator_actions: BTreeMap<u64, OperatorActionRow>,
}

/// A kept action-log record as the stores read it back.
fn logged(log_id: u64, l: &ActionLog) -> LoggedAction {
    LoggedAction {
        log_id,
        user_id: l.user_id,
        action: l.action.to_owned(),
        params: l.params.clone(),
        result: l.result.clone(),
        at_ms: l.at_ms,
    }
}

impl Inner {
    fn log(&mut self, logs: Vec<ActionLog>) {
        for log in logs {
            self.next_log += 1;
            self.logs.insert(self.next_log, log);
        }
    }

    fn sweep(&mut self, sweep: &Sweep) -> StoreResult<u64> {
        let before = sweep.before_ms;
        let past = |at: i64| at > 0 && at < before;
        if sweep.on == DbKind::Log && sweep.table.name == crate::storage::tables::BOT_SCORES.name {
            let count = self.bot_scores.len();
            self.bot_scores.retain(|_, score| !past(score.day_ms));
            return Ok((count - self.bot_scores.len()) as u64);
        }
        if sweep.on == DbKind::Log {
            let count = self.logs.len();
            self.logs.retain(|_, l| !past(l.at_ms));
            return Ok((count - self.logs.len()) as u64);
        }
        let index = |name: &str| -> StoreResult<usize> {
            sweep.column_named(name)?;
            Ok(sweep.table.all().position(|c| c.name == name).unwrap_or_default())
        };
        let time = index(sweep.column)?;
        let spare = match sweep.spared()? {
            Some((column, word)) => Some((index(column.name)?, Value::Text(word.into()))),
            None => None,
        };
        let Some(rows) = self.tables.get_mut(sweep.table.name) else { return Ok(0) };
        let count = rows.len();
        rows.retain(|_, row| {
            let old = matches!(row.get(time), Some(Value::Int(at)) if past(*at));
            let spared = spare.as_ref().is_some_and(|(i, word)| row.get(*i) == Some(word));
            !old || spared
        });
        Ok((count - rows.len()) as u64)
    }

    fn apply(&mut self, writes: &[RowWrite]) -> StoreResult<()> {
        // Checked first, so a refused commit changes nothing.
        for write in writes {
            write.check().map_err(|e| StoreError::Database("commit".into(), e.to_string()))?;
            let exists = self.tables.get(write.table().name).is_some_and(|rows| rows.contains_key(write.key()));
            // An owner's rows are removed whatever there is: nothing to check.
            match write {
                RowWrite::Insert(t, _) if exists => {
                    return Err(StoreError::Conflict(format!("{t}: a row with this key exists")));
                }
                RowWrite::Update(t, _) | RowWrite::Patch { table: t, .. } if !exists => {
                    return Err(StoreError::Conflict(format!("{t}: no row with this key")));
                }
                _ => {}
            }
        }
        for write in writes {
            let table = self.tables.entry(write.table().name).or_default();
            match write {
                RowWrite::Insert(t, row) | RowWrite::Upsert(t, row) | RowWrite::Update(t, row) => {
                    table.insert(row[..t.key.len()].to_vec(), row.clone());
                }
                RowWrite::InsertNew(t, row) => {
                    table.entry(row[..t.key.len()].to_vec()).or_insert_with(|| row.clone());
                }
                RowWrite::Patch { table: t, key, set } => {
                    if let Some(row) = table.get_mut(key) {
                        for (index, value) in set {
                            row[t.key.len() + index] = value.clone();
                        }
                    }
                }
                RowWrite::Delete(_, key) => {
                    table.remove(key);
                }
                RowWrite::DeleteOwned(_, owner) => table.retain(|key, _| key.first() != Some(owner)),
            }
        }
        Ok(())
    }

    /// Moves the outbox rows `writes` inserted to their receivers' inboxes at once (the
    /// commit that wrote them holds the lock, so no copy can come twice) and purges applied
    /// inbox rows. Answers the receivers.
    fn deliver(&mut self, writes: &[RowWrite]) -> Vec<UserId> {
        let mut receivers = Vec::new();
        for write in writes {
            let RowWrite::Insert(table, outbox) = write else { continue };
            if !std::ptr::eq(*table, &OUTBOX) && !std::ptr::eq(*table, &CLAN_OUTBOX) {
                continue;
            }
            if let Some(rows) = self.tables.get_mut(table.name) {
                rows.remove(&outbox[..1]);
            }
            let Some((receiver, row)) = crate::storage::delivery::inbox_row(outbox) else { continue };
            if self.rows_of(&USERS, receiver).is_empty() {
                continue;
            }
            self.tables.entry(INBOX.name).or_default().insert(row[..INBOX.key.len()].to_vec(), row);
            receivers.push(receiver);
        }
        if writes.iter().any(|w| std::ptr::eq(w.table(), &INBOX)) {
            let applied = INBOX.key.len() + INBOX.column("applied_at_ms").unwrap_or(0);
            if let Some(rows) = self.tables.get_mut(INBOX.name) {
                rows.retain(|_, row| matches!(row.get(applied), Some(Value::Int(0))));
            }
        }
        receivers
    }

    /// The clan `user` is a member of.
    fn member_of(&self, user: UserId) -> Option<u64> {
        let members = self.tables.get(CLAN_MEMBERS.name)?;
        members.keys().find(|key| key.get(1) == Some(&Value::uint(user))).and_then(|key| match key.first() {
            Some(Value::Int(clan)) => Some(*clan as u64),
            _ => None,
        })
    }

    /// A clan change, with the clan database's unique keys (a clan's name, a member's user).
    fn clan_commit(&mut self, commit: ClanCommit) -> Result<Vec<UserId>, ClanCommitError> {
        let ClanCommit { clan_id, version, writes, op } = commit;
        let version_at = CLANS.key.len() + CLANS.column("version").unwrap_or(0);
        if let Some(expected) = version {
            let stored = self.rows_of(&CLANS, clan_id).pop().and_then(|row| row.get(version_at).cloned());
            if stored != Some(Value::Int(expected)) {
                return Err(ClanCommitError::Moved);
            }
        }
        for write in &writes {
            match write {
                RowWrite::Insert(table, row) if std::ptr::eq(*table, &CLANS) => {
                    let names = self.tables.get(CLANS.name).into_iter().flat_map(|rows| rows.values());
                    if names.clone().any(|other| other.get(1) == row.get(1)) {
                        return Err(ClanCommitError::Taken("clans.name".into()));
                    }
                }
                RowWrite::Insert(table, row) if std::ptr::eq(*table, &CLAN_MEMBERS) => {
                    if let Some(Value::Int(user)) = row.get(1)
                        && self.member_of(*user as u64).is_some()
                    {
                        return Err(ClanCommitError::Taken("clan_members.user_id".into()));
                    }
                }
                _ => {}
            }
        }
        let mut all = writes;
        all.push(RowWrite::Insert(&CLAN_OPS, op));
        self.apply(&all)?;
        if version.is_some()
            && let Some(row) =
                self.tables.get_mut(CLANS.name).and_then(|rows| rows.get_mut(&vec![Value::uint(clan_id)]))
            && let Some(Value::Int(v)) = row.get_mut(version_at)
        {
            *v += 1;
        }
        // Its deliveries reach their receivers' inboxes at once, as a commit's do here.
        Ok(self.deliver(&all))
    }

    /// Removes `user`'s requests to join clans, moving each such clan's version.
    fn withdraw_requests(&mut self, user: UserId) -> u64 {
        let who = Value::uint(user);
        let clans: Vec<Value> = self
            .tables
            .get(CLAN_REQUESTS.name)
            .into_iter()
            .flat_map(|rows| rows.keys())
            .filter(|key| key.get(1) == Some(&who))
            .filter_map(|key| key.first().cloned())
            .collect();
        let version_at = CLANS.key.len() + CLANS.column("version").unwrap_or(0);
        for clan in &clans {
            if let Some(Value::Int(v)) = self
                .tables
                .get_mut(CLANS.name)
                .and_then(|rows| rows.get_mut(std::slice::from_ref(clan)))
                .and_then(|row| row.get_mut(version_at))
            {
                *v += 1;
            }
            if let Some(rows) = self.tables.get_mut(CLAN_REQUESTS.name) {
                rows.remove(&vec![clan.clone(), who.clone()]);
            }
        }
        clans.len() as u64
    }

    fn rows_of(&self, table: &TableDef, user: UserId) -> Vec<Row> {
        let Some(rows) = self.tables.get(table.name) else { return Vec::new() };
        rows.values().filter(|r| r.first() == Some(&Value::uint(user))).cloned().collect()
    }
}

/// Storage in maps; lost when the process ends.
#[derive(Clone, Default)]
pub struct MemoryStore(Arc<Mutex<Inner>>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The action-log records of `user`, oldest first.
    pub fn action_logs(&self, user: UserId) -> Vec<ActionLog> {
        self.inner().logs.values().filter(|l| l.user_id == user).cloned().collect()
    }

    /// Sets the stored owner epoch of `user` (a takeover by another activation, in tests).
    pub fn set_epoch(&self, user: UserId, epoch: i64) {
        self.inner().epochs.insert(user, epoch);
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Each critical section leaves the maps consistent; a poisoned lock is safe to reuse.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemoryStore {
    fn register(&self, auth: AuthId, profile: Row, _now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>> {
        let mut inner = self.inner();
        if let Some(&user_id) = inner.auth.get(&auth) {
            return Box::pin(ready(Ok(Registered { user_id, created: false, shards: UserShards::default() })));
        }
        inner.next_id += 1;
        let user_id = inner.next_id;
        inner.auth.insert(auth, user_id);
        let mut row = profile;
        if let Some(first) = row.first_mut() {
            *first = Value::uint(user_id);
        }
        let result = inner.apply(&[RowWrite::Insert(&USERS, row)]);
        Box::pin(ready(result.map(|()| Registered { user_id, created: true, shards: UserShards::default() })))
    }

    fn sign_up(&self, sign_up: SignUp) -> BoxFuture<'static, StoreResult<Option<SignedUp>>> {
        let SignUp { auth, profile, session, node, logs, .. } = sign_up;
        let mut inner = self.inner();
        if inner.auth.contains_key(&auth) {
            return Box::pin(ready(Ok(None)));
        }
        inner.next_id += 1;
        let user_id = inner.next_id;
        inner.auth.insert(auth, user_id);
        let mut row = profile;
        if let Some(first) = row.first_mut() {
            *first = Value::uint(user_id);
        }
        if let Err(e) = inner.apply(&[RowWrite::Insert(&USERS, row.clone())]) {
            return Box::pin(ready(Err(e)));
        }
        inner.epochs.insert(user_id, 1);
        inner.owners.insert(user_id, node);
        inner.sessions.insert(user_id, session);
        inner.log(logs.into_iter().map(|log| ActionLog { user_id, ..log }).collect());
        let signed_up = SignedUp { user_id, shards: UserShards::default(), epoch: 1, profile: row, as_sent: true };
        Box::pin(ready(Ok(Some(signed_up))))
    }

    fn request_deletion(&self, deletion: Deletion, seq: u64) -> BoxFuture<'static, StoreResult<Deletion>> {
        let mut inner = self.inner();
        if let Some(session) = inner.sessions.get_mut(&deletion.user) {
            *session = session.clone().ended(deletion.requested_at_ms, seq);
        }
        Box::pin(ready(Ok(*inner.deletions.entry(deletion.user).or_insert(deletion))))
    }

    fn cancel_deletion(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<DeletionPhase>>> {
        let mut inner = self.inner();
        let phase = inner.deletions.get(&user).map(|d| d.phase);
        if phase == Some(DeletionPhase::Waiting) {
            inner.deletions.remove(&user);
            inner.deletion_retry_at.remove(&user);
        }
        Box::pin(ready(Ok(phase)))
    }

    fn deletions_due(
        &self,
        now_ms: i64,
        settle_ms: i64,
        after: Option<(i64, UserId)>,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<Deletion>>> {
        let settled = now_ms.saturating_sub(settle_ms);
        let inner = self.inner();
        let mut due: Vec<Deletion> = inner
            .deletions
            .values()
            .filter(|d| d.phase < DeletionPhase::Done && d.due_at_ms <= now_ms)
            .filter(|d| inner.deletion_retry_at.get(&d.user).is_none_or(|at| *at <= now_ms))
            .filter(|d| d.phase != DeletionPhase::AccountGone || d.phase_at_ms <= settled)
            .filter(|d| after.is_none_or(|after| (d.due_at_ms, d.user) > after))
            .copied()
            .collect();
        due.sort_by_key(|d| (d.due_at_ms, d.user));
        due.truncate(limit);
        Box::pin(ready(Ok(due)))
    }

    fn put_off_deletion(&self, user: UserId, failures: u32, retry_at_ms: i64) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        if let Some(d) = inner.deletions.get_mut(&user) {
            d.failures = failures;
            inner.deletion_retry_at.insert(user, retry_at_ms);
        }
        Box::pin(ready(Ok(())))
    }

    fn erasing_among(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<UserId>>> {
        let inner = self.inner();
        let erasing = users
            .into_iter()
            .filter(|u| inner.deletions.get(u).is_some_and(|d| d.phase >= DeletionPhase::Erasing))
            .collect();
        Box::pin(ready(Ok(erasing)))
    }

    fn claim_deletion(&self, user: UserId, now_ms: i64) -> BoxFuture<'static, StoreResult<bool>> {
        let mut inner = self.inner();
        let live = inner.sessions.get(&user).is_some_and(|s| s.expires_at_ms > now_ms);
        let claimed = match inner.deletions.get_mut(&user) {
            Some(d) if d.phase == DeletionPhase::Waiting && d.due_at_ms <= now_ms && !live => {
                (d.phase, d.phase_at_ms) = (DeletionPhase::Erasing, now_ms);
                true
            }
            _ => false,
        };
        Box::pin(ready(Ok(claimed)))
    }

    fn withdraw_clan_requests(&self, user: UserId) -> BoxFuture<'static, StoreResult<u64>> {
        Box::pin(ready(Ok(self.inner().withdraw_requests(user))))
    }

    fn deletion_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<Deletion>>> {
        Box::pin(ready(Ok(self.inner().deletions.get(&user).copied())))
    }

    fn advance_deletion(
        &self,
        user: UserId,
        from: DeletionPhase,
        to: DeletionPhase,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<bool>> {
        let mut inner = self.inner();
        let moved = match inner.deletions.get_mut(&user) {
            Some(d) if d.phase == from => {
                (d.phase, d.phase_at_ms, d.failures) = (to, now_ms, 0);
                inner.deletion_retry_at.remove(&user);
                true
            }
            _ => false,
        };
        Box::pin(ready(Ok(moved)))
    }

    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        Box::pin(ready(Ok(self.inner().auth.get(&auth).copied())))
    }

    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        let inner = self.inner();
        let user = inner.sessions.iter().find(|(_, s)| s.token_hash == token).map(|(&u, _)| u);
        Box::pin(ready(Ok(user)))
    }

    fn node_id(&self) -> u16 {
        0
    }

    fn activate_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
        claim: OwnerClaim,
    ) -> BoxFuture<'static, StoreResult<Activated>> {
        let mut from = -1;
        {
            let mut inner = self.inner();
            if !inner.rows_of(&USERS, user).is_empty() {
                let epoch = inner.epochs.get(&user).copied().unwrap_or(0);
                if let Some(owner) = inner.owners.get(&user).and_then(|o| claim.kept_by(*o, epoch)) {
                    return Box::pin(ready(Ok(Activated::OwnedBy(owner))));
                }
                *inner.epochs.entry(user).or_default() += 1;
                from = inner.owners.insert(user, claim.node).map_or(-1, i64::from);
            }
        }
        let loading = self.load_user(user, tables);
        Box::pin(async move { loading.await.map(|loaded| Activated::Loaded { loaded, from }) })
    }

    fn owner_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<(i64, i64)>>> {
        let inner = self.inner();
        let known = !inner.rows_of(&USERS, user).is_empty();
        let owner = known.then(|| {
            let node = inner.owners.get(&user).map_or(-1, |n| i64::from(*n));
            (node, inner.epochs.get(&user).copied().unwrap_or(0))
        });
        Box::pin(ready(Ok(owner)))
    }

    fn claim_node(
        &self,
        incarnation: u64,
        lease_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<Result<u16, ClaimRefused>>> {
        let mut inner = self.inner();
        if let Some(held) = inner.nodes.get(&0).filter(|n| n.lease_until_ms >= now_ms && n.incarnation != incarnation) {
            return Box::pin(ready(Ok(Err(ClaimRefused::Held(Box::new(held.clone()))))));
        }
        let row = NodeRow {
            node_id: 0,
            incarnation,
            public_addr: String::new(),
            internal_addr: String::new(),
            started_at_ms: now_ms,
            heartbeat_at_ms: now_ms,
            lease_until_ms: now_ms + lease_ms,
            live_actors: 0,
            draining: false,
        };
        inner.nodes.insert(0, row);
        Box::pin(ready(Ok(Ok(0))))
    }

    fn nodes(&self) -> BoxFuture<'static, StoreResult<Vec<NodeRow>>> {
        Box::pin(ready(Ok(self.inner().nodes.values().cloned().collect())))
    }

    fn beat(&self, beat: NodeBeat) -> BoxFuture<'static, StoreResult<bool>> {
        let mut inner = self.inner();
        let Some(row) = inner.nodes.get_mut(&beat.node_id).filter(|r| r.incarnation == beat.incarnation) else {
            return Box::pin(ready(Ok(false)));
        };
        row.public_addr = beat.public_addr;
        row.internal_addr = beat.internal_addr;
        row.heartbeat_at_ms = beat.now_ms;
        row.lease_until_ms = beat.lease_until_ms;
        row.live_actors = beat.live_actors;
        row.draining = beat.draining;
        Box::pin(ready(Ok(true)))
    }

    fn leave(&self, incarnation: u64) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        inner.nodes.retain(|_, n| n.incarnation != incarnation);
        inner.work.retain(|_, w| w.incarnation != incarnation);
        Box::pin(ready(Ok(())))
    }

    fn claim_work(&self, claim: WorkClaim) -> BoxFuture<'static, StoreResult<bool>> {
        let WorkClaim { name, incarnation, now_ms, until_ms } = claim;
        let mut inner = self.inner();
        let free = inner.work.get(&name).is_none_or(|w| w.lease_until_ms < now_ms || w.incarnation == incarnation);
        if free {
            let lease = WorkLease {
                name: name.clone(),
                node_id: 0,
                incarnation,
                acquired_at_ms: now_ms,
                lease_until_ms: until_ms,
            };
            inner.work.insert(name, lease);
        }
        Box::pin(ready(Ok(free)))
    }

    fn renew_work(&self, incarnation: u64, until_ms: i64) -> BoxFuture<'static, StoreResult<Vec<String>>> {
        let mut inner = self.inner();
        let mut held = Vec::new();
        for lease in inner.work.values_mut().filter(|w| w.incarnation == incarnation) {
            lease.lease_until_ms = until_ms;
            held.push(lease.name.clone());
        }
        Box::pin(ready(Ok(held)))
    }

    fn release_work(&self, name: String, incarnation: u64) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        if inner.work.get(&name).is_some_and(|w| w.incarnation == incarnation) {
            inner.work.remove(&name);
        }
        Box::pin(ready(Ok(())))
    }

    fn work_leases(&self) -> BoxFuture<'static, StoreResult<Vec<WorkLease>>> {
        Box::pin(ready(Ok(self.inner().work.values().cloned().collect())))
    }

    fn work(&self) -> BoxFuture<'static, Vec<String>> {
        // Its deliveries are made as commits land: no courier to hold.
        Box::pin(ready(Vec::new()))
    }

    fn set_gate(&self, _gate: Arc<dyn WorkGate>) {}

    fn nudge(&self, _name: String) {}

    fn load_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Loaded<UserRows>>> {
        let inner = self.inner();
        let Some(profile) = inner.rows_of(&USERS, user).pop() else {
            return Box::pin(ready(Err(StoreError::NotFound(format!("load user {user}")))));
        };
        let rows = UserRows {
            shards: UserShards::default(),
            epoch: inner.epochs.get(&user).copied().unwrap_or(0),
            profile,
            tables: tables.iter().map(|t| inner.rows_of(t, user)).collect(),
        };
        let loaded = Loaded {
            state: rows,
            session: inner.sessions.get(&user).cloned(),
            last_reply: inner.replies.get(&user).cloned(),
        };
        Box::pin(ready(Ok(loaded)))
    }

    fn peek_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<UserRows>>> {
        let inner = self.inner();
        let rows = inner.rows_of(&USERS, user).pop().map(|profile| UserRows {
            shards: UserShards::default(),
            epoch: 0,
            profile,
            tables: tables.iter().map(|t| inner.rows_of(t, user)).collect(),
        });
        Box::pin(ready(Ok(rows)))
    }

    fn append_logs(&self, _shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>> {
        self.inner().log(logs);
        Box::pin(ready(Ok(())))
    }

    fn scan_logs(
        &self,
        action: String,
        user: Option<UserId>,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>> {
        let inner = self.inner();
        let rows = inner
            .logs
            .range(after.saturating_add(1)..)
            .filter(|(_, l)| l.action == action && user.is_none_or(|u| l.user_id == u))
            .take(limit)
            .map(|(log_id, l)| logged(*log_id, l))
            .collect();
        Box::pin(ready(Ok(rows)))
    }

    fn user_logs(&self, query: UserLogQuery) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>> {
        let inner = self.inner();
        let rows = inner
            .logs
            .iter()
            .rev()
            .map(|(log_id, l)| logged(*log_id, l))
            .filter(|l| query.admits(l))
            .take(query.limit)
            .collect();
        Box::pin(ready(Ok(rows)))
    }

    fn log_shards(&self) -> Vec<i16> {
        vec![0]
    }

    fn logs_between(
        &self,
        _shard: i16,
        from_ms: i64,
        to_ms: i64,
        after: (i64, u64),
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>> {
        let inner = self.inner();
        let mut rows: Vec<LoggedAction> = inner
            .logs
            .iter()
            .filter(|(log_id, l)| (from_ms..to_ms).contains(&l.at_ms) && (l.at_ms, **log_id) > after)
            .map(|(log_id, l)| logged(*log_id, l))
            .collect();
        rows.sort_by_key(|l| (l.at_ms, l.log_id));
        rows.truncate(limit);
        Box::pin(ready(Ok(rows)))
    }

    fn put_bot_scores(&self, _shard: i16, rows: Vec<BotScoreRow>) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        for row in rows {
            inner.bot_scores.insert((row.user_id, row.day_ms), row);
        }
        Box::pin(ready(Ok(())))
    }

    fn top_bot_scores(&self, day_ms: i64, limit: usize) -> BoxFuture<'static, StoreResult<Vec<BotScoreRow>>> {
        let mut rows: Vec<BotScoreRow> =
            self.inner().bot_scores.values().filter(|r| r.day_ms == day_ms).cloned().collect();
        rows.sort_by(|a, b| b.score_milli.cmp(&a.score_milli).then(a.user_id.cmp(&b.user_id)));
        rows.truncate(limit);
        Box::pin(ready(Ok(rows)))
    }

    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        let inner = self.inner();
        let rows = users
            .iter()
            .filter_map(|u| inner.rows_of(&USERS, *u).pop())
            .map(|row| ProfileRow { shards: UserShards::default(), row })
            .collect();
        Box::pin(ready(Ok(rows)))
    }

    fn commit(&self, user: UserId, place: UserPlace, commit: Commit<Changes>) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        if inner.rows_of(&USERS, user).is_empty() {
            return Box::pin(ready(Err(StoreError::NotFound(format!("user {user}")))));
        }
        let stored = inner.epochs.get(&user).copied().unwrap_or(0);
        if stored > place.epoch {
            let message = format!("user {user}: owner epoch {stored} is newer than {}", place.epoch);
            return Box::pin(ready(Err(StoreError::Fenced(message))));
        }
        let Commit { writes: Changes { rows, logs }, reply } = commit;
        let result = inner.apply(&rows).map(|()| {
            inner.log(logs);
            inner.replies.insert(user, reply);
            inner.deliver(&rows)
        });
        let listener = inner.listener.clone();
        drop(inner);
        Box::pin(ready(result.map(|receivers| {
            if let (Some(tell), false) = (listener, receivers.is_empty()) {
                tell(&receivers);
            }
        })))
    }

    fn sweep(&self, sweep: Sweep) -> BoxFuture<'static, StoreResult<u64>> {
        Box::pin(ready(self.inner().sweep(&sweep)))
    }

    fn write_outside(&self, _user: UserId, rows: Vec<RowWrite>) -> BoxFuture<'static, StoreResult<()>> {
        Box::pin(ready(self.inner().apply(&rows)))
    }

    fn clan(&self, clan_id: u64) -> BoxFuture<'static, StoreResult<Option<ClanRows>>> {
        let inner = self.inner();
        let rows = inner.rows_of(&CLANS, clan_id).pop().map(|clan| ClanRows {
            clan,
            members: inner.rows_of(&CLAN_MEMBERS, clan_id),
            requests: inner.rows_of(&CLAN_REQUESTS, clan_id),
        });
        Box::pin(ready(Ok(rows)))
    }

    fn clan_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<u64>>> {
        Box::pin(ready(Ok(self.inner().member_of(user))))
    }

    fn search_clans(&self, prefix: String, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        let inner = self.inner();
        let mut found: Vec<Row> = inner
            .tables
            .get(CLANS.name)
            .into_iter()
            .flat_map(|rows| rows.values())
            .filter(|row| matches!(row.get(1), Some(Value::Text(name)) if name.starts_with(&prefix)))
            .cloned()
            .collect();
        found.sort_by(|a, b| a.get(1).cmp(&b.get(1)));
        found.truncate(limit);
        Box::pin(ready(Ok(found)))
    }

    fn search_nicknames(
        &self,
        prefix: String,
        after: UserId,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<FoundProfile>>> {
        // Folded as Rust folds case: near what the databases do (each its own way).
        let prefix = prefix.to_lowercase();
        let inner = self.inner();
        let mut found: Vec<(u64, FoundProfile)> = inner
            .tables
            .get(USERS.name)
            .into_iter()
            .flat_map(|rows| rows.values())
            .filter_map(|row| match (row.first(), row.get(1)) {
                (Some(Value::Int(id)), Some(Value::Text(name)))
                    if (*id as u64) > after && name.to_lowercase().starts_with(&prefix) =>
                {
                    Some((*id as u64, FoundProfile { game_shard: UserShards::default().game, row: row.clone() }))
                }
                _ => None,
            })
            .collect();
        found.sort_by_key(|(id, _)| *id);
        Box::pin(ready(Ok(found.into_iter().take(limit).map(|(_, f)| f).collect())))
    }

    fn outbox_of(&self, user: UserId, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        let inner = self.inner();
        let sender = Value::uint(user);
        let rows = inner
            .tables
            .get(OUTBOX.name)
            .into_iter()
            .flat_map(|rows| rows.values())
            .filter(|row| row.get(1) == Some(&sender))
            .take(limit)
            .cloned()
            .collect();
        Box::pin(ready(Ok(rows)))
    }

    fn record_operator_action(&self, row: OperatorActionRow) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        if inner.operator_actions.contains_key(&row.action_id) {
            let e = StoreError::Conflict(format!("operator action {} is recorded already", row.action_id));
            return Box::pin(ready(Err(e)));
        }
        inner.operator_actions.insert(row.action_id, row);
        Box::pin(ready(Ok(())))
    }

    fn finish_operator_action(
        &self,
        action_id: u64,
        outcome: String,
        finished_at_ms: i64,
    ) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        let done = match inner.operator_actions.get_mut(&action_id) {
            Some(row) => {
                (row.outcome, row.finished_at_ms) = (outcome, finished_at_ms);
                Ok(())
            }
            None => Err(StoreError::NotFound(format!("operator action {action_id}"))),
        };
        Box::pin(ready(done))
    }

    fn operator_actions(&self, query: OperatorActionQuery) -> BoxFuture<'static, StoreResult<Vec<OperatorActionRow>>> {
        let inner = self.inner();
        let rows = inner
            .operator_actions
            .range(..query.before)
            .rev()
            .map(|(_, row)| row)
            .filter(|row| query.user.is_none_or(|user| row.user_id == user))
            .take(query.limit)
            .cloned()
            .collect();
        Box::pin(ready(Ok(rows)))
    }

    fn clan_op(&self, user: UserId, session: u64, seq: u64) -> BoxFuture<'static, StoreResult<Option<Vec<u8>>>> {
        let key = vec![Value::uint(user), Value::uint(session), Value::uint(seq)];
        let inner = self.inner();
        let found = inner.tables.get(CLAN_OPS.name).and_then(|rows| rows.get(&key)).and_then(|row| match row.get(3) {
            Some(Value::Bytes(bytes)) => Some(bytes.clone()),
            _ => None,
        });
        Box::pin(ready(Ok(found)))
    }

    fn clan_commit(&self, commit: ClanCommit) -> BoxFuture<'static, Result<(), ClanCommitError>> {
        let mut inner = self.inner();
        let result = inner.clan_commit(commit);
        let listener = inner.listener.clone();
        drop(inner);
        Box::pin(ready(result.map(|receivers| {
            if let (Some(tell), false) = (listener, receivers.is_empty()) {
                tell(&receivers);
            }
        })))
    }

    fn on_delivered(&self, listener: crate::storage::delivery::Listener) {
        self.inner().listener = Some(listener);
    }

    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>> {
        let mut inner = self.inner();
        match session {
            // As in the database: a session once ended stays as it first ended.
            Some(s) if inner.sessions.get(&user).is_some_and(|o| o.id == s.id && o.ended_at_ms.is_some()) => {
                if s.ended_at_ms.is_some() {
                    return Box::pin(ready(Ok(())));
                }
                return Box::pin(ready(Err(StoreError::NotFound(format!("the live session of user {user}")))));
            }
            Some(s) => inner.sessions.insert(user, s),
            None => inner.sessions.remove(&user),
        };
        Box::pin(ready(Ok(())))
    }
}
