//! `DbStore`: the [`Store`] over SQL databases — one common database, game and log shards
//! from the registry, and the clan database — on SQLite, PostgreSQL or MySQL/MariaDB alike.
//!
//! Every query is written once and run through [`with_conn!`] on whichever backend a
//! database uses. Nothing relies on backend-specific SQL: ids come from [`IdGenerator`]
//! (no `RETURNING`), and "insert if absent" is an insert whose unique violation is read
//! as "already there" (no upsert dialects). No foreign key crosses databases.
//!
//! Writes of user requests go straight to one
//! [`crate::storage::persistence::PersistenceActor`] per shard (started by the
//! [`ShardRouter`]), which commits many users' writes in one transaction (group commit). The queries of registration and of loading
//! users and sessions live in [`registration`] and [`user_data`]; this module wires them to
//! the [`Store`] interface with a time bound each.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Addr;
use actix::prelude::SendError;
use diesel::IntoSql;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;
use futures_util::future::BoxFuture;
use summoner_actors::in_flight::{self, Stage};
use summoner_actors::{Commit, Loaded, Session, TokenHash, UserId};

use crate::ids::IdGenerator;
use crate::storage::batch::{BatchHook, Job};
use crate::storage::db::{Db, DbKind, ShardDbs};
use crate::storage::delivery::{DeadLetter, DeliveryDbs, DeliveryListener, Listener};
use crate::storage::nodes::{
    Activated, ClaimRefused, GateSlot, NodeBeat, NodeClaim, NodeRow, OwnerClaim, WorkClaim, WorkGate, WorkLease,
};
use crate::storage::persistence::BatchSettings;
use crate::storage::persistence::Enqueue;
use crate::storage::queue_gauge::QueueGauges;
use crate::storage::registry::{Placement, ShardCredentials, ShardRow};
use crate::storage::router::{Nudge, ShardRouter, Work, Writers};
use crate::storage::rows::{Row, RowWrite, TableDef, Value};
use crate::storage::statements;
use crate::storage::tables::{ACTION_LOG, CLAN_OUTBOX, INBOX, LAST_REPLIES, LOG_OUTBOX, USERS};
use crate::storage::{
    ActionLog, AuthId, BotScoreRow, Changes, ClanCommit, ClanCommitError, ClanRows, Deletion, DeletionPhase,
    ExportedTable, FoundProfile, LoggedAction, OperatorActionQuery, OperatorActionRow, ProfileRow, Registered, SignUp,
    SignedUp, Store, StoreError, StoreResult, UserLogQuery, UserPlace, UserRows, UserShards,
};
use crate::with_conn;

mod bot_scores;
mod clans;
mod console;
mod deletions;
mod export;
mod logs;
mod maintenance;
mod nodes;
mod registration;
mod sign_ups;
mod sweeps;
mod user_data;

/// A database error, with what was being done.
pub fn db<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> StoreError + '_ {
    move |e| StoreError::Database(what.to_owned(), e.to_string())
}

fn is_unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

/// The databases of a deployment.
pub struct Databases {
    pub common: Db,
    pub game: ShardDbs,
    pub log: ShardDbs,
    pub clan: Db,
}

/// SQL storage over the common database and the registered shards.
#[derive(Clone)]
pub struct DbStore {
    dbs: Arc<Databases>,
    placement: Arc<Placement>,
    /// This node's id, and the generator of its ids.
    node_id: u16,
    ids: &'static IdGenerator,
    /// None: a reader, which writes nothing ([`DbStore::open_reader`]).
    router: Option<Addr<ShardRouter>>,
    /// Each shard's persistence actor, which jobs are sent to straight (none in a reader).
    writers: Arc<Writers>,
    /// Told whose inbox got deliveries.
    listener: Arc<DeliveryListener>,
    timeout: Duration,
    batch_limit: Duration,
    /// What each shard's group-commit queue holds.
    queues: Arc<QueueGauges>,
    /// Whether its couriers run on this node.
    gate: Arc<GateSlot>,
    /// Sign-ups waiting for their batch.
    sign_ups: Arc<sign_ups::SignUps>,
}

