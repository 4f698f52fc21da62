//! Delivery between users: the [`DeliveryRoute`] of a [`Courier`] per game shard, which
//! copies the shard's `outbox` rows into their receivers' `inbox` on the receivers' game
//! shards, tells the [`DeliveryListener`] whose inbox got something (the server tells those
//! users' live actors), then deletes the rows from the outbox. What it cannot carry moves to a
//! `dead_letters` table beside the outbox, where operators see it (`GET /admin/dead-letters`)
//! and put it back once the cause is mended. Its sweep puts back by itself the letters buried
//! for a game shard the node did not know once their receiver's shard is known (a rolling
//! deploy that added a shard), purges applied inbox rows and tells again the receivers of
//! deliveries that wait unapplied.
//!
//! Exactly once, whatever crashes where: the outbox row is committed with the sender's change;
//! the inbox row is keyed by the delivery id, so a copy made again after a crash (before the
//! outbox row was deleted) is the same row; the receiver's actor applies a row and marks it
//! applied in one commit, so it applies it once; and an applied row is purged only once its
//! outbox row is gone, when no copy can come any more, and [`PURGE_GRACE_MS`] after it was
//! applied (longer than a statement of an abandoned round could still run; the nodes' clocks
//! are taken to agree within that). No transaction spans two databases, and nothing here
//! writes a user's own rows: only inbox rows, which the user's actor reads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner_actors::UserId;

use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::courier::{Courier, Pace, Route};
use crate::storage::db::{Db, ShardDbs};
use crate::storage::db_store::db;
use crate::storage::nodes::GateSlot;
use crate::storage::rows::TableDef;
use crate::storage::rows::{ColType, Row, Value};
use crate::storage::schema::accounts;
use crate::storage::sql::{self, Bind, Statement};
use crate::storage::tables::{CLAN_OUTBOX, DEAD_LETTERS, INBOX, OUTBOX};
use crate::storage::{StoreError, StoreResult};
use crate::with_conn;

/// The pause after a round while deliveries keep coming: the most one waits for its round.
pub const LINGER: Duration = Duration::from_millis(20);
/// Applied inbox rows looked at per purge.
const PURGE_PAGE: i64 = 2_000;
/// How long an applied inbox row is kept at least, however soon its outbox row went: longer
/// than any statement of an abandoned round could still be running.
const PURGE_GRACE_MS: i64 = 600_000;
/// How long a delivery waits unapplied before its receiver is told again.
const RETELL_AFTER_MS: i64 = 10_000;

fn wall_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Who is told of deliveries: set once the user actors exist.
pub type Listener = Arc<dyn Fn(&[UserId]) + Send + Sync>;

/// The listener of the couriers of one store (set after they start; a server started again
/// over the same store replaces it).
#[derive(Default)]
pub struct DeliveryListener(RwLock<Option<Listener>>);

impl DeliveryListener {
    /// Sets who is told.
    pub fn set(&self, listener: Listener) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(listener);
    }

    fn tell(&self, users: &[UserId]) {
        if users.is_empty() {
            return;
        }
        let listener = self.0.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(listener) = listener {
            listener(users);
        }
    }
}

/// Delivers one game shard's outbox.
pub type DeliveryCourier = Courier<DeliveryRoute>;

/// The number the clan database's outbox goes by where a game shard's number would stand
/// (an inbox row's `sender_shard`: where its outbox row waited).
pub const CLAN_SOURCE: i16 = -2;

/// The databases a delivery courier works with.
#[derive(Clone)]
pub struct DeliveryDbs {
    pub common: Db,
    pub game: ShardDbs,
    pub clan: Db,
}

impl DeliveryDbs {
    /// The outbox table of the source that goes by `no`.
    fn table(no: i16) -> &'static TableDef {
        if no == CLAN_SOURCE { &CLAN_OUTBOX } else { &OUTBOX }
    }

    /// The database whose outbox goes by `no` (a game shard, or [`CLAN_SOURCE`]).
    fn outbox(&self, no: i16) -> Option<&Db> {
        if no == CLAN_SOURCE { Some(&self.clan) } else { self.game.get(&no) }
    }
}

