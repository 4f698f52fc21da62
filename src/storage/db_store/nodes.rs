//! The `nodes` and `work_leases` tables of the common database: a node's id claimed at start
//! (the configured one, or a free one), renewed, given up; work leases taken, renewed, given
//! up. Each is one conditional statement, so two nodes racing for a row never both win it.

use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;

use super::{db, is_unique_violation};
use crate::ids::MAX_NODE;
use crate::storage::db::Db;
use crate::storage::nodes::{ClaimRefused, NodeBeat, NodeClaim, NodeRow, WorkClaim, WorkLease};
use crate::storage::schema::{nodes, work_leases};
use crate::storage::{StoreError, StoreResult};
use crate::with_conn;

type Raw = (i16, i64, String, String, i64, i64, i64, i64, i16);

fn node_row(raw: Raw) -> NodeRow {
    let (node_id, incarnation, public_addr, internal_addr, started, heartbeat, until, live, draining) = raw;
    NodeRow {
        node_id: node_id as u16,
        incarnation: incarnation as u64,
        public_addr,
        internal_addr,
        started_at_ms: started,
        heartbeat_at_ms: heartbeat,
        lease_until_ms: until,
        live_actors: live.max(0) as u64,
        draining: draining != 0,
    }
}

/// Every node's row, by id.
pub(super) async fn list(common: &Db) -> StoreResult<Vec<NodeRow>> {
    let what = "read the nodes";
    let rows: Vec<Raw> = with_conn!(common, what, |conn| {
        nodes::table
            .select((
                nodes::node_id,
                nodes::incarnation,
                nodes::public_addr,
                nodes::internal_addr,
                nodes::started_at_ms,
                nodes::heartbeat_at_ms,
                nodes::lease_until_ms,
                nodes::live_actors,
                nodes::draining,
            ))
            .order(nodes::node_id)
            .load(conn)
            .await
            .map_err(db(what))
    })?;
    Ok(rows.into_iter().map(node_row).collect())
}

/// Takes `id` for `claim` if no row has it or its lease lapsed; answers whether it did.
async fn take(common: &Db, id: u16, claim: &NodeClaim, now_ms: i64) -> StoreResult<bool> {
    let what = format!("claim node id {id}");
    let (id, inc, until) = (id as i16, claim.incarnation as i64, now_ms + claim.lease_ms);
    // The row of a node that has just started, taken over or inserted alike.
    let fresh = || {
        (
            nodes::incarnation.eq(inc),
            nodes::public_addr.eq(""),
            nodes::internal_addr.eq(""),
            nodes::started_at_ms.eq(now_ms),
            nodes::heartbeat_at_ms.eq(now_ms),
            nodes::lease_until_ms.eq(until),
            nodes::live_actors.eq(0),
            nodes::draining.eq(0),
        )
    };
    let taken = with_conn!(common, &what, |conn| {
        diesel::update(nodes::table.filter(nodes::node_id.eq(id)).filter(nodes::lease_until_ms.lt(now_ms)))
            .set(fresh())
            .execute(conn)
            .await
            .map_err(db(&what))
    })?;
    if taken == 1 {
        return Ok(true);
    }
    let inserted = with_conn!(common, &what, |conn| {
        match diesel::insert_into(nodes::table).values((nodes::node_id.eq(id), fresh())).execute(conn).await {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(db(&what)(e)),
        }
    })?;
    Ok(inserted)
}

/// Claims a node id: the requested one, else a free one — an id never held first, then the
/// one whose holder lapsed longest ago (a paused holder of a recent one may still resume).
/// A requested id whose holder's lease still runs is refused.
pub(super) async fn claim(common: &Db, claim: &NodeClaim, now_ms: i64) -> StoreResult<Result<u16, ClaimRefused>> {
    let rows = list(common).await?;
    if let Some(id) = claim.requested {
        if take(common, id, claim, now_ms).await? {
            return Ok(Ok(id));
        }
        let holder = list(common).await?.into_iter().find(|r| r.node_id == id);
        return match holder {
            Some(row) => Ok(Err(ClaimRefused::Held(Box::new(row)))),
            // Released in between: try once more.
            None if take(common, id, claim, now_ms).await? => Ok(Ok(id)),
            None => Err(StoreError::Conflict(format!("node id {id} changed hands while it was claimed"))),
        };
    }
    let held: std::collections::HashMap<u16, &NodeRow> = rows.iter().map(|r| (r.node_id, r)).collect();
    let mut lapsed: Vec<&NodeRow> = rows.iter().filter(|r| r.lease_until_ms < now_ms).collect();
    lapsed.sort_by_key(|r| r.lease_until_ms);
    let never = (0..=MAX_NODE).filter(|id| !held.contains_key(id));
    for id in never.chain(lapsed.iter().map(|r| r.node_id)) {
        if take(common, id, claim, now_ms).await? {
            return Ok(Ok(id));
        }
    }
    Ok(Err(ClaimRefused::NoneFree(MAX_NODE)))
}