/// How [`DbStore::open`] finds and connects its databases.
#[derive(Clone)]
pub struct DbStoreConfig {
    pub common_url: String,
    pub clan_url: String,
    /// Seeds the registry (see [`crate::storage::registry`]).
    pub game_urls: Vec<String>,
    pub log_urls: Vec<String>,
    /// Shard passwords by shard name (`game_1`), over those of the URLs above.
    pub shard_passwords: BTreeMap<String, String>,
    pub pool_size: usize,
    pub timeout: Duration,
    pub node_id: u16,
    /// Group commit: flush a shard's queue at this many writes ...
    pub batch_max_writes: usize,
    /// ... or this long after the first write queued.
    pub batch_delay: Duration,
    /// Longest a batch may take; past it, its outcome is unknown.
    pub batch_limit: Duration,
    /// How often each game shard's action-log outbox is read back anyway.
    pub log_sweep: Duration,
    /// Fault injection around batch commits (tests only).
    pub hook: Option<Arc<dyn BatchHook>>,
    /// Sign-in ids stored before they were hashed, rewritten at migration.
    pub rekey: Option<Rekey>,
    /// The form names are stored in (the game's rule): names stored before it are rewritten
    /// once, a step recorded in `maintenance_steps`.
    pub name_form: Option<fn(&str) -> String>,
    /// The databases end a transaction of this store left idle this long (a node frozen in
    /// one past its lease); `None`: they never do.
    pub idle_transaction_limit: Option<Duration>,
    /// Its couriers run only once a gate is set (`Store::set_gate`): a server's store, whose
    /// couriers run while its node holds their leases.
    pub gated: bool,
}

/// Sign-in ids of `provider` stored as themselves (without `prefix`) are replaced by `key` of
/// them: the accounts service says how it stores them; storage only rewrites the rows.
#[derive(Debug, Clone, Copy)]
pub struct Rekey {
    pub provider: &'static str,
    pub prefix: &'static str,
    pub key: fn(&str) -> String,
}

impl DbStoreConfig {
    /// Where the registered shards' passwords come from.
    fn credentials(&self) -> ShardCredentials {
        ShardCredentials {
            by_name: self.shard_passwords.clone(),
            game_urls: self.game_urls.clone(),
            log_urls: self.log_urls.clone(),
        }
    }

    /// A pool of this store's size and bounds to `url`.
    fn connect(&self, url: &str) -> StoreResult<Db> {
        Db::connect_with(url, self.pool_size, self.timeout, self.idle_transaction_limit)
    }
}

/// Migrates the common database and claims a node id there for `claim` (see
/// `crate::storage::nodes`): what a server does first, since its id names its writes.
pub async fn claim_node(
    config: &DbStoreConfig,
    claim: &NodeClaim,
    now_ms: i64,
) -> StoreResult<Result<u16, ClaimRefused>> {
    Db::migrate(&config.common_url, DbKind::Common).await?;
    let common = Db::connect(&config.common_url, 1, config.timeout)?;
    nodes::claim(&common, claim, now_ms).await
}

/// Applies every pending migration: common, clan, and every shard in the registry
/// (seeded from the configuration). What `summoner migrate` and start-up run.
pub async fn migrate_all(config: &DbStoreConfig, now_ms: i64) -> StoreResult<Vec<ShardRow>> {
    Db::migrate(&config.common_url, DbKind::Common).await?;
    Db::migrate(&config.clan_url, DbKind::Clan).await?;
    let common = Db::connect(&config.common_url, 1, config.timeout)?;
    if let Some(Rekey { provider, prefix, key }) = config.rekey {
        let step = format!("rekey_auth_ids:{provider}");
        if maintenance::done_at(&common, &step).await?.is_none() {
            let hashed = registration::rekey_auth_ids(&common, provider, prefix, key).await?;
            maintenance::record(&common, &step, now_ms).await?;
            tracing::info!(
                hashed,
                provider,
                step,
                "sign-in ids stored before hashing were replaced by their hashes, once"
            );
        }
    }
    let credentials = config.credentials();
    let rows = crate::storage::registry::load_or_seed(&common, &credentials, now_ms).await?;
    for row in &rows {
        let kind = if row.kind == "game" { DbKind::Game } else { DbKind::Log };
        Db::migrate(&credentials.url_of(row), kind).await?;
    }
    if let Some(form) = config.name_form {
        let step = "names_in_stored_form";
        if maintenance::done_at(&common, step).await?.is_none() {
            let games: Vec<Db> = rows
                .iter()
                .filter(|r| r.kind == "game")
                .map(|r| Db::connect(&credentials.url_of(r), 1, config.timeout))
                .collect::<StoreResult<_>>()?;
            let clan = Db::connect(&config.clan_url, 1, config.timeout)?;
            let rewritten = maintenance::rewrite_names(&games, &clan, form).await?;
            maintenance::record(&common, step, now_ms).await?;
            tracing::info!(rewritten, step, "names stored before their form was fixed were rewritten, once");
        }
    }
    Ok(rows)
}

/// Connects the clan database and every shard of the registry `rows`, and reads where new
/// users go.
async fn connect(config: &DbStoreConfig, common: Db, rows: &[ShardRow]) -> StoreResult<(Databases, Placement)> {
    let clan = config.connect(&config.clan_url)?;
    let (mut game, mut log) = (BTreeMap::new(), BTreeMap::new());
    let credentials = config.credentials();
    for row in rows {
        let db = config.connect(&credentials.url_of(row))?;
        match row.kind.as_str() {
            "game" => game.insert(row.shard_no, db),
            _ => log.insert(row.shard_no, db),
        };
    }
    let placement = Placement::new(&common, rows).await?;
    Ok((Databases { common, game, log, clan }, placement))
}