/// From one outbox (a game shard's, or the clan database's) to the receivers' `inbox`.
pub struct DeliveryRoute {
    source_no: i16,
    source: Db,
    dbs: DeliveryDbs,
    listener: Arc<DeliveryListener>,
}

/// The delivery courier of the outbox that goes by `source_no` (a game shard of `dbs`, or
/// [`CLAN_SOURCE`]), receivers placed through the common database.
pub fn courier(
    source_no: i16,
    dbs: DeliveryDbs,
    listener: Arc<DeliveryListener>,
    limit: Duration,
    sweep: Duration,
    gate: Arc<GateSlot>,
) -> Option<DeliveryCourier> {
    let source = dbs.outbox(source_no)?.clone();
    let label = source_label(source_no);
    let route = DeliveryRoute { source_no, source, dbs, listener };
    let pace = Pace { limit, sweep, linger: LINGER };
    Some(Courier::new(route, format!("{label} delivery outbox"), pace, lease_name(source_no), gate))
}

/// The name of outbox `source_no` (a game shard's `game-1`, or the clan database's `clan`).
fn source_label(source_no: i16) -> String {
    if source_no == CLAN_SOURCE { "clan".to_owned() } else { format!("game-{source_no}") }
}

/// The work lease of the delivery courier of the outbox labelled `outbox` (`game-N`, `clan`).
pub fn lease_name_of(outbox: &str) -> String {
    format!("courier:{outbox}")
}

/// The work lease of the delivery courier of outbox `source_no`.
pub fn lease_name(source_no: i16) -> String {
    lease_name_of(&source_label(source_no))
}

/// What a delivery's outbox row says of where it goes.
struct Parcel {
    id: Value,
    receiver: i64,
    created_at_ms: i64,
    inbox: Row,
}

/// The receiver of an outbox row and the row its inbox gets (None: not an outbox row).
pub fn inbox_row(outbox: &Row) -> Option<(UserId, Row)> {
    Parcel::of(outbox).map(|p| (p.receiver as UserId, p.inbox))
}

impl Parcel {
    /// Outbox: delivery_id, sender_id, sender_shard, receiver_id, kind, body, created_at_ms.
    /// Inbox: receiver, delivery_id, sender_id, sender_shard, kind, body, sent, applied (0).
    fn of(row: &Row) -> Option<Self> {
        let [id, sender, sender_shard, Value::Int(receiver), kind, body, Value::Int(created)] = row.as_slice() else {
            return None;
        };
        let inbox = vec![
            Value::Int(*receiver),
            id.clone(),
            sender.clone(),
            sender_shard.clone(),
            kind.clone(),
            body.clone(),
            Value::Int(*created),
            Value::Int(0),
        ];
        Some(Self { id: id.clone(), receiver: *receiver, created_at_ms: *created, inbox })
    }
}

