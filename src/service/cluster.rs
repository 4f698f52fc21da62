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
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use summoner_actors::Clock;

use crate::storage::nodes::{NodeBeat, NodeRow, OwnerClaim, WorkClaim};
use crate::storage::{Store, StoreError};

/// A live peer, as forwarding needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub id: u16,
    pub incarnation: u64,
    /// Its internal listener (`host:port`).
    pub internal_addr: String,
    pub draining: bool,
    /// Its last renewal, as its row says (a peer taken as gone that renews again is not).
    pub heartbeat_at_ms: i64,
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
    /// The same deadline on the wall clock (Unix ms): the monotonic clock stands still
    /// while a virtual machine is suspended, the wall clock catches up when it resumes.
    wall_valid_until: AtomicI64,
    /// Whether a renewal succeeded yet: the node serves only after its first.
    renewed: AtomicBool,
    /// The row is no longer this incarnation's: the node must not serve again.
    lost: AtomicBool,
    /// The node's row says it is stopping (peers stop counting it as an owner) ...
    stopping: AtomicBool,
    /// ... and it hands its users to peers.
    draining: AtomicBool,
    /// Whether requests can be forwarded to peers (the cluster's secret is set).
    forwards: AtomicBool,
    peers: RwLock<Arc<Vec<Peer>>>,
    /// (public, internal) addresses, as the `nodes` view shows them.
    addrs: RwLock<(String, String)>,
    /// Work leases held now (courier, shipper and job names) ...
    work: RwLock<HashSet<String>>,
    /// ... until this monotonic deadline, set by the renewal that last renewed them in the
    /// database (a renewal of the node whose work part failed does not extend it).
    work_until: AtomicI64,
    /// Who holds each work lease, as the last renewal read them.
    holders: RwLock<HashMap<String, u16>>,
    /// One renewal at a time (the keeper's and a drain's).
    renewing: tokio::sync::Mutex<()>,
    /// Peers found gone before their lease lapsed (their internal listener refused a
    /// connection: a process that stopped or died), by id and incarnation, with the
    /// heartbeat their row had then: one that renews again was not gone after all.
    gone: RwLock<HashMap<(u16, u64), i64>>,
    /// Users a peer retired its actor of for this node to take over, with that peer, the
    /// owner epoch it held them at, and when: this node's next activation of each may take
    /// the user from that peer at that epoch (not after it activated the user again).
    handed_over: Mutex<HashMap<u64, (u16, i64, Instant)>>,
}

/// What a renewal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// Renewed in time.
    Held,
    /// Renewed, but only after the lease had lapsed: users may have moved meanwhile. The
    /// node serves again once its actors retired ([`Node::extend`] with these instants:
    /// monotonic and wall-clock ms).
    Lapsed(i64, i64),
    /// Another process holds the id now.
    Lost,
}

impl Node {
    /// This node as claimed (`id`, `incarnation`), with leases `lease` long. It serves once
    /// its first renewal succeeded ([`Self::renew`]): the claim may be older than a lease by
    /// then (migrations ran since).
    pub fn new(id: u16, incarnation: u64, lease: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            id,
            incarnation,
            lease,
            started: Instant::now(),
            clock,
            valid_until: AtomicI64::new(0),
            wall_valid_until: AtomicI64::new(0),
            renewed: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            forwards: AtomicBool::new(true),
            peers: RwLock::default(),
            addrs: RwLock::default(),
            work: RwLock::default(),
            work_until: AtomicI64::new(0),
            holders: RwLock::default(),
            renewing: tokio::sync::Mutex::new(()),
            gone: RwLock::default(),
            handed_over: Mutex::default(),
        }
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

