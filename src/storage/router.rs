//! The [`ShardRouter`]: it starts the persistence actors of every game and log shard
//! (`crate::storage::persistence`) and the couriers of the game shards' outboxes
//! (`crate::storage::shipper`, `crate::storage::delivery`), and routes settles, flushes and
//! nudges to them. Jobs do not pass through it: the store sends each one straight to its
//! shard's persistence actor ([`Writers`]), so a commit costs one actor message, not two.

use std::collections::HashMap;
use std::sync::Arc;

use actix::{Actor, Addr, Context, Handler, Message, ResponseFuture};
use futures_util::future::join_all;

use crate::storage::courier::{Rescan, Ship, ShipAll};
use crate::storage::db::{DbKind, ShardDbs};
use crate::storage::delivery::{self, DeliveryCourier, DeliveryDbs, DeliveryListener};
use crate::storage::nodes::GateSlot;
use crate::storage::persistence::{BatchSettings, Couriers, Drain, PersistenceActor, SettleUser};
use crate::storage::queue_gauge::QueueGauges;
use crate::storage::shipper::{self, LogShipper};
use crate::storage::{StoreError, StoreResult};

/// The persistence actor of each shard, by kind and number.
pub type Writers = HashMap<(DbKind, i16), Addr<PersistenceActor>>;

/// Answers once `user` has nothing queued or in flight on shard `shard_no` of `kind`.
#[derive(Debug)]
pub struct Settle {
    pub kind: DbKind,
    pub shard_no: i16,
    pub user: i64,
}

impl Message for Settle {
    type Result = ();
}

/// Commit everything queued on every shard, carry the deliveries and ship the action logs;
/// answers when done.
#[derive(Debug)]
pub struct FlushAll;

impl Message for FlushAll {
    type Result = ();
}

/// Another node committed rows for the courier or shipper holding work lease `0` here: it
/// reads its table now rather than at its next sweep.
#[derive(Debug)]
pub struct Nudge(pub String);

impl Message for Nudge {
    type Result = ();
}

/// Starts the persistence actors and couriers, and routes settles, flushes and nudges to them.
pub struct ShardRouter {
    /// The persistence actors, shared with the store that sends them jobs.
    shards: Arc<Writers>,
    /// The couriers, by their work lease.
    shippers: HashMap<String, Addr<LogShipper>>,
    deliveries: HashMap<String, Addr<DeliveryCourier>>,
    /// The courier of the clan database's outbox.
    clan: Option<Addr<DeliveryCourier>>,
}

/// A clan change committed deliveries in the clan database's outbox (or may have).
#[derive(Debug)]
pub struct ClanShipped;

impl Message for ClanShipped {
    type Result = ();
}

impl Handler<ClanShipped> for ShardRouter {
    type Result = ();

    fn handle(&mut self, _: ClanShipped, _: &mut Context<Self>) {
        if let Some(clan) = &self.clan {
            clan.do_send(Ship);
        }
    }
}

impl Actor for ShardRouter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Settles, flushes and nudges pass here (jobs do not); a backstop.
        ctx.set_mailbox_capacity(1 << 16);
    }
}