impl Route for DeliveryRoute {
    fn read(&self, limit: usize) -> BoxFuture<'static, StoreResult<Vec<Row>>> {
        let (source, table) = (self.source.clone(), DeliveryDbs::table(self.source_no));
        async move {
            let what = "read the delivery outbox";
            with_conn!(source, what, |conn| {
                let mut s = Statement::new(dialect_of(conn), sql::select(dialect_of(conn), table));
                s.push(" ORDER BY delivery_id LIMIT ");
                s.param(Bind::Int(limit as i64));
                s.cacheable = true;
                conn.rows(s).await.map_err(db(what))
            })
        }
        .boxed()
    }

    fn carry(&self, rows: Vec<Row>) -> BoxFuture<'static, StoreResult<()>> {
        let (dbs, source, listener, source_no) =
            (self.dbs.clone(), self.source.clone(), self.listener.clone(), self.source_no);
        async move { deliver(&dbs, &source, source_no, &rows, &listener).await }.boxed()
    }

    fn sweep(&self, holds_lease: bool) -> BoxFuture<'static, bool> {
        let (dbs, shard_no, listener) = (self.dbs.clone(), self.source_no, self.listener.clone());
        async move {
            // Letters buried for a shard the node did not know, whose shard this node knows
            // now (a rolling deploy that added one), go back without an operator: by the node
            // whose courier carries this outbox, so no other node buries them again meanwhile.
            let requeued = if holds_lease { dbs.requeue_placeable(shard_no).await } else { Ok(0) };
            let refilled = match requeued {
                Ok(0) => false,
                Ok(moved) => {
                    tracing::info!(outbox = %source_label(shard_no), moved, "dead letters for a shard now known put back");
                    true
                }
                Err(e) => {
                    tracing::warn!(outbox = %source_label(shard_no), error = %e, "dead letters not looked at");
                    false
                }
            };
            // Inboxes are on game shards; the clan database's courier has none to look after.
            if shard_no == CLAN_SOURCE {
                return refilled;
            }
            let game = &dbs.game;
            match purge_applied(&dbs, shard_no).await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(shard = shard_no, purged, "applied deliveries purged from the inbox"),
                Err(e) => tracing::warn!(shard = shard_no, error = %e, "applied deliveries not purged yet"),
            }
            // Receivers whose deliveries wait unapplied: told again, in case the first word was
            // lost (their actor was busy, or the node that delivered was not theirs).
            match waiting_receivers(game, shard_no).await {
                Ok(users) => listener.tell(&users),
                Err(e) => tracing::warn!(shard = shard_no, error = %e, "receivers of waiting deliveries not read"),
            }
            refilled
        }
        .boxed()
    }
}

