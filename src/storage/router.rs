//! The [`ShardRouter`]: one actor in front of the persistence actors of every game and log
//! shard (`crate::storage::persistence`) and the couriers of the game shards' outboxes
//! (`crate::storage::shipper`, `crate::storage::delivery`). It starts them, and routes each job, settle and flush to the
//! shard it names.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use actix::{Actor, Addr, Context, Handler, Message, ResponseFuture};
use futures_util::future::join_all;

use crate::storage::batch::Job;
use crate::storage::courier::{Ship, ShipAll};
use crate::storage::db::{DbKind, ShardDbs};
use crate::storage::delivery::{self, DeliveryCourier, DeliveryDbs, DeliveryListener};
use crate::storage::persistence::{BatchSettings, Couriers, Drain, Enqueue, PersistenceActor, SettleUser};
use crate::storage::queue_gauge::QueueGauges;
use crate::storage::shipper::{self, LogShipper};
use crate::storage::{StoreError, StoreResult};

/// Commit `job` on shard `shard_no` of `kind` unless `deadline` passes before a batch takes
/// it. Answers once the outcome is known.
#[derive(Debug)]
pub struct Submit {
    pub kind: DbKind,
    pub shard_no: i16,
    pub job: Job,
    pub deadline: Instant,
}

impl Message for Submit {
    type Result = StoreResult<()>;
}

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

/// Routes jobs to the persistence actor of their shard.
pub struct ShardRouter {
    shards: HashMap<(DbKind, i16), Addr<PersistenceActor>>,
    shippers: Vec<Addr<LogShipper>>,
    deliveries: Vec<Addr<DeliveryCourier>>,
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
        // Every commit passes here; a backstop, as each shard's queue is bounded itself.
        ctx.set_mailbox_capacity(1 << 16);
    }
}

impl ShardRouter {
    /// Starts one persistence actor per game and log shard (and a log shipper and a delivery
    /// courier per game shard, a delivery courier for the clan database's outbox, receivers
    /// placed through the common database, told to `listener`), and the router.
    pub fn start(
        dbs: &DeliveryDbs,
        log: &ShardDbs,
        listener: Arc<DeliveryListener>,
        settings: BatchSettings,
        gauges: &QueueGauges,
    ) -> Addr<Self> {
        let mut shards = HashMap::new();
        let (mut shippers, mut deliveries) = (Vec::new(), Vec::new());
        let (limit, sweep) = (settings.limit, settings.log_sweep);
        for (kind, map) in [(DbKind::Game, &dbs.game), (DbKind::Log, log)] {
            for (no, db) in map {
                let label = format!("{}-{no}", kind.as_str());
                let couriers = (kind == DbKind::Game).then(|| {
                    let logs = shipper::log_shipper(db.clone(), log.clone(), &label, limit, sweep).start();
                    let sent = delivery::courier(*no, dbs.clone(), listener.clone(), limit, sweep).map(Actor::start);
                    (logs, sent)
                });
                let couriers = couriers.and_then(|(logs, sent)| {
                    shippers.push(logs.clone());
                    let deliveries_addr = sent?;
                    deliveries.push(deliveries_addr.clone());
                    Some(Couriers { logs, deliveries: deliveries_addr })
                });
                let gauge = gauges.add(label.clone());
                let actor = PersistenceActor::new(db.clone(), label, settings.clone(), couriers, gauge);
                shards.insert((kind, *no), actor.start());
            }
        }
        let clan = delivery::courier(delivery::CLAN_SOURCE, dbs.clone(), listener, limit, sweep).map(Actor::start);
        deliveries.extend(clan.clone());
        ShardRouter { shards, shippers, deliveries, clan }.start()
    }

    fn shard(&self, kind: DbKind, no: i16) -> StoreResult<Addr<PersistenceActor>> {
        self.shards
            .get(&(kind, no))
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("{} shard {no}", kind.as_str())))
    }
}

fn unreachable_actor(e: actix::MailboxError) -> StoreError {
    StoreError::Database("reach the shard's persistence actor".into(), e.to_string())
}

impl Handler<Submit> for ShardRouter {
    type Result = ResponseFuture<StoreResult<()>>;

    fn handle(&mut self, msg: Submit, _: &mut Context<Self>) -> Self::Result {
        let shard = self.shard(msg.kind, msg.shard_no);
        Box::pin(async move {
            shard?.send(Enqueue { job: msg.job, deadline: msg.deadline }).await.map_err(unreachable_actor)?
        })
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
        let (shippers, deliveries) = (self.shippers.clone(), self.deliveries.clone());
        Box::pin(async move {
            join_all(shards.iter().map(|s| s.send(Drain))).await;
            join_all(deliveries.iter().map(|s| s.send(ShipAll))).await;
            join_all(shippers.iter().map(|s| s.send(ShipAll))).await;
        })
    }
}