/// Renews `beat`'s lease; false when the row is not this incarnation's any more.
pub(super) async fn beat(common: &Db, beat: &NodeBeat) -> StoreResult<bool> {
    let what = "renew the node's lease";
    let (id, inc) = (beat.node_id as i16, beat.incarnation as i64);
    let renewed = with_conn!(common, what, |conn| {
        diesel::update(nodes::table.filter(nodes::node_id.eq(id).and(nodes::incarnation.eq(inc))))
            .set((
                nodes::public_addr.eq(&beat.public_addr),
                nodes::internal_addr.eq(&beat.internal_addr),
                nodes::heartbeat_at_ms.eq(beat.now_ms),
                nodes::lease_until_ms.eq(beat.lease_until_ms),
                nodes::live_actors.eq(beat.live_actors as i64),
                nodes::draining.eq(i16::from(beat.draining)),
            ))
            .execute(conn)
            .await
            .map_err(db(what))
    })?;
    Ok(renewed == 1)
}

/// Gives up node `id` of `incarnation` and its work leases.
pub(super) async fn leave(common: &Db, id: u16, incarnation: u64) -> StoreResult<()> {
    let what = "give up the node's id";
    let (id, inc) = (id as i16, incarnation as i64);
    with_conn!(common, what, |conn| {
        diesel::delete(work_leases::table.filter(work_leases::node_id.eq(id).and(work_leases::incarnation.eq(inc))))
            .execute(conn)
            .await
            .map_err(db(what))?;
        diesel::delete(nodes::table.filter(nodes::node_id.eq(id).and(nodes::incarnation.eq(inc))))
            .execute(conn)
            .await
            .map_err(db(what))
    })?;
    Ok(())
}

/// Takes a work lease as `claim` says (free, lapsed, or this node's); answers whether this
/// node holds it.
pub(super) async fn claim_work(common: &Db, id: u16, claim: &WorkClaim) -> StoreResult<bool> {
    let WorkClaim { name, incarnation, now_ms, until_ms } = claim;
    let (name, now_ms, until_ms) = (name.as_str(), *now_ms, *until_ms);
    let what = format!("claim the work lease {name}");
    let (id, inc) = (id as i16, *incarnation as i64);
    let ours = work_leases::node_id.eq(id).and(work_leases::incarnation.eq(inc));
    let updated = with_conn!(common, &what, |conn| {
        diesel::update(
            work_leases::table
                .filter(work_leases::name.eq(name))
                .filter(work_leases::lease_until_ms.lt(now_ms).or(ours)),
        )
        .set((
            work_leases::node_id.eq(id),
            work_leases::incarnation.eq(inc),
            work_leases::acquired_at_ms.eq(now_ms),
            work_leases::lease_until_ms.eq(until_ms),
        ))
        .execute(conn)
        .await
        .map_err(db(&what))
    })?;
    if updated == 1 {
        return Ok(true);
    }
    with_conn!(common, &what, |conn| {
        match diesel::insert_into(work_leases::table)
            .values((
                work_leases::name.eq(name),
                work_leases::node_id.eq(id),
                work_leases::incarnation.eq(inc),
                work_leases::acquired_at_ms.eq(now_ms),
                work_leases::lease_until_ms.eq(until_ms),
            ))
            .execute(conn)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(db(&what)(e)),
        }
    })
}

/// Renews this node's work leases; answers the names it holds.
pub(super) async fn renew_work(common: &Db, id: u16, incarnation: u64, until_ms: i64) -> StoreResult<Vec<String>> {
    let what = "renew the work leases";
    let (id, inc) = (id as i16, incarnation as i64);
    with_conn!(common, what, |conn| {
        let ours = work_leases::node_id.eq(id).and(work_leases::incarnation.eq(inc));
        diesel::update(work_leases::table.filter(ours))
            .set(work_leases::lease_until_ms.eq(until_ms))
            .execute(conn)
            .await
            .map_err(db(what))?;
        work_leases::table
            .filter(work_leases::node_id.eq(id).and(work_leases::incarnation.eq(inc)))
            .select(work_leases::name)
            .order(work_leases::name)
            .load(conn)
            .await
            .map_err(db(what))
    })
}

/// Gives up work lease `name` if this node holds it.
pub(super) async fn release_work(common: &Db, name: &str, id: u16, incarnation: u64) -> StoreResult<()> {
    let what = format!("give up the work lease {name}");
    let (id, inc) = (id as i16, incarnation as i64);
    with_conn!(common, &what, |conn| {
        let ours = work_leases::node_id.eq(id).and(work_leases::incarnation.eq(inc));
        diesel::delete(work_leases::table.filter(work_leases::name.eq(name)).filter(ours))
            .execute(conn)
            .await
            .map_err(db(&what))
    })?;
    Ok(())
}

/// Every work lease, by name.
pub(super) async fn work_leases(common: &Db) -> StoreResult<Vec<WorkLease>> {
    let what = "read the work leases";
    let rows: Vec<(String, i16, i64, i64, i64)> = with_conn!(common, what, |conn| {
        work_leases::table
            .select((
                work_leases::name,
                work_leases::node_id,
                work_leases::incarnation,
                work_leases::acquired_at_ms,
                work_leases::lease_until_ms,
            ))
            .order(work_leases::name)
            .load(conn)
            .await
            .map_err(db(what))
    })?;
    Ok(rows
        .into_iter()
        .map(|(name, node, inc, acquired, until)| WorkLease {
            name,
            node_id: node as u16,
            incarnation: inc as u64,
            acquired_at_ms: acquired,
            lease_until_ms: until,
        })
        .collect())
}
