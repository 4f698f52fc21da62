//! Durable storage: accounts and sessions (the common database), users' rows with their
//! last replies (game shards) and action logs (log shards).
//!
//! [`Store`] is the interface the rest of the server uses; [`db_store::DbStore`] implements
//! it over SQL databases (SQLite, the embedded default; PostgreSQL; MySQL/MariaDB) and
//! [`memory::MemoryStore`] serves benchmarks and unit tests.
//!
//! Storage knows tables and rows ([`rows`], [`tables`]), never game types: the game layer
//! turns its entities and changes into rows.
//!
//! Error policy: every storage failure is a [`StoreError`] carrying what was being done;
//! it becomes an HTTP status only at the transport edge (`crate::api`), always one the
//! client retries with the same seq: a 500 when nothing was applied or the outcome is
//! unknown (the retry then finds the stored reply, or applies the request once), a 503 when
//! the write queue is full.

pub mod batch;
pub mod conn;
pub mod courier;
pub mod db;
pub mod db_store;
pub mod delivery;
pub mod memory;
pub mod migrations;
pub mod nodes;
pub mod persistence;
pub mod queue;
pub mod queue_gauge;
pub mod registry;
pub mod router;
pub mod rows;
pub mod schema;
pub mod shipper;
pub mod sql;
pub mod statements;
pub mod tables;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use summoner_actors::{Commit, Loaded, Session, TokenHash, UserId};

use crate::storage::nodes::{Activated, ClaimRefused, NodeBeat, NodeRow, OwnerClaim, WorkClaim, WorkGate, WorkLease};
use crate::storage::rows::{Row, RowWrite, TableDef};

/// A way of signing in: ("device", device id) or (platform, platform user id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthId {
    pub provider: String,
    pub id: String,
}

/// The game and log shards a user is placed on (assigned at registration, never changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserShards {
    pub game: i16,
    pub log: i16,
}

/// One table's rows of a user, for a data export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedTable {
    /// `common`, `game-N`, `log-N` or `clan`.
    pub database: String,
    pub table: &'static str,
    /// The columns' names, in the rows' order.
    pub columns: Vec<&'static str>,
    pub rows: Vec<rows::Row>,
}

/// How far an account's deletion went (`account_deletions.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionPhase {
    /// In its grace period: a Login that asks to (`cancel_deletion`) cancels it.
    Waiting = 0,
    /// Being erased: Login is refused; the clan, the game shard and the account go.
    Erasing = 1,
    /// The account is gone; what others still hand it (deliveries in flight) and its action
    /// log are cleared once its outboxes are carried.
    AccountGone = 2,
    /// Erased; the row stays as the record of it.
    Done = 3,
}

impl DeletionPhase {
    /// The phase a stored number names.
    pub fn from_stored(phase: i16) -> Option<Self> {
        [Self::Waiting, Self::Erasing, Self::AccountGone, Self::Done].into_iter().find(|p| *p as i16 == phase)
    }
}

/// An account's deletion as the common database records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Deletion {
    pub user: UserId,
    #[serde(skip)]
    pub shards: UserShards,
    pub requested_at_ms: i64,
    /// When its grace period ends.
    pub due_at_ms: i64,
    pub phase: DeletionPhase,
    /// When it reached its phase.
    pub phase_at_ms: i64,
    /// Erasure runs that failed on it since it last moved on (each puts the next try off
    /// for longer).
    pub failures: u32,
}

/// Where a commit goes and which activation makes it: the owner epoch its actor loaded,
/// which fences the commit (refused if the stored epoch is newer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserPlace {
    pub shards: UserShards,
    pub epoch: i64,
}

/// One action-log record: who did what, with which parameters, to what result, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLog {
    pub user_id: u64,
    pub action: &'static str,
    pub params: String,
    pub result: String,
    pub at_ms: i64,
}

/// An action-log record as the log shard holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedAction {
    pub log_id: u64,
    pub user_id: u64,
    pub action: String,
    pub params: String,
    pub result: String,
    pub at_ms: i64,
}

/// A user's bot score of one game day as the log shards keep it (`bot_scores`): the score
/// in thousandths and the features behind it, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BotScoreRow {
    pub user_id: u64,
    pub day_ms: i64,
    pub score_milli: i64,
    pub features: String,
    pub scored_at_ms: i64,
}