    fn wall_ms() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }

    /// Whether this node may serve now: its lease surely holds, by both clocks.
    pub fn serving(&self) -> bool {
        !self.lost()
            && self.mono_ms() < self.valid_until.load(Ordering::Acquire)
            && Self::wall_ms() < self.wall_valid_until.load(Ordering::Acquire)
    }

    /// Whether another process holds this node's id now (this one must stop).
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// Whether this node is stopping: its row says so, and readiness fails.
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Whether this node hands its users to peers (it takes no new users).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Marks this node as stopping: the next renewal writes it, and peers no longer count
    /// it as an owner once their next renewal reads it. It still serves its users meanwhile.
    pub fn announce_stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Hands users to peers from now on (once they know this node is stopping).
    pub fn drain(&self) {
        self.stopping.store(true, Ordering::Release);
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
    /// A user a peer handed over (see [`Self::hand_over`]) may be taken from that peer at
    /// the epoch it handed the user over at, once.
    pub fn claim(&self, user: u64) -> OwnerClaim {
        let handed_over = self.take_handed_over(user);
        let alive = if self.forwards.load(Ordering::Acquire) {
            self.peers().iter().filter(|p| !p.draining).map(|p| p.id).collect()
        } else {
            Vec::new()
        };
        OwnerClaim { node: self.id, alive, handed_over }
    }

    /// Peer `from`, owner of `user` at `epoch`, retired the user's actor for this node to
    /// take the user over (the load balancer sends the user here): remembered for a lease,
    /// for the next activation. A draining node takes no user.
    pub fn hand_over(&self, user: u64, from: u16, epoch: i64) {
        if self.draining() {
            return;
        }
        let lease = self.lease;
        let mut handed_over = self.handed_over.lock().unwrap_or_else(|p| p.into_inner());
        // Users who never came back are forgotten once a lease old, so the map stays small.
        if handed_over.len() >= 1024 {
            handed_over.retain(|_, (_, _, at)| at.elapsed() < lease);
        }
        handed_over.insert(user, (from, epoch, Instant::now()));
    }

    /// Whether a peer handed `user` over to this node within a lease.
    pub fn handed_over(&self, user: u64) -> bool {
        let handed_over = self.handed_over.lock().unwrap_or_else(|p| p.into_inner());
        handed_over.get(&user).is_some_and(|(_, _, at)| at.elapsed() < self.lease)
    }

    fn take_handed_over(&self, user: u64) -> Option<(u16, i64)> {
        let mut handed_over = self.handed_over.lock().unwrap_or_else(|p| p.into_inner());
        handed_over.remove(&user).filter(|(_, _, at)| at.elapsed() < self.lease).map(|(from, epoch, _)| (from, epoch))
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
        Arc::new(peers.iter().filter(|p| !gone.contains_key(&(p.id, p.incarnation))).cloned().collect())
    }

    /// `peer` refused a connection: its process stopped or died, and serves no one any more,
    /// so its users are taken over now rather than when its lease lapses (the owner epoch
    /// fences it all the same, were it still writing). Its work waits for its lease to
    /// lapse: work is not fenced per row as users are. A peer that renews again after this
    /// is live after all, and counted again.
    pub fn gone(&self, peer: &Peer) {
        tracing::warn!(node = peer.id, incarnation = peer.incarnation, "a peer refuses connections: taken as gone");
        self.gone.write().unwrap_or_else(|p| p.into_inner()).insert((peer.id, peer.incarnation), peer.heartbeat_at_ms);
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

    /// Whether this node holds work lease `name` now: renewed in the database within a
    /// lease (less the margin), and the node serves.
    pub fn holds(&self, name: &str) -> bool {
        self.serving()
            && self.mono_ms() < self.work_until.load(Ordering::Acquire)
            && self.work.read().unwrap_or_else(|p| p.into_inner()).contains(name)
    }

    /// The live peer that holds work lease `name`, if another node does.
    pub fn holder(&self, name: &str) -> Option<Peer> {
        let holder = *self.holders.read().unwrap_or_else(|p| p.into_inner()).get(name)?;
        self.peer(holder)
    }

    /// Renews this node's lease (writing `live_actors` to the view), reads the peers, and
    /// keeps or takes the work leases of `work` that are free.
    pub async fn renew(&self, store: &dyn Store, live_actors: u64, work: &[String]) -> Result<Renewal, String> {
        let _one = self.renewing.lock().await;
        let at = self.mono_ms();
        let wall_at = Self::wall_ms();
        let lapsed = self.renewed.load(Ordering::Acquire)
            && (at >= self.valid_until.load(Ordering::Acquire)
                || wall_at >= self.wall_valid_until.load(Ordering::Acquire));
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
            draining: self.stopping(),
        };
        let renewed = store.beat(beat).await.map_err(|e| e.to_string())?;
        // A beat that took past the node's deadline may have landed after its lease lapsed
        // in the database, when peers could take its users: counted as lapsed too.
        let lapsed = lapsed
            || (self.renewed.load(Ordering::Acquire)
                && (self.mono_ms() >= self.valid_until.load(Ordering::Acquire)
                    || Self::wall_ms() >= self.wall_valid_until.load(Ordering::Acquire)));
        if !renewed {
            self.lost.store(true, Ordering::Release);
            self.work.write().unwrap_or_else(|p| p.into_inner()).clear();
            return Ok(Renewal::Lost);
        }
        let first = !self.renewed.swap(true, Ordering::AcqRel);
        if first || !lapsed {
            self.extend(at, wall_at);
        }
        let rows = store.nodes().await.map_err(|e| e.to_string())?;
        let peers = live_peers(&rows, self.id, now);
        // A peer found gone is forgotten once its row is gone or another incarnation's, or
        // once it renewed since: it was slow, not gone.
        self.gone.write().unwrap_or_else(|p| p.into_inner()).retain(|(id, incarnation), heartbeat| {
            peers.iter().any(|p| (p.id, p.incarnation) == (*id, *incarnation) && p.heartbeat_at_ms <= *heartbeat)
        });
        // A peer whose internal listener refuses connections is gone (killed, or stopped
        // without giving its id up): its users are taken over now, not when its lease
        // lapses. The probes run at once, each bounded, so a renewal never waits long.
        let unknown: Vec<&Peer> = {
            let gone = self.gone.read().unwrap_or_else(|p| p.into_inner());
            peers.iter().filter(|p| !gone.contains_key(&(p.id, p.incarnation))).collect()
        };
        let probed = futures_util::future::join_all(unknown.iter().map(|p| refuses(&p.internal_addr))).await;
        for (peer, refused) in unknown.into_iter().zip(probed) {
            if refused {
                self.gone(peer);
            }
        }
        *self.peers.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(peers);
        self.keep_work(store, work, at, now, now + lease_ms).await?;
        Ok(if lapsed { Renewal::Lapsed(at, wall_at) } else { Renewal::Held })
    }

    /// The lease written at `at` (monotonic ms; `wall_at` on the wall clock) holds: the node
    /// serves until its deadline.
    pub fn extend(&self, at: i64, wall_at: i64) {
        self.valid_until.store(self.deadline_from(at), Ordering::Release);
        self.wall_valid_until.store(self.deadline_from(wall_at), Ordering::Release);
    }

    /// Renews the work leases held and takes those of `work` that are free or lapsed; `at`:
    /// when this renewal began (monotonic ms), from which the leases hold.
    async fn keep_work(&self, store: &dyn Store, work: &[String], at: i64, now: i64, until: i64) -> Result<(), String> {
        let mut held: HashSet<String> =
            store.renew_work(self.incarnation, until).await.map_err(|e| e.to_string())?.into_iter().collect();
        // Renewed in the database: what is held now holds until this deadline, whatever the
        // rest of this renewal does.
        *self.work.write().unwrap_or_else(|p| p.into_inner()) = held.clone();
        self.work_until.store(self.deadline_from(at), Ordering::Release);
        let leases = store.work_leases().await.map_err(|e| e.to_string())?;
        let holders = leases.iter().filter(|l| l.lease_until_ms >= now).map(|l| (l.name.clone(), l.node_id)).collect();
        *self.holders.write().unwrap_or_else(|p| p.into_inner()) = holders;
        let mut taken = Vec::new();
        if !self.stopping() {
            let wanted: Vec<&String> = work.iter().filter(|n| !held.contains(*n)).collect();
            for name in wanted {
                let lease = leases.iter().find(|l| &l.name == name);
                let free = lease.is_none_or(|l| l.lease_until_ms < now);
                let claim =
                    WorkClaim { name: name.clone(), incarnation: self.incarnation, now_ms: now, until_ms: until };
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

    /// Gives up the work leases and the id (a node stopping). At shutdown every pooled
    /// connection made on a worker thread that has stopped fails at once (its runtime is
    /// gone), and a failed connection is closed, not pooled again: so this tries until a
    /// working connection (a fresh one, made here, once the dead ones are spent) gives the
    /// id up, for at most one lease, after which the id lapses anyway.
    pub async fn leave(&self, store: &dyn Store) {
        self.work.write().unwrap_or_else(|p| p.into_inner()).clear();
        let deadline = tokio::time::Instant::now() + self.lease();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let tried = tokio::time::timeout_at(deadline, store.leave(self.incarnation)).await;
            match tried
                .unwrap_or_else(|_| Err(StoreError::Database("give up the node's id".into(), "timed out".into())))
            {
                Ok(()) => {
                    tracing::info!(node = self.id, tries, "node id and work leases given up");
                    return;
                }
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    tracing::warn!(node = self.id, tries, error = %e, "node id not given up; it lapses with its lease");
                    return;
                }
                // Dead connections fail at once; past a pool's worth of them, the database
                // itself is failing: pause between tries rather than spin.
                Err(_) if tries > LEAVE_QUICK_TRIES => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(_) => {}
            }
        }
    }
}

/// How many tries giving the id up makes without pausing (more than a pool's connections).
const LEAVE_QUICK_TRIES: u32 = 64;

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
            heartbeat_at_ms: r.heartbeat_at_ms,
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
        let expected = Peer { id: 2, incarnation: 1, internal_addr: "c:1".into(), draining: true, heartbeat_at_ms: 0 };
        assert_eq!(peers, vec![expected]);
    }

    #[test]
    fn a_node_serves_from_its_first_renewal_until_a_margin_short_of_its_lease_by_both_clocks() {
        let node = Node::new(1, 7, Duration::from_secs(8), Arc::new(summoner_actors::ManualClock::new()));
        assert!(!node.serving(), "not before its lease was renewed once");
        let wall = Node::wall_ms();
        node.extend(0, wall);
        assert!(node.serving());
        assert_eq!(node.valid_until.load(Ordering::Acquire), 6_000);
        assert_eq!(node.wall_valid_until.load(Ordering::Acquire), wall + 6_000);
        node.wall_valid_until.store(wall - 1, Ordering::Release);
        assert!(!node.serving(), "past its deadline on the wall clock (a suspended machine) it stops serving");
        node.extend(0, wall);
        node.valid_until.store(0, Ordering::Release);
        assert!(!node.serving(), "past its monotonic deadline it stops serving until it renewed");
    }

    #[test]
    fn work_is_held_only_within_a_lease_of_its_last_renewal() {
        let node = Node::new(1, 7, Duration::from_secs(8), Arc::new(summoner_actors::ManualClock::new()));
        node.extend(0, Node::wall_ms());
        node.work.write().unwrap().insert("courier:game-1".into());
        assert!(!node.holds("courier:game-1"), "never renewed in the database: not held");
        node.work_until.store(node.deadline_from(node.mono_ms()), Ordering::Release);
        assert!(node.holds("courier:game-1"));
        assert!(!node.holds("courier:game-2"));
        node.work_until.store(0, Ordering::Release);
        assert!(!node.holds("courier:game-1"), "a node serving on, but whose work renewal failed, holds no work");
    }

    #[test]
    fn a_stopping_node_hands_users_to_peers_that_take_new_ones() {
        let node = Node::new(1, 7, Duration::from_secs(6), Arc::new(summoner_actors::ManualClock::new()));
        assert_eq!(node.successor(5), None);
        let peer =
            |id, draining| Peer { id, incarnation: 1, internal_addr: format!("n{id}"), draining, heartbeat_at_ms: 0 };
        *node.peers.write().unwrap() = Arc::new(vec![peer(2, false), peer(3, true), peer(4, false)]);
        assert_eq!(node.successor(5).map(|p| p.id), Some(4));
        assert_eq!(node.successor(6).map(|p| p.id), Some(2));
        assert_eq!(node.claim(5).alive, vec![2, 4], "a stopping peer owns no user any more");
        node.gone(&peer(4, false));
        assert_eq!(node.claim(5).alive, vec![2], "a peer found gone owns no user any more");
    }

    #[test]
    fn a_user_handed_over_may_be_taken_from_that_peer_once() {
        let node = Node::new(1, 7, Duration::from_secs(6), Arc::new(summoner_actors::ManualClock::new()));
        let peer =
            |id| Peer { id, incarnation: 1, internal_addr: format!("n{id}"), draining: false, heartbeat_at_ms: 0 };
        *node.peers.write().unwrap() = Arc::new(vec![peer(2), peer(3)]);
        assert!(!node.handed_over(9));
        node.hand_over(9, 2, 41);
        assert!(node.handed_over(9), "served here on its next request");
        assert_eq!(node.claim(8).handed_over, None, "only the user handed over");
        let claim = node.claim(9);
        assert_eq!((claim.alive, claim.handed_over), (vec![2, 3], Some((2, 41))), "from that peer, at that epoch");
        assert!(!node.handed_over(9));
        assert_eq!(node.claim(9).handed_over, None, "once: a later activation respects that peer again");
        node.drain();
        node.hand_over(10, 2, 41);
        assert!(!node.handed_over(10), "a draining node takes no user");
    }
}