/// Copies `rows` (just read from the outbox that goes by `source`) into their receivers'
/// inboxes, then deletes them from the outbox, and tells the receivers. A delivery to a user
/// with no account is dropped (counted); a row that does not read as a delivery, or one for a
/// game shard this node does not know, moves to the dead letters ([`bury`]): no row stays at
/// the head of the outbox to hold up the others.
async fn deliver(
    dbs: &DeliveryDbs,
    source_db: &Db,
    source: i16,
    rows: &[Row],
    listener: &DeliveryListener,
) -> StoreResult<()> {
    let (common, game) = (&dbs.common, &dbs.game);
    let mut dead: Vec<(&Row, &'static str)> = Vec::new();
    let mut parcels: Vec<(&Row, Parcel)> = Vec::with_capacity(rows.len());
    for row in rows {
        match Parcel::of(row) {
            Some(parcel) => parcels.push((row, parcel)),
            None => dead.push((row, "does not read as a delivery")),
        }
    }
    if parcels.is_empty() {
        return settle_outbox(source_db, source, &[], &dead).await;
    }
    let receivers: Vec<i64> = parcels.iter().map(|(_, p)| p.receiver).collect::<HashSet<_>>().into_iter().collect();
    let placed = place(common, &receivers).await?;
    let mut by_shard: BTreeMap<i16, Vec<&Parcel>> = BTreeMap::new();
    let mut done: Vec<&Parcel> = Vec::new();
    for (row, parcel) in &parcels {
        match placed.get(&parcel.receiver) {
            Some(shard) if game.contains_key(shard) => by_shard.entry(*shard).or_default().push(parcel),
            Some(_) => dead.push((row, UNKNOWN_SHARD)),
            None => {
                tracing::warn!(receiver = parcel.receiver, "a delivery to a user with no account is dropped");
                crate::metrics::METRICS.deliveries_dropped.inc();
                done.push(parcel);
            }
        }
    }
    for (shard, parcels) in &by_shard {
        let inbox_db = &game[shard];
        let what = format!("deliver to the inboxes of game shard {shard}");
        let stamped: Vec<(&Row, i64)> = parcels.iter().map(|p| (&p.inbox, 0)).collect();
        with_conn!(inbox_db, &what, |conn| {
            for statement in sql::insert_new(dialect_of(conn), &INBOX, &stamped) {
                conn.exec(statement).await.map_err(db(&what))?;
            }
            Ok(())
        })?;
    }
    let delivered: Vec<&Parcel> = by_shard.values().flatten().copied().collect();
    let mut users: Vec<UserId> = delivered.iter().map(|p| p.receiver as UserId).collect();
    users.sort_unstable();
    users.dedup();
    // Told as soon as their inbox has the rows, before the outbox is emptied: a round that
    // fails after this point must not leave a live receiver untold (telling twice is harmless).
    listener.tell(&users);
    done.extend(delivered.iter().copied());
    let done: Vec<Value> = done.iter().map(|p| p.id.clone()).collect();
    settle_outbox(source_db, source, &done, &dead).await?;
    let now_ms = wall_ms();
    for parcel in &delivered {
        let lag = (now_ms - parcel.created_at_ms).max(0) as f64 / 1000.0;
        crate::metrics::METRICS.delivery_lag_seconds.observe(lag);
    }
    crate::metrics::METRICS.deliveries.inc_by(delivered.len() as u64);
    Ok(())
}

/// The game shard of each of `receivers` that has an account, from the common database.
async fn place(common: &Db, receivers: &[i64]) -> StoreResult<HashMap<i64, i16>> {
    let what = "place the receivers of deliveries";
    let placed = with_conn!(common, what, |conn| {
        accounts::table
            .filter(accounts::user_id.eq_any(receivers))
            .select((accounts::user_id, accounts::gamedb_shard_no))
            .load::<(i64, i16)>(conn)
            .await
            .map_err(db(what))
    })?;
    Ok(placed.into_iter().collect())
}

/// Why a row for a game shard the delivering node does not know was buried.
const UNKNOWN_SHARD: &str = "for a game shard this node does not know";

/// Ends a round in the outbox that goes by `source`, in one transaction: the rows it cannot
/// carry (`dead`, with why) are copied into the `dead_letters` table beside the outbox, and
/// they and the rows carried (`done`, by delivery id) are deleted from the outbox. Never in
/// both tables at once, so a requeue running meanwhile (`move_back`) cannot take a row out of
/// the dead letters that the outbox then loses. What was buried is counted and logged.
async fn settle_outbox(source_db: &Db, source: i16, done: &[Value], dead: &[(&Row, &'static str)]) -> StoreResult<()> {
    let now_ms = Value::Int(wall_ms());
    let letters: Vec<Row> = dead
        .iter()
        .map(|(row, reason)| {
            let mut letter: Row = row.iter().take(OUTBOX.key.len() + OUTBOX.columns.len()).cloned().collect();
            letter.push(Value::Text((*reason).to_owned()));
            letter.push(now_ms.clone());
            letter
        })
        .collect();
    let stamped: Vec<(&Row, i64)> = letters.iter().map(|r| (r, 0)).collect();
    let keys: Vec<Vec<Value>> = done
        .iter()
        .map(|id| vec![id.clone()])
        .chain(dead.iter().map(|(row, _)| row.iter().take(1).cloned().collect()))
        .collect();
    let keys: Vec<&[Value]> = keys.iter().map(Vec::as_slice).collect();
    if keys.is_empty() {
        return Ok(());
    }
    let what = "empty the delivery outbox";
    with_conn!(source_db, what, |conn| {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            for statement in sql::insert_new(dialect_of(conn), &DEAD_LETTERS, &stamped) {
                conn.exec(statement).await?;
            }
            for statement in sql::delete(dialect_of(conn), DeliveryDbs::table(source), &keys) {
                conn.exec(statement).await?;
            }
            Ok(())
        })
        .await
        .map_err(db(what))
    })?;
    for (row, reason) in dead {
        let (id, receiver) = (<[Value]>::first(row), <[Value]>::get(row, 3));
        tracing::error!(outbox = %source_label(source), ?id, ?receiver, reason, "a delivery moved to the dead letters");
    }
    crate::metrics::METRICS.deliveries_dead_lettered.inc_by(dead.len() as u64);
    Ok(())
}

/// A delivery the courier could not carry, as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadLetter {
    /// The outbox it came from: `game-N` or `clan`.
    pub outbox: String,
    pub delivery_id: i64,
    pub sender_id: i64,
    pub receiver_id: i64,
    pub kind: String,
    pub created_at_ms: i64,
    pub reason: String,
    pub dead_at_ms: i64,
}