/// A page of one user's action log, newest first: rows of the given actions (all when
/// empty), with exactly the given params (when given), a log id below `before` and a time in
/// `from_ms..to_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLogQuery {
    pub user: UserId,
    /// The user's log shard.
    pub log_shard: i16,
    pub actions: Vec<String>,
    pub before: u64,
    /// Rows logged at or after this time (0: from the start).
    pub from_ms: i64,
    /// Rows logged before this time (`i64::MAX`: up to now).
    pub to_ms: i64,
    pub limit: usize,
    /// Only rows whose params are exactly this.
    pub params: Option<String>,
}

/// A profile row found by a search, and the game shard it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundProfile {
    pub game_shard: i16,
    /// A row of `tables::USERS`.
    pub row: Row,
}

/// One operator action as the common database keeps it (`tables::OPERATOR_ACTIONS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorActionRow {
    pub action_id: u64,
    pub at_ms: i64,
    pub operator: String,
    pub action: String,
    pub user_id: UserId,
    pub reason: String,
    pub detail: String,
    /// `pending` until the action answered, then what it did or why it failed.
    pub outcome: String,
    /// When the outcome was written (0: it has not been).
    pub finished_at_ms: i64,
}

/// Pending: the outcome an operator action is recorded with before it runs.
pub const OPERATOR_ACTION_PENDING: &str = "pending";

/// A page of the operator audit log, newest first: actions (on `user` only, when given) with
/// an id below `before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorActionQuery {
    pub user: Option<UserId>,
    pub before: u64,
    pub limit: usize,
}

impl UserLogQuery {
    /// Whether `log` is on this page's side of its bounds (the limit aside).
    pub fn admits(&self, log: &LoggedAction) -> bool {
        log.user_id == self.user
            && log.log_id < self.before
            && (self.from_ms..self.to_ms).contains(&log.at_ms)
            && self.params.as_ref().is_none_or(|p| *p == log.params)
            && (self.actions.is_empty() || self.actions.contains(&log.action))
    }
}

/// What one request makes durable: its row writes and its action-log records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    pub rows: Vec<RowWrite>,
    pub logs: Vec<ActionLog>,
}

/// A user's rows as an activation loads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRows {
    pub shards: UserShards,
    /// The owner epoch stored now; this activation's commits are fenced by it.
    pub epoch: i64,
    /// The `users` row.
    pub profile: Row,
    /// The rows of each table asked for, in the order asked.
    pub tables: Vec<Vec<Row>>,
}

/// A user's profile row, as friend lists read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRow {
    pub shards: UserShards,
    pub row: Row,
}

/// The outcome of Register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub user_id: UserId,
    /// False when the sign-in id was already registered.
    pub created: bool,
    /// Where the user lives.
    pub shards: UserShards,
}

/// What a sign-up writes ([`Store::sign_up`]).
#[derive(Debug, Clone)]
pub struct SignUp {
    pub auth: AuthId,
    /// The new user's `users` row; its `user_id` is set by the store.
    pub profile: Row,
    pub session: Session,
    /// The node that signs the user up and owns them from the start.
    pub node: u16,
    pub logs: Vec<ActionLog>,
    pub now_ms: i64,
}

/// A sign-up's new account ([`Store::sign_up`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SignedUp {
    pub user_id: UserId,
    /// Where the user lives.
    pub shards: UserShards,
    /// The owner epoch the profile row was written with (the signing-up node owns it).
    pub epoch: i64,
    /// The profile row as written (its `user_id` set).
    pub profile: Row,
    /// Whether the rows are as sent: false when a profile row of the user was there already
    /// (a repair's), so storage has their state and an activation must read it.
    pub as_sent: bool,
}

/// A clan's rows as one read saw them (`tables::CLANS`, `CLAN_MEMBERS`, `CLAN_REQUESTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClanRows {
    pub clan: Row,
    pub members: Vec<Row>,
    pub requests: Vec<Row>,
}

/// A change of the clan database: `writes`, committed only if clan `clan_id`'s version is
/// still `version` (None: the writes create the clan), in one transaction with `op`, the
/// action's `CLAN_OPS` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClanCommit {
    pub clan_id: u64,
    pub version: Option<i64>,
    pub writes: Vec<RowWrite>,
    pub op: Row,
}

