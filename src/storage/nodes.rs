//! Several nodes on one set of databases, as rows: the `nodes` table of the common database
//! (each running server's id, held by a lease it renews), the `work_leases` table (work that
//! runs on one node at a time), and a user's owner (`users.owner_node` with the owner epoch,
//! on the user's game shard). What the rows mean to the cluster is the service's business
//! (`crate::service::cluster`).

use std::sync::{Arc, RwLock};

use summoner_actors::Loaded;

use crate::storage::UserRows;

/// A node's row, as the `nodes` view shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NodeRow {
    pub node_id: u16,
    /// Tells a restarted process from its predecessor under the same id.
    pub incarnation: u64,
    /// Where clients reach it (its public listener), and where other nodes do.
    pub public_addr: String,
    pub internal_addr: String,
    pub started_at_ms: i64,
    pub heartbeat_at_ms: i64,
    /// The node holds its id (and owns its users) until then.
    pub lease_until_ms: i64,
    pub live_actors: u64,
    pub draining: bool,
}

/// What a node claims when it starts: an id (the configured one, or any free one).
#[derive(Debug, Clone)]
pub struct NodeClaim {
    pub requested: Option<u16>,
    pub incarnation: u64,
    /// How long a lease lasts past each renewal.
    pub lease_ms: i64,
}

/// A node's renewal: its lease until `lease_until_ms`, with what the view shows.
#[derive(Debug, Clone)]
pub struct NodeBeat {
    pub node_id: u16,
    pub incarnation: u64,
    pub public_addr: String,
    pub internal_addr: String,
    pub now_ms: i64,
    pub lease_until_ms: i64,
    pub live_actors: u64,
    pub draining: bool,
}

/// Why a node could not take an id.
#[derive(Debug, thiserror::Error)]
pub enum ClaimRefused {
    /// The id asked for is held by a node that keeps renewing it.
    #[error(
        "node id {} is held by a live node (incarnation {}, {}; its last heartbeat at {} ms, lease until {} ms): \
         give this node another storage.node_id, or leave it unset to take a free one",
        .0.node_id, .0.incarnation, if .0.internal_addr.is_empty() { "no address yet" } else { .0.internal_addr.as_str() },
        .0.heartbeat_at_ms, .0.lease_until_ms
    )]
    Held(Box<NodeRow>),
    /// Every id is held.
    #[error("every node id (0 to {0}) is held by a live node")]
    NoneFree(u16),
}

/// A node's claim on a work lease: taken if it is free, lapsed, or this incarnation's
/// already.
#[derive(Debug, Clone)]
pub struct WorkClaim {
    pub name: String,
    pub incarnation: u64,
    pub now_ms: i64,
    pub until_ms: i64,
}

/// Work held by a node while its lease lasts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkLease {
    pub name: String,
    pub node_id: u16,
    pub incarnation: u64,
    pub acquired_at_ms: i64,
    pub lease_until_ms: i64,
}

/// An activation's claim on a user: `node` takes the user over (raising the owner epoch)
/// unless the user's owner is another node in `alive` (whose leases hold and who are not
/// draining), or is `handed_over`'s node still at its epoch (that node retired the user's
/// actor for this one).
#[derive(Debug, Clone)]
pub struct OwnerClaim {
    pub node: u16,
    pub alive: Vec<u16>,
    pub handed_over: Option<(u16, i64)>,
}

impl OwnerClaim {
    /// The live node that keeps the user from this claim, given its owner as stored.
    pub fn kept_by(&self, owner: u16, epoch: i64) -> Option<u16> {
        let stands = owner != self.node && self.alive.contains(&owner) && self.handed_over != Some((owner, epoch));
        stands.then_some(owner)
    }
}

/// What an activation found.
#[derive(Debug)]
pub enum Activated {
    /// The user is this node's now, at a new owner epoch; `from` is the node that owned it
    /// before (-1: none), so a takeover can be told from a return.
    Loaded { loaded: Loaded<UserRows>, from: i64 },
    /// Another live node owns the user; nothing was changed.
    OwnedBy(u16),
}

/// Whether this node may run a piece of work now (it holds its lease), and the word to the
/// node that does when work of it waits here.
pub trait WorkGate: Send + Sync + 'static {
    /// Whether this node holds the work lease `name` now.
    fn holds(&self, name: &str) -> bool;
    /// Rows for the work `name` were committed here, and this node does not hold it.
    fn elsewhere(&self, name: &str);
}

/// The gate a store's couriers consult before each round (set once the server knows its
/// node). Until it is set the work runs here, unless the slot was made [`GateSlot::closed`]
/// (a server's store: nothing runs before the node holds its lease).
#[derive(Default)]
pub struct GateSlot(RwLock<Option<Arc<dyn WorkGate>>>);

/// The gate of a store whose work waits for its node's leases.
struct Closed;

impl WorkGate for Closed {
    fn holds(&self, _: &str) -> bool {
        false
    }

    fn elsewhere(&self, _: &str) {}
}

impl GateSlot {
    /// A slot that holds no work until its gate is set.
    pub fn closed() -> Self {
        Self(RwLock::new(Some(Arc::new(Closed))))
    }

    /// Sets the gate.
    pub fn set(&self, gate: Arc<dyn WorkGate>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(gate);
    }

    fn gate(&self) -> Option<Arc<dyn WorkGate>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether the work `name` runs here now.
    pub fn holds(&self, name: &str) -> bool {
        self.gate().is_none_or(|g| g.holds(name))
    }

    /// Tells the holder of `name` that rows of it wait (when it is not this node).
    pub fn elsewhere(&self, name: &str) {
        if let Some(gate) = self.gate() {
            gate.elsewhere(name);
        }
    }
}