impl DeadLetter {
    fn of(outbox: &str, row: &Row) -> Self {
        let int = |i: usize| match row.get(i) {
            Some(Value::Int(v)) => *v,
            _ => 0,
        };
        let text = |i: usize| match row.get(i) {
            Some(Value::Text(v)) => v.clone(),
            _ => String::new(),
        };
        Self {
            outbox: outbox.to_owned(),
            delivery_id: int(0),
            sender_id: int(1),
            receiver_id: int(3),
            kind: text(4),
            created_at_ms: int(6),
            reason: text(7),
            dead_at_ms: int(8),
        }
    }
}

impl DeliveryDbs {
    /// Every outbox's database, by the number it goes by, the clan database's last.
    fn outboxes(&self) -> Vec<(i16, &Db)> {
        let mut all: Vec<(i16, &Db)> = self.game.iter().map(|(no, db)| (*no, db)).collect();
        all.sort_by_key(|(no, _)| *no);
        all.push((CLAN_SOURCE, &self.clan));
        all
    }

    /// The dead letters of every outbox, oldest first, at most `limit` of each.
    pub async fn dead_letters(&self, limit: usize) -> StoreResult<Vec<DeadLetter>> {
        let what = "read the dead letters";
        let mut letters = Vec::new();
        for (no, source) in self.outboxes() {
            let rows = with_conn!(source, what, |conn| {
                let mut s = Statement::new(dialect_of(conn), sql::select(dialect_of(conn), &DEAD_LETTERS));
                s.push(" ORDER BY delivery_id LIMIT ");
                s.param(Bind::Int(limit as i64));
                conn.rows(s).await.map_err(db(what))
            })?;
            let label = source_label(no);
            letters.extend(rows.iter().map(|row| DeadLetter::of(&label, row)));
        }
        Ok(letters)
    }

    /// Puts the dead letters of outbox `outbox` (`game-N` or `clan`) back in it, for its
    /// courier to try again once their cause is mended; answers how many. Only the letters
    /// there when it starts (a letter buried again meanwhile waits for the next requeue).
    pub async fn requeue(&self, outbox: &str) -> StoreResult<u64> {
        let Some((no, source)) = self.outboxes().into_iter().find(|(no, _)| source_label(*no) == outbox) else {
            return Err(StoreError::NotFound(format!("outbox {outbox}")));
        };
        let source = source.clone();
        move_back(&source, no, None, |rows| async move { Ok(rows) }).await
    }

    /// Puts back the letters of outbox `source_no` buried for a game shard the node did not
    /// know, whose receivers are now placed on a shard this node knows, or have no account any
    /// more (a rolling deploy that added a shard: the node that buried them ran the old
    /// configuration). Run by the courier's lease holder only. Answers how many.
    async fn requeue_placeable(&self, source_no: i16) -> StoreResult<u64> {
        let Some(source) = self.outbox(source_no).cloned() else { return Ok(0) };
        let (common, game) = (self.common.clone(), self.game.clone());
        move_back(&source, source_no, Some(UNKNOWN_SHARD), move |rows| {
            let (common, game) = (common.clone(), game.clone());
            async move {
                let receivers: Vec<i64> = rows
                    .iter()
                    .filter_map(|r| match r.get(3) {
                        Some(Value::Int(v)) => Some(*v),
                        _ => None,
                    })
                    .collect();
                let placed = place(&common, &receivers).await?;
                // A receiver with no account any more goes back too: the courier drops it, counted.
                let known = |row: &Row| match row.get(3) {
                    Some(Value::Int(receiver)) => placed.get(receiver).is_none_or(|shard| game.contains_key(shard)),
                    _ => false,
                };
                Ok(rows.into_iter().filter(known).collect())
            }
        })
        .await
    }
}