/// Why a clan change was not committed (nothing of it was).
#[derive(Debug, thiserror::Error)]
pub enum ClanCommitError {
    /// The clan changed since it was read (or is gone): read it again and decide anew.
    #[error("the clan changed meanwhile")]
    Moved,
    /// A unique key holds another row: a name taken, a user in a clan already.
    #[error("a unique key is taken: {0}")]
    Taken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A storage failure, with what was being done.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Not done in time; nothing was applied.
    #[error("{0}: timed out")]
    Timeout(String),
    /// The database refused or failed; nothing was applied.
    #[error("{0}: {1}")]
    Database(String, String),
    #[error("{0}: not found")]
    NotFound(String),
    /// Too many writes queued; nothing was applied.
    #[error("{0}: overloaded")]
    Overloaded(String),
    /// Another activation owns the user (its owner epoch is newer); nothing was applied.
    #[error("{0}")]
    Fenced(String),
    /// The writes do not fit what storage holds (a row another writer added, changed or
    /// removed); nothing was applied, and the writer's view of the user is out of date.
    #[error("{0}")]
    Conflict(String),
    /// The commit may or may not have been applied (its answer was lost).
    #[error("{0}: outcome unknown")]
    OutcomeUnknown(String),
}

/// Rows past their time, to delete ([`Store::sweep`]): on every shard of kind `on` (game
/// or log), the rows of `table` whose time column `column` (ms) is set (above 0) and below
/// `before_ms`, except those whose text column `spare.0` holds the word `spare.1` (written
/// into the statement as it is, so a partial index with the same condition serves it:
/// lowercase letters, digits and `_` only). Deleted `batch` rows a statement, so no statement
/// holds locks long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    pub on: db::DbKind,
    pub table: &'static TableDef,
    pub column: &'static str,
    pub before_ms: i64,
    pub spare: Option<(&'static str, &'static str)>,
    pub batch: usize,
}

