//! Several nodes on one set of databases: this node's identity and lease, the peers it
//! forwards to, and the work it may run.
//!
//! Everything rests on rows of the databases, never on a protocol of our own: a node holds
//! its id by a lease in the common database's `nodes` table, renewed every third of the
//! lease; a user is owned by the node their `users` row names, for as long as that node's
//! lease holds; an activation raises the user's owner epoch in the same transaction that
//! records the owner (the fence every commit of an older activation fails). So a lease that
//! lapses, or a peer list that is stale, costs a retry, never a double application.
//!
//! A node serves only while its lease surely holds: it keeps a deadline on its monotonic
//! clock, a margin short of the lease it last wrote ([`Node::serving`]). A node that was
//! frozen past it (SIGSTOP, a stall, a cut from the database) refuses requests when it wakes
//! until it renewed, and retires every user actor it had, since others may have taken its
//! users over meanwhile.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use summoner_actors::Clock;

use crate::storage::Store;
use crate::storage::nodes::{NodeBeat, NodeRow, OwnerClaim, WorkClaim};

/// A live peer, as forwarding needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub id: u16,
    pub incarnation: u64,
    /// Its internal listener (`host:port`).
    pub internal_addr: String,
    pub draining: bool,
}

/// This node, in the cluster.
pub struct Node {
    pub id: u16,
    pub incarnation: u64,
    lease: Duration,
    started: Instant,
    clock: Arc<dyn Clock>,
    /// Monotonic ms since `started` until which the lease surely holds.
    valid_until: AtomicI64,
    /// The row is no longer this incarnation's: the node must not serve again.
    lost: AtomicBool,
    draining: AtomicBool,
    /// Whether requests can be forwarded to peers (the cluster's secret is set).
    forwards: AtomicBool,
    peers: RwLock<Arc<Vec<Peer>>>,
    /// (public, internal) addresses, as the `nodes` view shows them.
    addrs: RwLock<(String, String)>,
    /// Work leases held now (courier, shipper and job names).
    work: RwLock<HashSet<String>>,
    /// Who holds each work lease, as the last renewal read them.
    holders: RwLock<HashMap<String, u16>>,
    /// Peers found gone before their lease lapsed (their internal listener refused a
    /// connection: a process that stopped or died), by id and incarnation.
    gone: RwLock<HashSet<(u16, u64)>>,
}

/// What a renewal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// Renewed in time.
    Held,
    /// Renewed, but only after the lease had lapsed: users may have moved meanwhile. The
    /// node serves again once its actors retired ([`Node::extend`] with this instant).
    Lapsed(i64),
    /// Another process holds the id now.
    Lost,
}

impl Node {
    /// This node as claimed (`id`, `incarnation`), its lease `lease` long from now.
    pub fn new(id: u16, incarnation: u64, lease: Duration, clock: Arc<dyn Clock>) -> Self {
        let node = Self {
            id,
            incarnation,
            lease,
            started: Instant::now(),
            clock,
            valid_until: AtomicI64::new(0),
            lost: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            forwards: AtomicBool::new(true),
            peers: RwLock::default(),
            addrs: RwLock::default(),
            work: RwLock::default(),
            holders: RwLock::default(),
            gone: RwLock::default(),
        };
        node.valid_until.store(node.deadline_from(0), Ordering::Release);
        node
    }