/// Moves dead letters of the outbox that goes by `source_no` back into it, page by page in
/// delivery-id order from the first to the last there when it starts (of `reason` only, when
/// given), each page's chosen rows (`choose`) in one transaction: the outbox row is inserted
/// and the letter deleted together, so a courier burying a row again meanwhile never finds one
/// half moved. Answers how many moved.
async fn move_back<F, Fut>(source: &Db, source_no: i16, reason: Option<&str>, choose: F) -> StoreResult<u64>
where
    F: Fn(Vec<Row>) -> Fut,
    Fut: std::future::Future<Output = StoreResult<Vec<Row>>>,
{
    let what = "put dead letters back in their outbox";
    let table = DeliveryDbs::table(source_no);
    let width = table.key.len() + table.columns.len();
    let reason = reason.map(|r| Value::Text(r.to_owned()));
    let last: Option<i64> = with_conn!(source, what, |conn| {
        let s = Statement::new(
            dialect_of(conn),
            "SELECT delivery_id AS i0 FROM dead_letters ORDER BY delivery_id DESC LIMIT 1",
        );
        let rows = conn.rows(s).await.map_err(db(what))?;
        Ok(<[Row]>::first(&rows).and_then(|r| match <[Value]>::first(r) {
            Some(Value::Int(v)) => Some(*v),
            _ => None,
        }))
    })?;
    let Some(last) = last else { return Ok(0) };
    let (mut after, last) = (Value::Int(i64::MIN), Value::Int(last));
    let mut total = 0;
    loop {
        let page = with_conn!(source, what, |conn| {
            let mut s = Statement::new(dialect_of(conn), sql::select(dialect_of(conn), &DEAD_LETTERS));
            s.push(" WHERE delivery_id > ").param(Bind::Value(ColType::BigInt, &after));
            s.push(" AND delivery_id <= ").param(Bind::Value(ColType::BigInt, &last));
            if let Some(reason) = &reason {
                s.push(" AND reason = ").param(Bind::Value(ColType::Text, reason));
            }
            s.push(" ORDER BY delivery_id LIMIT ");
            s.param(Bind::Int(PURGE_PAGE));
            conn.rows(s).await.map_err(db(what))
        })?;
        let Some(end) = <[Row]>::last(&page).and_then(|r| <[Value]>::first(r).cloned()) else { return Ok(total) };
        after = end;
        let chosen = choose(page).await?;
        if chosen.is_empty() {
            continue;
        }
        let parcels: Vec<Row> = chosen.iter().map(|r| r.iter().take(width).cloned().collect()).collect();
        let stamped: Vec<(&Row, i64)> = parcels.iter().map(|r| (r, 0)).collect();
        let keys: Vec<&[Value]> = chosen.iter().map(|r| &r[..1]).collect();
        with_conn!(source, what, |conn| {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| {
                for statement in sql::insert_new(dialect_of(conn), table, &stamped) {
                    conn.exec(statement).await?;
                }
                for statement in sql::delete(dialect_of(conn), &DEAD_LETTERS, &keys) {
                    conn.exec(statement).await?;
                }
                Ok(())
            })
            .await
            .map_err(db(what))
        })?;
        total += chosen.len() as u64;
    }
}

/// Users of game shard `shard_no` with deliveries waiting unapplied for more than
/// [`RETELL_AFTER_MS`].
async fn waiting_receivers(game: &ShardDbs, shard_no: i16) -> StoreResult<Vec<UserId>> {
    let what = "read the receivers of waiting deliveries";
    let inbox_db = game.get(&shard_no).ok_or_else(|| StoreError::NotFound(format!("game shard {shard_no}")))?;
    let before = Value::Int(wall_ms() - RETELL_AFTER_MS);
    let rows = with_conn!(inbox_db, what, |conn| {
        let mut s = Statement::new(
            dialect_of(conn),
            "SELECT DISTINCT user_id AS i0 FROM inbox WHERE applied_at_ms = 0 AND sent_at_ms < ",
        );
        s.param(Bind::Value(ColType::BigInt, &before));
        s.push(" LIMIT ");
        s.param(Bind::Int(PURGE_PAGE));
        conn.rows(s).await.map_err(db(what))
    })?;
    Ok(rows
        .iter()
        .filter_map(|r| match <[_]>::first(r) {
            Some(Value::Int(user)) => Some(*user as UserId),
            _ => None,
        })
        .collect())
}