impl Sweep {
    /// The spared column and its word, checked.
    pub fn spared(&self) -> StoreResult<Option<(&'static rows::Column, &'static str)>> {
        let Some((name, word)) = self.spare else { return Ok(None) };
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            let what = format!("sweep {}", self.table.name);
            return Err(StoreError::Database(what, format!("{word:?} is not a word a sweep spares")));
        }
        Ok(Some((self.column_named(name)?, word)))
    }

    /// The column `name` of the sweep's table, or why it cannot be swept by it.
    pub fn column_named(&self, name: &str) -> StoreResult<&'static rows::Column> {
        self.table.all().find(|c| c.name == name).ok_or_else(|| {
            StoreError::Database(format!("sweep {}", self.table.name), format!("the table has no column {name}"))
        })
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// What the server stores. Every call has a time bound inside the implementation.
pub trait Store: Send + Sync + 'static {
    /// Registers `auth` (idempotent: an existing registration is returned as is). `profile`
    /// is the new user's `users` row; its `user_id` is set by the store.
    fn register(&self, auth: AuthId, profile: Row, now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>>;

    /// Registers `auth` with `session` as its first session and the new user owned by
    /// `node`, as an activation of it there would leave it, so the user's actor can start
    /// from `profile` without reading it back: the account, sign-in id and session row in one
    /// transaction, then the profile row with `logs` (the user's action logs, shipped to
    /// their log shard from there). None, with nothing written, when `auth` is registered
    /// already (also when a sign-up alongside registered it first). `logs`' `user_id` is set
    /// by the store.
    fn sign_up(&self, sign_up: SignUp) -> BoxFuture<'static, StoreResult<Option<SignedUp>>>;

    /// The user registered with `auth`, if any.
    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>>;

    /// The user whose current session has this token hash, if any.
    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>>;

    /// This store's node id (the one its ids are minted with).
    fn node_id(&self) -> u16;

    /// An activation of `user` on this node: unless another live node owns the user
    /// (`claim.alive`), the owner epoch is raised and this node recorded as the owner, and the
    /// user's rows, session and last reply are read, all under the user's row lock after
    /// every earlier write of the user on this node is decided.
    fn activate_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
        claim: OwnerClaim,
    ) -> BoxFuture<'static, StoreResult<Activated>>;

    /// The node that owns `user` and the owner epoch (-1: none yet); None: no such user.
    fn owner_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<(i64, i64)>>>;

    /// Claims this store's node id for `incarnation` (a store opened for node N is the
    /// store of the process that holds N); refused while a live node holds it.
    fn claim_node(
        &self,
        incarnation: u64,
        lease_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<Result<u16, ClaimRefused>>>;

    /// Every node's row.
    fn nodes(&self) -> BoxFuture<'static, StoreResult<Vec<NodeRow>>>;

    /// Renews this node's lease; false when the row is no longer this incarnation's (the
    /// lease lapsed and another process took the id).
    fn beat(&self, beat: NodeBeat) -> BoxFuture<'static, StoreResult<bool>>;

    /// Gives up this node's id and its work leases (at shutdown).
    fn leave(&self, incarnation: u64) -> BoxFuture<'static, StoreResult<()>>;

    /// Takes a work lease as `claim` says; answers whether this node holds it now.
    fn claim_work(&self, claim: WorkClaim) -> BoxFuture<'static, StoreResult<bool>>;

    /// Renews every work lease this node holds until `until_ms`; answers their names.
    fn renew_work(&self, incarnation: u64, until_ms: i64) -> BoxFuture<'static, StoreResult<Vec<String>>>;

    /// Gives up the work lease `name` if this node holds it.
    fn release_work(&self, name: String, incarnation: u64) -> BoxFuture<'static, StoreResult<()>>;

    /// Every work lease.
    fn work_leases(&self) -> BoxFuture<'static, StoreResult<Vec<WorkLease>>>;

    /// The work leases of this store's couriers and shippers (one per table they carry).
    fn work(&self) -> BoxFuture<'static, Vec<String>>;

    /// Sets what tells this store's couriers whether they run here (see [`WorkGate`]).
    fn set_gate(&self, gate: Arc<dyn WorkGate>);

    /// Rows for the courier or shipper of work lease `name` were committed on another node:
    /// it reads its table now.
    fn nudge(&self, name: String);

    /// The user's rows (profile and `tables`), session and last reply, for a look without an
    /// activation (the owner is not changed). Waits until every earlier write of the user on
    /// this node is decided (committed or dropped), so what it reads is final.
    fn load_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Loaded<UserRows>>>;

    /// Applies `commit.writes` and stores `commit.reply` in one transaction on the user's
    /// game shard, fenced by `place.epoch`; the action logs ride in the same transaction and
    /// reach the user's log shard after. `OutcomeUnknown` means the commit may have landed.
    fn commit(&self, user: UserId, place: UserPlace, commit: Commit<Changes>) -> BoxFuture<'static, StoreResult<()>>;

    /// Writes rows of `user` from outside the user's actor (an operator's grant): not fenced,
    /// no reply. The user's actor sees them when it next loads. Its own writes touch only the
    /// rows and columns they change, so rows added here (mail, say) and columns its requests
    /// do not change survive them; a column the live actor changes too ends with the actor's
    /// value, which it computed from what it held, so outside writers add rows rather than
    /// change the user's own values. A row removed or added here under a live actor makes the
    /// actor's next change of it fail as a conflict, and the actor reloads.
    fn write_outside(&self, user: UserId, rows: Vec<RowWrite>) -> BoxFuture<'static, StoreResult<()>>;

    /// The profiles of `users` (a friend list), in no particular order; unknown ids are
    /// left out. One query per shard touched, never one per user.
    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>>;

    /// The profiles of `users` whose game shards the caller knows (user, shard): one query
    /// per shard touched and none on the common database. A user not on the shard given is
    /// left out.
    fn load_profiles_on(&self, users: Vec<(UserId, i16)>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        self.load_profiles(users.into_iter().map(|(user, _)| user).collect())
    }

    /// Another user's rows as committed now (profile and `tables`), read without locking
    /// or waiting for that user's writes in flight: for what other players see of them (a
    /// friend's dungeon team when the cache lost it). None: no such user.
    fn peek_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<UserRows>>>;

    /// The user's own `tables` on their game shard `game` as committed now, without the
    /// profile or a look-up of the shard: for the user's actor reading again what others
    /// wrote of theirs (its inbox after a delivery). None: no such user.
    fn read_tables_on(
        &self,
        user: UserId,
        game: i16,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<Vec<Vec<Row>>>>> {
        let _ = game;
        let peeked = self.peek_user(user, tables);
        Box::pin(async move { Ok(peeked.await?.map(|rows| rows.tables)) })
    }

    /// Appends action-log rows for actions outside a user's request handling (register,
    /// login) to the user's log shard.
    fn append_logs(&self, shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>>;

    /// Action-log rows of `action` (of `user` only, when given) with a log id above `after`,
    /// in log-id order, at most `limit`, from every log shard (audits page through them).
    fn scan_logs(
        &self,
        action: String,
        user: Option<UserId>,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>>;

    /// The numbers of the log shards (none for a store without action logs).
    fn log_shards(&self) -> Vec<i16> {
        Vec::new()
    }

    /// Action-log rows of every action on log shard `shard` with `from_ms <= at_ms < to_ms`,
    /// after the row (`at_ms`, `log_id`) = `after` in that order, at most `limit` (bot
    /// scoring reads a day page by page).
    fn logs_between(
        &self,
        shard: i16,
        from_ms: i64,
        to_ms: i64,
        after: (i64, u64),
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>> {
        let _ = (shard, from_ms, to_ms, after, limit);
        Box::pin(futures_util::future::ready(Ok(Vec::new())))
    }

    /// Stores `rows` on log shard `shard`; a row for the same user and day replaces the
    /// older one.
    fn put_bot_scores(&self, shard: i16, rows: Vec<BotScoreRow>) -> BoxFuture<'static, StoreResult<()>> {
        let _ = rows;
        Box::pin(futures_util::future::ready(Err(StoreError::NotFound(format!("log shard {shard}")))))
    }

    /// The highest bot scores of game day `day_ms` from every log shard, highest first, at
    /// most `limit`.
    fn top_bot_scores(&self, day_ms: i64, limit: usize) -> BoxFuture<'static, StoreResult<Vec<BotScoreRow>>> {
        let _ = (day_ms, limit);
        Box::pin(futures_util::future::ready(Ok(Vec::new())))
    }

    /// A page of one user's action log from their log shard, newest first.
    fn user_logs(&self, query: UserLogQuery) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>>;

    /// Profiles whose nickname starts with `prefix`, ignoring case (`%` and `_` match
    /// themselves), with a user id above `after`: one query per game shard, merged by user id,
    /// at most `limit` in all.
    fn search_nicknames(
        &self,
        prefix: String,
        after: UserId,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<FoundProfile>>> {
        let _ = (prefix, after, limit);
        not_kept("search nicknames")
    }

    /// The deliveries `user` sent that wait in their game shard's outbox (`OUTBOX` rows), at
    /// most `limit`, oldest first.
    fn outbox_of(&self, user: UserId, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        let _ = (user, limit);
        not_kept("read an outbox")
    }

    /// Records an operator's action (before it runs, with the outcome pending).
    fn record_operator_action(&self, row: OperatorActionRow) -> BoxFuture<'static, StoreResult<()>> {
        let _ = row;
        not_kept("record an operator action")
    }

    /// Writes the outcome of recorded operator action `action_id`.
    fn finish_operator_action(
        &self,
        action_id: u64,
        outcome: String,
        finished_at_ms: i64,
    ) -> BoxFuture<'static, StoreResult<()>> {
        let _ = (action_id, outcome, finished_at_ms);
        not_kept("record an operator action's outcome")
    }

    /// A page of the operator audit log, newest first.
    fn operator_actions(&self, query: OperatorActionQuery) -> BoxFuture<'static, StoreResult<Vec<OperatorActionRow>>> {
        let _ = query;
        not_kept("read the operator audit log")
    }

    /// A clan's rows, or None when there is no such clan.
    fn clan(&self, clan_id: u64) -> BoxFuture<'static, StoreResult<Option<ClanRows>>>;

    /// The clan `user` is a member of, if any.
    fn clan_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<u64>>>;

    /// Clans whose name starts with `prefix` (`CLANS` rows), by name, at most `limit`.
    fn search_clans(&self, prefix: String, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>>;

    /// The recorded result of `user`'s clan action of (`session`, `seq`), if it was made.
    fn clan_op(&self, user: UserId, session: u64, seq: u64) -> BoxFuture<'static, StoreResult<Option<Vec<u8>>>>;

    /// Commits a change of the clan database (see [`ClanCommit`]).
    fn clan_commit(&self, commit: ClanCommit) -> BoxFuture<'static, Result<(), ClanCommitError>>;

    /// Checks that every database answers; the error names the first that does not.
    fn ping(&self) -> BoxFuture<'static, StoreResult<()>> {
        Box::pin(futures_util::future::ready(Ok(())))
    }

    /// Tells `listener` the users whose inbox got deliveries (`crate::storage::delivery`),
    /// once they are durable there. Set once, when the user actors exist.
    fn on_delivered(&self, listener: delivery::Listener);

    /// Commits every write still queued, carries the deliveries waiting in the outboxes and
    /// ships the action logs (graceful shutdown, and tests that count rows). Stores that
    /// queue nothing have nothing to do.
    fn flush(&self) -> BoxFuture<'static, StoreResult<()>> {
        Box::pin(futures_util::future::ready(Ok(())))
    }

    /// Every row `user` owns, on every database (None: no such account), for a data export.
    /// Stores that keep no rows have none to give.
    fn export_user(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<Vec<ExportedTable>>>> {
        Box::pin(futures_util::future::ready(Err(StoreError::NotFound(format!("rows of user {user} in this store")))))
    }

    /// The deliveries couriers could not carry, every outbox's oldest first, at most `limit`
    /// of each. Stores that deliver as commits land have none.
    fn dead_letters(&self, _limit: usize) -> BoxFuture<'static, StoreResult<Vec<delivery::DeadLetter>>> {
        Box::pin(futures_util::future::ready(Ok(Vec::new())))
    }

    /// Puts the dead letters of `outbox` (`game-N` or `clan`) back in it; answers how many.
    fn requeue_dead_letters(&self, outbox: String) -> BoxFuture<'static, StoreResult<u64>> {
        Box::pin(futures_util::future::ready(Err(StoreError::NotFound(format!("outbox {outbox}")))))
    }

    /// Records `deletion` (waiting) unless one is recorded for its user already, and ends the
    /// user's session as ended by request `seq` (unless it ended already), in one
    /// transaction; answers the deletion in force (an earlier request keeps its time).
    fn request_deletion(&self, deletion: Deletion, seq: u64) -> BoxFuture<'static, StoreResult<Deletion>> {
        let _ = seq;
        no_deletions(deletion.user)
    }

    /// Cancels `user`'s deletion if it still waits: answers the phase it found (None: no
    /// deletion; `Waiting`: cancelled now; a later phase: too late, nothing changed).
    fn cancel_deletion(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<DeletionPhase>>> {
        let _ = user;
        Box::pin(futures_util::future::ready(Ok(None)))
    }

    /// Deletions not done whose grace period ended by `now_ms` and not put off past it, the
    /// earliest first (by due time, then user), after `after` (a page's last), at most
    /// `limit`; those whose account went (`AccountGone`) only once they have been so for
    /// `settle_ms`.
    fn deletions_due(
        &self,
        now_ms: i64,
        settle_ms: i64,
        after: Option<(i64, UserId)>,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<Deletion>>> {
        let _ = (now_ms, settle_ms, after, limit);
        Box::pin(futures_util::future::ready(Ok(Vec::new())))
    }

    /// Records that an erasure run failed on `user`'s deletion: `failures` is its count now,
    /// and it is not due again before `retry_at_ms`.
    fn put_off_deletion(&self, user: UserId, failures: u32, retry_at_ms: i64) -> BoxFuture<'static, StoreResult<()>> {
        let _ = (failures, retry_at_ms);
        no_deletions(user)
    }

    /// Of `users`, those whose account's erasure has started (or is done).
    fn erasing_among(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<UserId>>> {
        let _ = users;
        Box::pin(futures_util::future::ready(Ok(Vec::new())))
    }

    /// The deletion of `user`, if one is recorded.
    fn deletion_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<Deletion>>> {
        let _ = user;
        Box::pin(futures_util::future::ready(Ok(None)))
    }

    /// Starts `user`'s erasure (waiting → erasing) if its grace period ended by `now_ms` and
    /// no session of the user is live (a session opened since the request keeps the account
    /// until it ends); answers whether it did.
    fn claim_deletion(&self, user: UserId, now_ms: i64) -> BoxFuture<'static, StoreResult<bool>> {
        let _ = now_ms;
        no_deletions(user)
    }

    /// Moves `user`'s deletion from phase `from` to `to` at `now_ms` (its failures forgotten);
    /// answers whether it was in `from` (false: another node moved it, or a Login cancelled
    /// it).
    fn advance_deletion(
        &self,
        user: UserId,
        from: DeletionPhase,
        to: DeletionPhase,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<bool>> {
        let _ = (from, to, now_ms);
        no_deletions(user)
    }

    /// The last commit of `user` on its game shard, fenced by `place.epoch` like a request's:
    /// `rows` (deliveries telling others, and the deletes of the inbox rows the caller saw),
    /// then every row of the user's own tables and its profile, in one transaction. Its
    /// outboxes stay for the couriers to carry, and inbox rows the caller did not see stay
    /// for the erasure's last step to answer.
    fn erase_user(&self, user: UserId, place: UserPlace, rows: Vec<RowWrite>) -> BoxFuture<'static, StoreResult<()>> {
        let _ = (place, rows);
        no_deletions(user)
    }

    /// Removes `user`'s account from the common database: its session, sign-in ids and
    /// account row (deliveries to it are dropped from then on).
    fn forget_account(&self, user: UserId) -> BoxFuture<'static, StoreResult<()>> {
        no_deletions(user)
    }

    /// Withdraws `user`'s requests to join clans (each clan's version moves, so an approval
    /// decided before is decided again); answers how many went.
    fn withdraw_clan_requests(&self, user: UserId) -> BoxFuture<'static, StoreResult<u64>>;

    /// The deliveries waiting unapplied in the inbox of `deletion`'s user (`INBOX` rows).
    fn leftover_inbox(&self, deletion: Deletion) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        no_deletions(deletion.user)
    }

    /// With `answers` (outbox rows answering what waited in the inbox): commits them with the
    /// inbox emptied, and answers false (they are to be carried first). Without: once the
    /// user has nothing left in its outboxes (farewells and action logs carried), deletes
    /// every row of the user on its game shard again (what writers outside its actor added
    /// since), dead letters to it, its clan actions' results and its action log, but for the
    /// rows of action `kept`, which stay for their retention under user id 0 (no one's);
    /// answers false, changing nothing, while the outboxes still hold rows.
    fn erase_leftovers(
        &self,
        deletion: Deletion,
        kept: &'static str,
        answers: Vec<RowWrite>,
    ) -> BoxFuture<'static, StoreResult<bool>> {
        let _ = (kept, answers);
        no_deletions(deletion.user)
    }

    /// Deletes the rows `sweep` describes on every shard of its kind; answers how many.
    /// Rows are gone shard by shard as each statement commits: a sweep cut short (its
    /// caller's timeout) has deleted some and may simply run again.
    fn sweep(&self, sweep: Sweep) -> BoxFuture<'static, StoreResult<u64>>;

    /// What each shard's group-commit queue holds now. Stores that queue nothing have none.
    fn queues(&self) -> Vec<queue_gauge::QueueView> {
        Vec::new()
    }

    /// Replaces the user's session (None: no session).
    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>>;
}

/// What a store that does not keep `what` answers.
fn not_kept<T: Send + 'static>(what: &str) -> BoxFuture<'static, StoreResult<T>> {
    let e = StoreError::Database(what.to_owned(), "this store does not keep it".to_owned());
    Box::pin(futures_util::future::ready(Err(e)))
}

/// The answer of a store that keeps no accounts to delete (benchmarks, unit tests) to a
/// call that must change or read one. Reads of deletions answer that there are none.
fn no_deletions<T: Send + 'static>(user: UserId) -> BoxFuture<'static, StoreResult<T>> {
    Box::pin(futures_util::future::ready(Err(StoreError::NotFound(format!("deletions of user {user} in this store")))))
}