    /// The lease's length.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    fn mono_ms(&self) -> i64 {
        self.started.elapsed().as_millis() as i64
    }

    /// The monotonic deadline of a lease written at `at` (monotonic ms): a quarter of the
    /// lease short of it, for clocks that drift and renewals that take their time.
    fn deadline_from(&self, at: i64) -> i64 {
        let lease = self.lease.as_millis() as i64;
        at + lease - lease / 4
    }

    /// Whether this node may serve now: its lease surely holds.
    pub fn serving(&self) -> bool {
        !self.lost.load(Ordering::Acquire) && self.mono_ms() < self.valid_until.load(Ordering::Acquire)
    }

    /// Whether this node is stopping (it takes no new users).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Marks this node as stopping: it takes no new users, and peers no longer count it as
    /// an owner once the next renewal says so.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Records where this node is reached, for the `nodes` view and for peers.
    pub fn set_addrs(&self, public: String, internal: String) {
        *self.addrs.write().unwrap_or_else(|p| p.into_inner()) = (public, internal);
    }

    /// The claim an activation on this node makes: the owners that stand are the live
    /// peers that are not stopping, when this node can forward to them (it has the cluster's
    /// secret); without it, no other owner stands (the fence keeps that safe: a user's
    /// requests may then move between nodes, never apply twice).
    pub fn claim(&self) -> OwnerClaim {
        let alive = if self.forwards.load(Ordering::Acquire) {
            self.peers().iter().filter(|p| !p.draining).map(|p| p.id).collect()
        } else {
            Vec::new()
        };
        OwnerClaim { node: self.id, alive }
    }

    /// Says whether this node can forward to its peers (it has the cluster's secret).
    pub fn set_forwards(&self, forwards: bool) {
        self.forwards.store(forwards, Ordering::Release);
    }

    /// The live peers, as the last renewal read them, less those found gone since.
    pub fn peers(&self) -> Arc<Vec<Peer>> {
        let peers = self.peers.read().unwrap_or_else(|p| p.into_inner()).clone();
        let gone = self.gone.read().unwrap_or_else(|p| p.into_inner());
        if gone.is_empty() {
            return peers;
        }
        Arc::new(peers.iter().filter(|p| !gone.contains(&(p.id, p.incarnation))).cloned().collect())
    }

    /// `peer` refused a connection: its process stopped or died, and serves no one any more,
    /// so its users are taken over now rather than when its lease lapses (the owner epoch
    /// fences it all the same, were it still writing).
    pub fn gone(&self, peer: &Peer) {
        tracing::warn!(node = peer.id, incarnation = peer.incarnation, "a peer refuses connections: taken as gone");
        self.gone.write().unwrap_or_else(|p| p.into_inner()).insert((peer.id, peer.incarnation));
    }

    /// Live peer `id`, if it is one.
    pub fn peer(&self, id: u16) -> Option<Peer> {
        self.peers().iter().find(|p| p.id == id).cloned()
    }

    /// A live peer that takes new users, chosen by `user` (so a user's requests agree), for
    /// a node that is stopping.
    pub fn successor(&self, user: u64) -> Option<Peer> {
        let peers: Vec<Peer> = self.peers().iter().filter(|p| !p.draining).cloned().collect();
        (!peers.is_empty()).then(|| peers[(user % peers.len() as u64) as usize].clone())
    }

    /// Whether this node holds work lease `name` now.
    pub fn holds(&self, name: &str) -> bool {
        self.serving() && self.work.read().unwrap_or_else(|p| p.into_inner()).contains(name)
    }

    /// The live peer that holds work lease `name`, if another node does.
    pub fn holder(&self, name: &str) -> Option<Peer> {
        let holder = *self.holders.read().unwrap_or_else(|p| p.into_inner()).get(name)?;
        self.peer(holder)
    }

    /// Renews this node's lease (writing `live_actors` to the view), reads the peers, and
    /// keeps or takes the work leases of `work` that are free.
    pub async fn renew(&self, store: &dyn Store, live_actors: u64, work: &[String]) -> Result<Renewal, String> {
        let at = self.mono_ms();
        let lapsed = at >= self.valid_until.load(Ordering::Acquire);
        let now = self.clock.now_ms();
        let lease_ms = self.lease.as_millis() as i64;
        let (public_addr, internal_addr) = self.addrs.read().unwrap_or_else(|p| p.into_inner()).clone();
        let beat = NodeBeat {
            node_id: self.id,
            incarnation: self.incarnation,
            public_addr,
            internal_addr,
            now_ms: now,
            lease_until_ms: now + lease_ms,
            live_actors,
            draining: self.draining(),
        };
        let renewed = store.beat(beat).await.map_err(|e| e.to_string())?;
        if !renewed {
            self.lost.store(true, Ordering::Release);
            self.work.write().unwrap_or_else(|p| p.into_inner()).clear();
            return Ok(Renewal::Lost);
        }
        if !lapsed {
            self.extend(at);
        }
        let rows = store.nodes().await.map_err(|e| e.to_string())?;
        let peers = live_peers(&rows, self.id, now);
        // A peer found gone is forgotten once its row is gone or another incarnation's.
        self.gone
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|g| peers.iter().any(|p| (p.id, p.incarnation) == *g));
        // A peer whose internal listener refuses connections is gone (killed, or stopped
        // without giving its id up): its users and work are taken over now, not when its
        // lease lapses.
        for peer in &peers {
            let known = self.gone.read().unwrap_or_else(|p| p.into_inner()).contains(&(peer.id, peer.incarnation));
            if !known && refuses(&peer.internal_addr).await {
                self.gone(peer);
            }
        }
        *self.peers.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(peers);
        self.keep_work(store, work, now, now + lease_ms).await?;
        Ok(if lapsed { Renewal::Lapsed(at) } else { Renewal::Held })
    }

    /// The lease written at `at` (monotonic ms) holds: the node serves until its deadline.
    pub fn extend(&self, at: i64) {
        self.valid_until.store(self.deadline_from(at), Ordering::Release);
    }

    /// Renews the work leases held and takes those of `work` that are free or lapsed.
    async fn keep_work(&self, store: &dyn Store, work: &[String], now: i64, until: i64) -> Result<(), String> {
        let mut held: HashSet<String> =
            store.renew_work(self.incarnation, until).await.map_err(|e| e.to_string())?.into_iter().collect();
        let leases = store.work_leases().await.map_err(|e| e.to_string())?;
        let holders = leases.iter().filter(|l| l.lease_until_ms >= now).map(|l| (l.name.clone(), l.node_id)).collect();
        *self.holders.write().unwrap_or_else(|p| p.into_inner()) = holders;
        let mut taken = Vec::new();
        if !self.draining() {
            let gone = self.gone.read().unwrap_or_else(|p| p.into_inner()).clone();
            let wanted: Vec<&String> = work.iter().filter(|n| !held.contains(*n)).collect();
            for name in wanted {
                let lease = leases.iter().find(|l| &l.name == name);
                let from = lease.map(|l| (l.node_id, l.incarnation)).filter(|h| gone.contains(h));
                let free = lease.is_none_or(|l| l.lease_until_ms < now) || from.is_some();
                let claim =
                    WorkClaim { name: name.clone(), incarnation: self.incarnation, now_ms: now, until_ms: until, from };
                if free && store.claim_work(claim).await.map_err(|e| e.to_string())? {
                    tracing::info!(node = self.id, work = %name, "work lease taken");
                    crate::metrics::METRICS.lease_changes.with_label_values(&["work_taken"]).inc();
                    held.insert(name.clone());
                    taken.push(name.clone());
                }
            }
        }
        *self.work.write().unwrap_or_else(|p| p.into_inner()) = held;
        // A courier taken over reads its table now (it holds its lease from here on), not at
        // its next sweep.
        for name in taken {
            store.nudge(name);
        }
        Ok(())
    }

    /// Gives up the work leases and the id (a node stopping). Tried three times: at shutdown
    /// a pooled connection may belong to a worker thread that already stopped.
    pub async fn leave(&self, store: &dyn Store) {
        self.work.write().unwrap_or_else(|p| p.into_inner()).clear();
        let mut failed = None;
        for _ in 0..3 {
            match store.leave(self.incarnation).await {
                Ok(()) => return,
                Err(e) => failed = Some(e),
            }
        }
        if let Some(e) = failed {
            tracing::warn!(node = self.id, error = %e, "node id not given up; it lapses with its lease");
        }
    }
}