/// Deletes applied inbox rows of game shard `shard_no`, applied more than
/// [`PURGE_GRACE_MS`] ago, whose outbox rows are gone from their senders' shards (no copy of
/// them can come any more). Answers how many.
pub async fn purge_applied(dbs: &DeliveryDbs, shard_no: i16) -> StoreResult<usize> {
    let game = &dbs.game;
    let before = Value::Int(wall_ms() - PURGE_GRACE_MS);
    let what = "read applied deliveries";
    let inbox_db = game.get(&shard_no).ok_or_else(|| StoreError::NotFound(format!("game shard {shard_no}")))?;
    let applied = with_conn!(inbox_db, what, |conn| {
        let wide = if dialect_of(conn) == sql::Dialect::Mysql { "SIGNED" } else { "BIGINT" };
        let mut s = Statement::new(
            dialect_of(conn),
            format!(
                "SELECT user_id AS i0, delivery_id AS i1, CAST(sender_shard AS {wide}) AS i2 FROM inbox \
                 WHERE applied_at_ms > 0 AND applied_at_ms < "
            ),
        );
        s.param(Bind::Value(ColType::BigInt, &before));
        s.push(" ORDER BY applied_at_ms LIMIT ");
        s.param(Bind::Int(PURGE_PAGE));
        conn.rows(s).await.map_err(db(what))
    })?;
    let mut by_sender_shard: BTreeMap<i64, Vec<(Value, Value)>> = BTreeMap::new();
    for row in applied {
        if let [user, id, Value::Int(sender_shard)] = row.as_slice() {
            by_sender_shard.entry(*sender_shard).or_default().push((user.clone(), id.clone()));
        }
    }
    let mut gone: Vec<Vec<Value>> = Vec::new();
    for (sender_shard, entries) in by_sender_shard {
        let Some(outbox_db) = i16::try_from(sender_shard).ok().and_then(|no| dbs.outbox(no)) else { continue };
        let what = "look for deliveries still in an outbox";
        let ids: Vec<Value> = entries.iter().map(|(_, id)| id.clone()).collect();
        let waiting = with_conn!(outbox_db, what, |conn| {
            let from = DeliveryDbs::table(sender_shard as i16).name;
            // A dead letter may come back (a requeue): its inbox copy is kept as long as it waits.
            let mut s =
                Statement::new(dialect_of(conn), format!("SELECT delivery_id AS i0 FROM {from} WHERE delivery_id IN "));
            s.tuple_of(ids.iter().map(|v| Bind::Value(ColType::BigInt, v)));
            s.push(" UNION ALL SELECT delivery_id AS i0 FROM dead_letters WHERE delivery_id IN ");
            s.tuple_of(ids.iter().map(|v| Bind::Value(ColType::BigInt, v)));
            conn.rows(s).await.map_err(db(what))
        })?;
        let waiting: HashSet<&Value> = waiting.iter().filter_map(|r| <[_]>::first(r)).collect();
        gone.extend(entries.iter().filter(|(_, id)| !waiting.contains(id)).map(|(u, id)| vec![u.clone(), id.clone()]));
    }
    if gone.is_empty() {
        return Ok(0);
    }
    let keys: Vec<&[Value]> = gone.iter().map(Vec::as_slice).collect();
    let what = "purge applied deliveries";
    with_conn!(inbox_db, what, |conn| {
        for statement in sql::delete(dialect_of(conn), &INBOX, &keys) {
            conn.exec(statement).await.map_err(db(what))?;
        }
        Ok(())
    })?;
    Ok(gone.len())
}