impl ShardRouter {
    /// Starts one persistence actor per game and log shard (and a log shipper and a delivery
    /// courier per game shard, a delivery courier for the clan database's outbox, receivers
    /// placed through the common database, told to `listener`), and the router; answers it
    /// and the persistence actors.
    pub fn start(
        dbs: &DeliveryDbs,
        log: &ShardDbs,
        listener: Arc<DeliveryListener>,
        settings: BatchSettings,
        gauges: &QueueGauges,
        gate: Arc<GateSlot>,
    ) -> (Addr<Self>, Arc<Writers>) {
        let mut shards = HashMap::new();
        let (mut shippers, mut deliveries) = (HashMap::new(), HashMap::new());
        let (limit, sweep) = (settings.limit, settings.log_sweep);
        for (kind, map) in [(DbKind::Game, &dbs.game), (DbKind::Log, log)] {
            for (no, db) in map {
                let label = format!("{}-{no}", kind.as_str());
                let couriers = (kind == DbKind::Game).then(|| {
                    let logs =
                        shipper::log_shipper(db.clone(), log.clone(), &label, limit, sweep, gate.clone()).start();
                    let sent = delivery::courier(*no, dbs.clone(), listener.clone(), limit, sweep, gate.clone())
                        .map(Actor::start);
                    (logs, sent)
                });
                let couriers = couriers.and_then(|(logs, sent)| {
                    shippers.insert(shipper::lease_name(&label), logs.clone());
                    let deliveries_addr = sent?;
                    deliveries.insert(delivery::lease_name(*no), deliveries_addr.clone());
                    Some(Couriers { logs, deliveries: deliveries_addr })
                });
                let gauge = gauges.add(label.clone());
                let actor = PersistenceActor::new(db.clone(), label, settings.clone(), couriers, gauge);
                shards.insert((kind, *no), actor.start());
            }
        }
        let clan =
            delivery::courier(delivery::CLAN_SOURCE, dbs.clone(), listener, limit, sweep, gate).map(Actor::start);
        if let Some(clan) = &clan {
            deliveries.insert(delivery::lease_name(delivery::CLAN_SOURCE), clan.clone());
        }
        let shards = Arc::new(shards);
        (ShardRouter { shards: shards.clone(), shippers, deliveries, clan }.start(), shards)
    }

    /// The work leases of the couriers and shippers this router started.
    pub fn work(&self) -> Vec<String> {
        self.shippers.keys().chain(self.deliveries.keys()).cloned().collect()
    }

    fn shard(&self, kind: DbKind, no: i16) -> StoreResult<Addr<PersistenceActor>> {
        self.shards
            .get(&(kind, no))
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("{} shard {no}", kind.as_str())))
    }
}

impl Handler<Settle> for ShardRouter {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: Settle, _: &mut Context<Self>) -> Self::Result {
        let shard = self.shard(msg.kind, msg.shard_no);
        Box::pin(async move {
            if let Ok(shard) = shard {
                let _ = shard.send(SettleUser(msg.user)).await;
            }
        })
    }
}

impl Handler<FlushAll> for ShardRouter {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: FlushAll, _: &mut Context<Self>) -> Self::Result {
        let shards: Vec<_> = self.shards.values().cloned().collect();
        let shippers: Vec<_> = self.shippers.values().cloned().collect();
        let deliveries: Vec<_> = self.deliveries.values().cloned().collect();
        Box::pin(async move {
            join_all(shards.iter().map(|s| s.send(Drain))).await;
            join_all(deliveries.iter().map(|s| s.send(ShipAll))).await;
            join_all(shippers.iter().map(|s| s.send(ShipAll))).await;
        })
    }
}

impl Handler<Nudge> for ShardRouter {
    type Result = ();

    fn handle(&mut self, Nudge(name): Nudge, _: &mut Context<Self>) {
        if let Some(shipper) = self.shippers.get(&name) {
            shipper.do_send(Rescan);
        }
        if let Some(courier) = self.deliveries.get(&name) {
            courier.do_send(Rescan);
        }
    }
}

/// Action logs were committed to the `log_outbox` of game shard `.0` outside a persistence
/// actor's batch (a sign-up): its shipper ships them, or tells the node that holds its lease,
/// as after a batch.
#[derive(Debug)]
pub struct LogsWritten(pub i16);

impl Message for LogsWritten {
    type Result = ();
}

impl Handler<LogsWritten> for ShardRouter {
    type Result = ();

    fn handle(&mut self, LogsWritten(shard): LogsWritten, _: &mut Context<Self>) {
        let label = format!("{}-{shard}", DbKind::Game.as_str());
        if let Some(shipper) = self.shippers.get(&shipper::lease_name(&label)) {
            shipper.do_send(Ship);
        }
    }
}

/// The work leases of every courier and shipper.
#[derive(Debug)]
pub struct Work;

impl Message for Work {
    type Result = Vec<String>;
}

impl Handler<Work> for ShardRouter {
    type Result = Vec<String>;

    fn handle(&mut self, _: Work, _: &mut Context<Self>) -> Vec<String> {
        let mut names = self.work();
        names.sort();
        names
    }
}