impl DbStore {
    /// Migrates, reads the registry, connects every database and starts one persistence
    /// actor per shard. Must run inside an actix system.
    pub async fn open(config: &DbStoreConfig, now_ms: i64) -> StoreResult<Self> {
        let rows = migrate_all(config, now_ms).await?;
        let common = config.connect(&config.common_url)?;
        let (dbs, placement) = connect(config, common, &rows).await?;
        let dbs = Arc::new(dbs);
        let settings = BatchSettings {
            max_writes: config.batch_max_writes.max(1),
            delay: config.batch_delay,
            limit: config.batch_limit,
            log_sweep: config.log_sweep,
            hook: config.hook.clone(),
        };
        let listener = Arc::new(DeliveryListener::default());
        let delivery = DeliveryDbs { common: dbs.common.clone(), game: dbs.game.clone(), clan: dbs.clan.clone() };
        let queues = Arc::new(QueueGauges::default());
        let gate = Arc::new(if config.gated { GateSlot::closed() } else { GateSlot::default() });
        let (router, writers) =
            ShardRouter::start(&delivery, &dbs.log, listener.clone(), settings, &queues, gate.clone());
        Ok(Self {
            dbs,
            placement: Arc::new(placement),
            node_id: config.node_id,
            ids: crate::ids::generator(config.node_id),
            router: Some(router),
            writers,
            listener,
            timeout: config.timeout,
            batch_limit: config.batch_limit,
            queues,
            gate,
            sign_ups: Arc::default(),
        })
    }

    /// Connects to the databases the registry names, to read only (audits beside a running
    /// server): no migrations, no seeding, no persistence actors or log shippers; every
    /// write is refused.
    pub async fn open_reader(config: &DbStoreConfig) -> StoreResult<Self> {
        let common = Db::connect(&config.common_url, config.pool_size, config.timeout)?;
        let rows = crate::storage::registry::read(&common).await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound("shards: the registry is empty (run `summoner migrate` first)".into()));
        }
        let (dbs, placement) = connect(config, common, &rows).await?;
        Ok(Self {
            dbs: Arc::new(dbs),
            placement: Arc::new(placement),
            node_id: config.node_id,
            ids: crate::ids::generator(config.node_id),
            router: None,
            writers: Arc::default(),
            listener: Arc::default(),
            timeout: config.timeout,
            batch_limit: config.batch_limit,
            queues: Arc::default(),
            gate: Arc::default(),
            sign_ups: Arc::default(),
        })
    }

    /// The persistence side, or the refusal of a reader.
    fn router(&self) -> StoreResult<Addr<ShardRouter>> {
        self.router.clone().ok_or_else(|| StoreError::Database("write".into(), "this store only reads".into()))
    }

    /// The databases (tests count their queries).
    pub fn databases(&self) -> &Arc<Databases> {
        &self.dbs
    }

    fn delivery_dbs(&self) -> DeliveryDbs {
        let dbs = &self.dbs;
        DeliveryDbs { common: dbs.common.clone(), game: dbs.game.clone(), clan: dbs.clan.clone() }
    }

    fn timed<T: Send + 'static>(
        &self,
        what: String,
        work: impl Future<Output = StoreResult<T>> + Send + 'static,
    ) -> BoxFuture<'static, StoreResult<T>> {
        let timeout = self.timeout;
        Box::pin(async move {
            let _stage = in_flight::enter(Stage::Database, None);
            tokio::time::timeout(timeout, work).await.map_err(|_| StoreError::Timeout(what))?
        })
    }

    fn shard(&self, kind: DbKind, no: i16) -> StoreResult<Db> {
        let map = if kind == DbKind::Game { &self.dbs.game } else { &self.dbs.log };
        map.get(&no).cloned().ok_or_else(|| StoreError::NotFound(format!("{} shard {no}", kind.as_str())))
    }
}

/// The row of a stored reply.
fn reply_row(user: UserId, reply: &summoner_actors::StoredReply) -> Row {
    vec![Value::uint(user), Value::uint(reply.session_id), Value::uint(reply.seq), Value::Bytes(reply.bytes.clone())]
}

/// An action-log record as a row of `log_outbox` (with the log shard it goes to) or, with
/// no shard, of `action_log`.
fn log_row(log_id: u64, log: ActionLog, log_shard: Option<i16>) -> Row {
    let mut row = vec![Value::uint(log_id), Value::uint(log.user_id)];
    if let Some(shard) = log_shard {
        row.push(Value::Int(i64::from(shard)));
    }
    row.extend([Value::Text(log.action.to_owned()), Value::Text(log.params), Value::Text(log.result)]);
    row.push(Value::Int(log.at_ms));
    row
}