/// How long a probe of a peer's internal listener waits for its connection.
const PROBE_WITHIN: Duration = Duration::from_millis(300);

/// Whether the internal listener at `addr` refuses connections (nothing listens there: its
/// process is gone). A probe that times out says nothing (the peer may be paused or far).
async fn refuses(addr: &str) -> bool {
    match tokio::time::timeout(PROBE_WITHIN, tokio::net::TcpStream::connect(addr)).await {
        Ok(Err(e)) => e.kind() == std::io::ErrorKind::ConnectionRefused,
        _ => false,
    }
}

/// The nodes of `rows` other than `me` whose lease holds at `now`.
fn live_peers(rows: &[NodeRow], me: u16, now: i64) -> Vec<Peer> {
    rows.iter()
        .filter(|r| r.node_id != me && r.lease_until_ms >= now && !r.internal_addr.is_empty())
        .map(|r| Peer {
            id: r.node_id,
            incarnation: r.incarnation,
            internal_addr: r.internal_addr.clone(),
            draining: r.draining,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u16, until: i64, addr: &str, draining: bool) -> NodeRow {
        NodeRow {
            node_id: id,
            incarnation: 1,
            public_addr: String::new(),
            internal_addr: addr.into(),
            started_at_ms: 0,
            heartbeat_at_ms: 0,
            lease_until_ms: until,
            live_actors: 0,
            draining,
        }
    }

    #[test]
    fn peers_are_the_other_nodes_whose_lease_holds() {
        let rows =
            [row(0, 100, "a:1", false), row(1, 99, "b:1", false), row(2, 100, "c:1", true), row(3, 200, "", false)];
        let peers = live_peers(&rows, 0, 100);
        assert_eq!(peers, vec![Peer { id: 2, incarnation: 1, internal_addr: "c:1".into(), draining: true }]);
    }

    #[test]
    fn a_node_serves_until_a_margin_short_of_its_lease() {
        let node = Node::new(1, 7, Duration::from_secs(8), Arc::new(summoner_actors::ManualClock::new()));
        assert!(node.serving());
        assert_eq!(node.valid_until.load(Ordering::Acquire), 6_000);
        node.valid_until.store(0, Ordering::Release);
        assert!(!node.serving(), "past its deadline a node stops serving until it renewed");
    }

    #[test]
    fn a_stopping_node_hands_users_to_peers_that_take_new_ones() {
        let node = Node::new(1, 7, Duration::from_secs(6), Arc::new(summoner_actors::ManualClock::new()));
        assert_eq!(node.successor(5), None);
        let peer = |id, draining| Peer { id, incarnation: 1, internal_addr: format!("n{id}"), draining };
        *node.peers.write().unwrap() = Arc::new(vec![peer(2, false), peer(3, true), peer(4, false)]);
        assert_eq!(node.successor(5).map(|p| p.id), Some(4));
        assert_eq!(node.successor(6).map(|p| p.id), Some(2));
        assert_eq!(node.claim().alive, vec![2, 4], "a stopping peer owns no user any more");
        node.gone(&peer(4, false));
        assert_eq!(node.claim().alive, vec![2], "a peer found gone owns no user any more");
    }
}