impl DbStore {
    /// Submits `job` to its shard and waits for its outcome. The persistence actor answers
    /// within the job's deadline plus a batch's time bound; past that the outcome is unknown.
    fn submit(&self, kind: DbKind, shard_no: i16, job: Job) -> BoxFuture<'static, StoreResult<()>> {
        if let Err(e) = self.router() {
            return Box::pin(async move { Err(e) });
        }
        let Some(writer) = self.writers.get(&(kind, shard_no)).cloned() else {
            let missing = StoreError::NotFound(format!("{} shard {shard_no}", kind.as_str()));
            return Box::pin(async move { Err(missing) });
        };
        let deadline = Instant::now() + self.timeout;
        let bound = self.timeout + self.batch_limit + Duration::from_secs(1);
        let user = job.user;
        let what = move || format!("commit for user {user} on {} shard {shard_no}", kind.as_str());
        Box::pin(async move {
            // Read inside the request's task (`in_flight::traced`), where the operation is known.
            let op = statements::serving();
            let (reply, outcome) = tokio::sync::oneshot::channel();
            // The shard's queue bounds the writes (a job past it is answered Overloaded through
            // `reply`); a fresh address is never refused as full by the mailbox itself.
            match writer.try_send(Enqueue { job, deadline, op, reply }) {
                Ok(()) => {}
                Err(SendError::Full(_)) => {
                    return Err(StoreError::Overloaded(format!("{}: the persistence actor's mailbox is full", what())));
                }
                Err(SendError::Closed(_)) => {
                    return Err(StoreError::Database(what(), "the persistence actor has stopped".into()));
                }
            }
            match tokio::time::timeout(bound, outcome).await {
                Ok(Ok(outcome)) => outcome,
                // Queued, and the actor went away before deciding it.
                Ok(Err(_)) => Err(StoreError::OutcomeUnknown(format!("{}: the persistence actor stopped", what()))),
                Err(_) => Err(StoreError::OutcomeUnknown(format!("{}: no answer in {} ms", what(), bound.as_millis()))),
            }
        })
    }
}

impl Store for DbStore {
    fn register(&self, auth: AuthId, profile: Row, now_ms: i64) -> BoxFuture<'static, StoreResult<Registered>> {
        if let Err(e) = self.router() {
            return Box::pin(async move { Err(e) });
        }
        let what = format!("register {}", auth.provider);
        self.timed(what, registration::register(self.clone(), auth, profile, now_ms))
    }

    fn sign_up(&self, sign_up: SignUp) -> BoxFuture<'static, StoreResult<Option<SignedUp>>> {
        if let Err(e) = self.router() {
            return Box::pin(async move { Err(e) });
        }
        // A sign-up queued for its batch may still be written after its caller stopped
        // waiting: a timeout is an unknown outcome (the next sign-in finds the account). The
        // bound covers a batch's two stages (each bounded so) and a wait for the one before.
        let bound = (self.timeout + self.batch_limit) * 3 + Duration::from_secs(1);
        let provider = sign_up.auth.provider.clone();
        let work = registration::sign_up(self.clone(), sign_up);
        Box::pin(async move {
            let _stage = in_flight::enter(Stage::Persistence, None);
            tokio::time::timeout(bound, work)
                .await
                .map_err(|_| StoreError::OutcomeUnknown(format!("sign up with {provider}: no answer in time")))?
        })
    }

    fn find_account(&self, auth: AuthId) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        let common = self.dbs.clone();
        self.timed("find an account".into(), async move {
            Ok(registration::account_of(&common.common, &auth).await?.map(|u| u as u64))
        })
    }

    fn user_for_token(&self, token: TokenHash) -> BoxFuture<'static, StoreResult<Option<UserId>>> {
        self.timed("look up a session".into(), user_data::user_for_token(self.dbs.clone(), token))
    }

    fn node_id(&self) -> u16 {
        self.node_id
    }

    fn activate_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
        claim: OwnerClaim,
    ) -> BoxFuture<'static, StoreResult<Activated>> {
        if let Err(e) = self.router() {
            return Box::pin(async move { Err(e) });
        }
        // Settling may wait for a batch in flight, which is bounded by the batch limit.
        let bound = self.timeout * 2 + self.batch_limit;
        let work = user_data::load_user(self.clone(), user, tables, Some(claim));
        Box::pin(async move {
            let loaded = tokio::time::timeout(bound, work)
                .await
                .map_err(|_| StoreError::Timeout(format!("load user {user}")))?;
            Ok(match loaded? {
                Ok((loaded, from)) => Activated::Loaded { loaded, from },
                Err(node) => Activated::OwnedBy(node),
            })
        })
    }

    fn owner_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<(i64, i64)>>> {
        self.timed(format!("read the owner of user {user}"), user_data::owner_of(self.clone(), user))
    }

    fn claim_node(
        &self,
        incarnation: u64,
        lease_ms: i64,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<Result<u16, ClaimRefused>>> {
        let dbs = self.dbs.clone();
        let claim = NodeClaim { requested: Some(self.node_id), incarnation, lease_ms };
        self.timed("claim the node's id".into(), async move { nodes::claim(&dbs.common, &claim, now_ms).await })
    }

    fn nodes(&self) -> BoxFuture<'static, StoreResult<Vec<NodeRow>>> {
        let dbs = self.dbs.clone();
        self.timed("read the nodes".into(), async move { nodes::list(&dbs.common).await })
    }

    fn beat(&self, beat: NodeBeat) -> BoxFuture<'static, StoreResult<bool>> {
        let dbs = self.dbs.clone();
        self.timed("renew the node's lease".into(), async move { nodes::beat(&dbs.common, &beat).await })
    }

    fn leave(&self, incarnation: u64) -> BoxFuture<'static, StoreResult<()>> {
        let (dbs, id) = (self.dbs.clone(), self.node_id);
        self.timed("give up the node's id".into(), async move { nodes::leave(&dbs.common, id, incarnation).await })
    }

    fn claim_work(&self, claim: WorkClaim) -> BoxFuture<'static, StoreResult<bool>> {
        let (dbs, id) = (self.dbs.clone(), self.node_id);
        let what = format!("claim the work lease {}", claim.name);
        self.timed(what, async move { nodes::claim_work(&dbs.common, id, &claim).await })
    }

    fn renew_work(&self, incarnation: u64, until_ms: i64) -> BoxFuture<'static, StoreResult<Vec<String>>> {
        let (dbs, id) = (self.dbs.clone(), self.node_id);
        self.timed("renew the work leases".into(), async move {
            nodes::renew_work(&dbs.common, id, incarnation, until_ms).await
        })
    }

    fn release_work(&self, name: String, incarnation: u64) -> BoxFuture<'static, StoreResult<()>> {
        let (dbs, id) = (self.dbs.clone(), self.node_id);
        self.timed(format!("give up the work lease {name}"), async move {
            nodes::release_work(&dbs.common, &name, id, incarnation).await
        })
    }

    fn request_deletion(&self, deletion: Deletion, seq: u64) -> BoxFuture<'static, StoreResult<Deletion>> {
        let store = self.clone();
        self.timed("record an account's deletion".into(), async move {
            deletions::request(&store.dbs.common, deletion, seq).await
        })
    }

    fn cancel_deletion(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<DeletionPhase>>> {
        let store = self.clone();
        self.timed("cancel an account's deletion".into(), async move {
            deletions::cancel(&store.dbs.common, user as i64).await
        })
    }

    fn deletions_due(
        &self,
        now_ms: i64,
        settle_ms: i64,
        after: Option<(i64, UserId)>,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<Deletion>>> {
        let store = self.clone();
        self.timed("read the deletions due".into(), async move {
            deletions::due(&store.dbs.common, now_ms, settle_ms, after, limit).await
        })
    }

    fn put_off_deletion(&self, user: UserId, failures: u32, retry_at_ms: i64) -> BoxFuture<'static, StoreResult<()>> {
        let store = self.clone();
        self.timed("put an account's erasure off".into(), async move {
            deletions::put_off(&store.dbs.common, user as i64, failures, retry_at_ms).await
        })
    }

    fn erasing_among(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<UserId>>> {
        let store = self.clone();
        self.timed("read which users are being erased".into(), async move {
            deletions::erasing_among(&store.dbs.common, &users).await
        })
    }

    fn deletion_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<Deletion>>> {
        let store = self.clone();
        self.timed("read an account's deletion".into(), async move {
            deletions::deletion_of(&store.dbs.common, user as i64).await
        })
    }

    fn advance_deletion(
        &self,
        user: UserId,
        from: DeletionPhase,
        to: DeletionPhase,
        now_ms: i64,
    ) -> BoxFuture<'static, StoreResult<bool>> {
        let store = self.clone();
        self.timed("move an account's deletion on".into(), async move {
            deletions::advance(&store.dbs.common, user as i64, from, to, now_ms).await
        })
    }

    fn erase_user(&self, user: UserId, place: UserPlace, rows: Vec<RowWrite>) -> BoxFuture<'static, StoreResult<()>> {
        let who = Value::uint(user);
        let mut writes = rows;
        // The outboxes stay: the couriers carry what the user sent, the farewells among it. So
        // does what reached the inbox since the caller read it (`rows` delete what it saw).
        let own = export::OWN_TABLES.iter().filter(|t| t.name != LOG_OUTBOX.name && t.name != INBOX.name);
        writes.extend(own.map(|t| RowWrite::DeleteOwned(t, who.clone())));
        writes.push(RowWrite::DeleteOwned(&USERS, who));
        self.submit(DbKind::Game, place.shards.game, Job { user: user as i64, epoch: Some(place.epoch), writes })
    }

    fn forget_account(&self, user: UserId) -> BoxFuture<'static, StoreResult<()>> {
        let store = self.clone();
        self.timed("remove an account".into(), async move {
            deletions::forget_account(&store.dbs.common, user as i64).await
        })
    }

    fn withdraw_clan_requests(&self, user: UserId) -> BoxFuture<'static, StoreResult<u64>> {
        let store = self.clone();
        self.timed("withdraw requests to join clans".into(), async move {
            clans::withdraw_requests(&store.dbs.clan, user as i64).await
        })
    }

    fn claim_deletion(&self, user: UserId, now_ms: i64) -> BoxFuture<'static, StoreResult<bool>> {
        let store = self.clone();
        self.timed("start an account's erasure".into(), async move {
            deletions::claim(&store.dbs.common, user as i64, now_ms).await
        })
    }

    fn leftover_inbox(&self, deletion: Deletion) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        let store = self.clone();
        self.timed("read what reached a deleted user".into(), async move {
            deletions::leftover_inbox(&store, deletion).await
        })
    }

    fn erase_leftovers(
        &self,
        deletion: Deletion,
        kept: &'static str,
        answers: Vec<RowWrite>,
    ) -> BoxFuture<'static, StoreResult<bool>> {
        // A statement per table on every game shard: a longer bound than one call's.
        let (bound, store) = (self.timeout * 6, self.clone());
        Box::pin(async move {
            let work = deletions::erase_leftovers(&store, deletion, kept, answers);
            let what = format!("erase what is left of user {}", deletion.user);
            tokio::time::timeout(bound, work).await.map_err(|_| StoreError::Timeout(what))?
        })
    }

    fn export_user(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<Vec<ExportedTable>>>> {
        // Many statements, one of them the whole action log: a longer bound than one call's.
        let (bound, work) = (self.timeout * 6, export::export(self.clone(), user as i64));
        Box::pin(async move {
            tokio::time::timeout(bound, work).await.map_err(|_| StoreError::Timeout(format!("export user {user}")))?
        })
    }

    fn dead_letters(&self, limit: usize) -> BoxFuture<'static, StoreResult<Vec<DeadLetter>>> {
        let dbs = self.delivery_dbs();
        self.timed("read the dead letters".into(), async move { dbs.dead_letters(limit).await })
    }

    fn requeue_dead_letters(&self, outbox: String) -> BoxFuture<'static, StoreResult<u64>> {
        let dbs = self.delivery_dbs();
        self.timed(format!("requeue the dead letters of {outbox}"), async move { dbs.requeue(&outbox).await })
    }

    fn work_leases(&self) -> BoxFuture<'static, StoreResult<Vec<WorkLease>>> {
        let dbs = self.dbs.clone();
        self.timed("read the work leases".into(), async move { nodes::work_leases(&dbs.common).await })
    }

    fn work(&self) -> BoxFuture<'static, Vec<String>> {
        let router = self.router.clone();
        Box::pin(async move {
            match router {
                Some(router) => router.send(Work).await.unwrap_or_default(),
                None => Vec::new(),
            }
        })
    }

    fn set_gate(&self, gate: Arc<dyn WorkGate>) {
        self.gate.set(gate);
    }

    fn nudge(&self, name: String) {
        if let Some(router) = &self.router {
            router.do_send(Nudge(name));
        }
    }

    fn load_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Loaded<UserRows>>> {
        // Settling may wait for a batch in flight, which is bounded by the batch limit.
        let bound = self.timeout * 2 + self.batch_limit;
        let work = user_data::load_user(self.clone(), user, tables, None);
        Box::pin(async move {
            let loaded = tokio::time::timeout(bound, work)
                .await
                .map_err(|_| StoreError::Timeout(format!("load user {user}")))?;
            loaded?
                .map(|(loaded, _)| loaded)
                .map_err(|node| StoreError::Conflict(format!("user {user} is owned by node {node}")))
        })
    }

    fn load_profiles(&self, users: Vec<UserId>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        self.timed("load profiles".into(), user_data::load_profiles(self.clone(), users))
    }

    fn clan(&self, clan_id: u64) -> BoxFuture<'static, StoreResult<Option<ClanRows>>> {
        self.timed(format!("read clan {clan_id}"), clans::clan(self.clone(), clan_id))
    }

    fn clan_of(&self, user: UserId) -> BoxFuture<'static, StoreResult<Option<u64>>> {
        self.timed(format!("find the clan of user {user}"), clans::clan_of(self.clone(), user))
    }

    fn search_clans(&self, prefix: String, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        self.timed("search clans".into(), clans::search(self.clone(), prefix, limit))
    }

    fn clan_op(&self, user: UserId, session: u64, seq: u64) -> BoxFuture<'static, StoreResult<Option<Vec<u8>>>> {
        self.timed("read a clan action's result".into(), clans::op(self.clone(), user, session, seq))
    }

    fn clan_commit(&self, commit: ClanCommit) -> BoxFuture<'static, Result<(), ClanCommitError>> {
        let (store, bound, router) = (self.clone(), self.timeout, self.router.clone());
        let what = format!("change clan {}", commit.clan_id);
        let sends = commit.writes.iter().any(|w| matches!(w, RowWrite::Insert(t, _) if std::ptr::eq(*t, &CLAN_OUTBOX)));
        Box::pin(async move {
            match tokio::time::timeout(bound, clans::commit(store, commit)).await {
                Ok(Ok(())) => {
                    if let (true, Some(router)) = (sends, router) {
                        router.do_send(crate::storage::router::ClanShipped);
                    }
                    Ok(())
                }
                Ok(Err(ClanCommitError::Store(e))) => {
                    // It may have committed: its courier looks (and its sweep, for a late one).
                    if let Some(router) = router {
                        router.do_send(crate::storage::router::ClanShipped);
                    }
                    Err(ClanCommitError::Store(e))
                }
                Ok(outcome) => outcome,
                // The transaction may still commit: a retry of the request finds its record,
                // and the courier's sweep its deliveries.
                Err(_) => {
                    if let Some(router) = router {
                        router.do_send(crate::storage::router::ClanShipped);
                    }
                    Err(ClanCommitError::Store(StoreError::OutcomeUnknown(what)))
                }
            }
        })
    }

    fn peek_user(
        &self,
        user: UserId,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<UserRows>>> {
        self.timed(format!("read user {user}"), user_data::peek_user(self.clone(), user, tables))
    }

    fn read_tables_on(
        &self,
        user: UserId,
        game: i16,
        tables: &'static [&'static TableDef],
    ) -> BoxFuture<'static, StoreResult<Option<Vec<Vec<Row>>>>> {
        self.timed(format!("read the tables of user {user}"), user_data::tables_on(self.clone(), user, game, tables))
    }

    fn load_profiles_on(&self, users: Vec<(UserId, i16)>) -> BoxFuture<'static, StoreResult<Vec<ProfileRow>>> {
        self.timed("load profiles".into(), user_data::load_profiles_on(self.clone(), users))
    }

    fn commit(&self, user: UserId, place: UserPlace, commit: Commit<Changes>) -> BoxFuture<'static, StoreResult<()>> {
        let Commit { writes: Changes { rows, logs }, reply } = commit;
        let mut writes = rows;
        writes.push(RowWrite::Upsert(&LAST_REPLIES, reply_row(user, &reply)));
        for log in logs {
            writes.push(RowWrite::Insert(&LOG_OUTBOX, log_row(self.ids.next_id(), log, Some(place.shards.log))));
        }
        let job = Job { user: user as i64, epoch: Some(place.epoch), writes };
        self.submit(DbKind::Game, place.shards.game, job)
    }

    fn scan_logs(
        &self,
        action: String,
        user: Option<UserId>,
        after: u64,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>> {
        self.timed("scan the action log".into(), logs::scan_logs(self.clone(), action, user, after, limit))
    }

    fn user_logs(&self, query: UserLogQuery) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>> {
        self.timed("read a user's action log".into(), logs::user_logs(self.clone(), query))
    }

    fn log_shards(&self) -> Vec<i16> {
        self.dbs.log.keys().copied().collect()
    }

    fn search_nicknames(
        &self,
        prefix: String,
        after: UserId,
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<FoundProfile>>> {
        self.timed("search nicknames".into(), console::search_nicknames(self.clone(), prefix, after, limit))
    }

    fn outbox_of(&self, user: UserId, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        self.timed(format!("read the outbox of user {user}"), console::outbox_of(self.clone(), user, limit))
    }

    fn record_operator_action(&self, row: OperatorActionRow) -> BoxFuture<'static, StoreResult<()>> {
        self.timed("record an operator action".into(), console::record_operator_action(self.clone(), row))
    }

    fn finish_operator_action(
        &self,
        action_id: u64,
        outcome: String,
        finished_at_ms: i64,
    ) -> BoxFuture<'static, StoreResult<()>> {
        let work = console::finish_operator_action(self.clone(), action_id, outcome, finished_at_ms);
        self.timed(format!("record the outcome of operator action {action_id}"), work)
    }

    fn operator_actions(&self, query: OperatorActionQuery) -> BoxFuture<'static, StoreResult<Vec<OperatorActionRow>>> {
        self.timed("read the operator audit log".into(), console::operator_actions(self.clone(), query))
    }

    fn logs_between(
        &self,
        shard: i16,
        from_ms: i64,
        to_ms: i64,
        after: (i64, u64),
        limit: usize,
    ) -> BoxFuture<'static, StoreResult<Vec<LoggedAction>>> {
        let read = bot_scores::logs_between(self.clone(), shard, (from_ms, to_ms), after, limit);
        self.timed("read a day of the action log".into(), read)
    }

    fn put_bot_scores(&self, shard: i16, rows: Vec<BotScoreRow>) -> BoxFuture<'static, StoreResult<()>> {
        self.timed("store bot scores".into(), bot_scores::put(self.clone(), shard, rows))
    }

    fn top_bot_scores(&self, day_ms: i64, limit: usize) -> BoxFuture<'static, StoreResult<Vec<BotScoreRow>>> {
        self.timed("read the day's bot scores".into(), bot_scores::top(self.clone(), day_ms, limit))
    }

    fn write_outside(&self, user: UserId, rows: Vec<RowWrite>) -> BoxFuture<'static, StoreResult<()>> {
        let store = self.clone();
        Box::pin(async move {
            let shards = registration::shards_of(&store.dbs.common, user as i64)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("user {user}")))?;
            let job = Job { user: user as i64, epoch: None, writes: rows };
            store.submit(DbKind::Game, shards.game, job).await
        })
    }

    fn append_logs(&self, shards: UserShards, logs: Vec<ActionLog>) -> BoxFuture<'static, StoreResult<()>> {
        let Some(user) = <[_]>::first(&logs).map(|l| l.user_id as i64) else { return Box::pin(async { Ok(()) }) };
        let writes =
            logs.into_iter().map(|log| RowWrite::Insert(&ACTION_LOG, log_row(self.ids.next_id(), log, None))).collect();
        self.submit(DbKind::Log, shards.log, Job { user, epoch: None, writes })
    }

    fn ping(&self) -> BoxFuture<'static, StoreResult<()>> {
        let dbs = self.dbs.clone();
        self.timed("check the databases".into(), async move {
            let all = [&dbs.common, &dbs.clan].into_iter().chain(dbs.game.values()).chain(dbs.log.values());
            for database in all {
                let what = format!("reach {}", database.location);
                with_conn!(database, &what, |conn| {
                    diesel::select(1i32.into_sql::<diesel::sql_types::Integer>())
                        .get_result::<i32>(conn)
                        .await
                        .map(|_| ())
                        .map_err(db(&what))
                })?;
            }
            Ok(())
        })
    }

    fn on_delivered(&self, listener: Listener) {
        self.listener.set(listener);
    }

    fn queues(&self) -> Vec<crate::storage::queue_gauge::QueueView> {
        self.queues.views()
    }

    fn sweep(&self, sweep: crate::storage::Sweep) -> BoxFuture<'static, StoreResult<u64>> {
        let store = self.clone();
        Box::pin(async move {
            let _stage = in_flight::enter(Stage::Database, None);
            sweeps::sweep(store, sweep).await
        })
    }

    fn flush(&self) -> BoxFuture<'static, StoreResult<()>> {
        let Some(router) = self.router.clone() else { return Box::pin(async { Ok(()) }) };
        Box::pin(async move {
            router
                .send(crate::storage::router::FlushAll)
                .await
                .map_err(|e| StoreError::Database("flush queued writes".into(), e.to_string()))
        })
    }

    fn save_session(&self, user: UserId, session: Option<Session>) -> BoxFuture<'static, StoreResult<()>> {
        if let Err(e) = self.router() {
            return Box::pin(async move { Err(e) });
        }
        self.timed(format!("save session of user {user}"), user_data::save_session(self.dbs.clone(), user, session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_rows_fit_the_outbox_and_the_action_log_and_ship_from_one_to_the_other() {
        let log = ActionLog { user_id: 7, action: "explore", params: "p".into(), result: "r".into(), at_ms: 9 };
        let outbox = log_row(1, log.clone(), Some(2));
        let logged = log_row(1, log, None);
        assert!(RowWrite::Insert(&LOG_OUTBOX, outbox.clone()).check().is_ok());
        assert!(RowWrite::Insert(&ACTION_LOG, logged.clone()).check().is_ok());
        assert_eq!(crate::storage::shipper::logged(&outbox), (2, logged));
    }
}
