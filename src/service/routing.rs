//! Which node serves a user's request, and sending it there.
//!
//! A load balancer that hashes the routing key (the user's id, from Login) sends a user's
//! requests to one node; this covers the rest. A node serves a user whose actor is live on
//! it, whom no live node owns, or whose owner is stopping; a user another live node owns is
//! forwarded to it over the internal listener, once (a forwarded request is never forwarded
//! again). A stopping node hands users it does not hold to a peer that takes new users.
//!
//! Ownership follows the load balancer: a user's first Login reaches whichever node the
//! balancer picked before the user had a routing key, and that node activates the user. When
//! a request carrying the key is then forwarded to it, the owner answers and retires the
//! user's actor, saying so in its answer; the node the key hashes to serves the user's next
//! request itself (its activation takes the user over), so a user is forwarded about once
//! per session instead of on every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::service::cluster::{Node, Peer};
use crate::service::tokens::same_secret;
use crate::storage::Store;
use crate::storage::nodes::WorkGate;

/// Longest a notice to a peer (deliveries, a nudge) or a connection to one may take; a
/// notice lost is made good by the sweeps.
const NOTICE_WITHIN: Duration = Duration::from_secs(1);
/// Most notices of deliveries to peers in flight at once.
const NOTICES_IN_FLIGHT: usize = 256;

/// The header a client sends the routing key in (`LoginRes.routing_key`), which a load
/// balancer in front of several nodes hashes.
pub const ROUTE_HEADER: &str = "x-summoner-route";
/// The header nodes show each other on the internal listener.
pub const SECRET_HEADER: &str = "x-summoner-cluster";
/// The header of a forwarded request's remaining time (ms).
pub const DEADLINE_HEADER: &str = "x-summoner-deadline-ms";
/// The header of a forwarded request whose client sent a routing key: the load balancer
/// sends this user to the forwarding node, so the owner may hand the user over to it.
pub const HAND_OVER_HEADER: &str = "x-summoner-hand-over";
/// The header of a forwarded request's answer when the owner retired the user's actor after
/// answering, with the owner epoch that actor held: the forwarding node serves the user's
/// next request itself, and may take the user over while the row still says so.
pub const RELEASED_HEADER: &str = "x-summoner-released";

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Served here.
    Here,
    /// Forwarded to this peer.
    To(Peer),
}

/// An answer a peer gave to a forwarded request, relayed as it is.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
    /// The owner retired the user's actor after answering, which held the user at this
    /// owner epoch (see [`RELEASED_HEADER`]).
    pub released: Option<i64>,
}

/// Why a request could not be forwarded.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// Not delivered (no connection): nothing was applied.
    #[error("node {0} could not be reached: {1}")]
    Unreachable(u16, String),
    /// Delivered, but its answer never came (in time): the owner may have applied it.
    #[error("node {0} did not answer: {1}")]
    Unanswered(u16, String),
    /// The peer refused the connection: it is gone; routing again serves the user here.
    #[error("node {0} is gone: {1}")]
    Gone(u16, String),
    #[error("no secret is configured for the internal listener (cluster.secret)")]
    NoSecret,
}

/// Routes and forwards requests, handed to the transport at wiring.
#[derive(Clone)]
pub struct Routing {
    node: Arc<Node>,
    store: Arc<dyn Store>,
    http: reqwest::Client,
    secret: Arc<str>,
    timeout: Duration,
    /// Notices of deliveries to peers not yet answered.
    notices: Arc<AtomicUsize>,
}

impl Routing {
    /// Routing for `node` over `store`, forwarding with `secret` within `timeout`.
    pub fn new(node: Arc<Node>, store: Arc<dyn Store>, secret: &str, timeout: Duration) -> Self {
        // A peer that does not take a connection within a second is treated as unreachable
        // (a notice to it is dropped, a forward answers MOVED) rather than held for long.
        let http =
            reqwest::Client::builder().timeout(timeout).connect_timeout(NOTICE_WITHIN).build().unwrap_or_default();
        Self { node, store, http, secret: secret.into(), timeout, notices: Arc::default() }
    }

    /// This node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// The owner epoch of `user` while this node is the owner recorded (after its actor of the
    /// user retired, the epoch that actor held); None otherwise or when unknown.
    pub async fn own_epoch(&self, user: u64) -> Option<i64> {
        match self.store.owner_of(user).await {
            Ok(Some((owner, epoch))) if owner == i64::from(self.node.id) => Some(epoch),
            _ => None,
        }
    }

    /// Where a request of `user` goes, whose actor is not live here. Without a secret a node
    /// forwards nothing: it serves every request itself.
    pub async fn route(&self, user: u64) -> Route {
        if self.secret.is_empty() || (!self.node.draining() && self.node.handed_over(user)) {
            return Route::Here;
        }
        let owner = match self.store.owner_of(user).await {
            Ok(Some((owner, _))) => u16::try_from(owner).ok(),
            // No such user (the activation says so), or storage is down (it will say so).
            Ok(None) | Err(_) => None,
        };
        let peer = owner.filter(|o| *o != self.node.id).and_then(|o| self.node.peer(o));
        match peer {
            Some(peer) if !peer.draining => Route::To(peer),
            // Nobody live owns the user, or its owner is stopping: a stopping node hands the
            // user on, any other takes it.
            _ if self.node.draining() => self.node.successor(user).map_or(Route::Here, Route::To),
            _ => Route::Here,
        }
    }

    /// Sends `body` (a `Request` of `user` as the client sent it) to `peer`'s internal
    /// listener with `remaining` of its time; answers the peer's answer. The peer is told a
    /// little less than what is left here, so its answer arrives in time to be relayed.
    /// `hand_over`: the load balancer sends this user here, so the peer may hand it over
    /// (never asked by a draining node).
    pub async fn forward(
        &self,
        peer: &Peer,
        user: u64,
        body: Vec<u8>,
        remaining: Duration,
        hand_over: bool,
    ) -> Result<Forwarded, ForwardError> {
        if self.secret.is_empty() {
            return Err(ForwardError::NoSecret);
        }
        let within = remaining.min(self.timeout);
        let theirs = within.saturating_sub(within / 10);
        let mut post = self
            .http
            .post(format!("http://{}/internal/api", peer.internal_addr))
            .header(SECRET_HEADER, self.secret.as_ref())
            .header(DEADLINE_HEADER, theirs.as_millis().to_string())
            .header("content-type", "application/x-protobuf");
        if hand_over && !self.node.draining() {
            post = post.header(HAND_OVER_HEADER, self.node.id.to_string());
        }
        let sent = post.timeout(within).body(body).send().await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(e) if e.is_connect() => {
                crate::metrics::METRICS.forwards.with_label_values(&["unreachable"]).inc();
                // Only a refused connection says nothing listens there any more; a timeout
                // or an unreachable host may be a peer that is slow, or a network that is.
                if refused(&e) {
                    self.node.gone(peer);
                    return Err(ForwardError::Gone(peer.id, e.to_string()));
                }
                return Err(ForwardError::Unreachable(peer.id, e.to_string()));
            }
            Err(e) => {
                crate::metrics::METRICS.forwards.with_label_values(&["unanswered"]).inc();
                return Err(ForwardError::Unanswered(peer.id, e.to_string()));
            }
        };
        let status = answer.status().as_u16();
        if status == 403 {
            // Not an answer of the API: the peer does not take this node's secret (a secret
            // being rotated). Nothing was applied; the client retries.
            crate::metrics::METRICS.forwards.with_label_values(&["refused"]).inc();
            return Err(ForwardError::Unreachable(peer.id, "it refused this node's cluster secret".into()));
        }
        let retry_after = answer.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let released = answer.headers().get(RELEASED_HEADER).and_then(|v| v.to_str().ok()?.parse::<i64>().ok());
        let body = answer.bytes().await.map_err(|e| ForwardError::Unanswered(peer.id, e.to_string()))?.to_vec();
        crate::metrics::METRICS.forwards.with_label_values(&["answered"]).inc();
        if let Some(epoch) = released {
            crate::metrics::METRICS.forwards.with_label_values(&["handed_over"]).inc();
            self.node.hand_over(user, peer.id, epoch);
        }
        Ok(Forwarded { status, retry_after, body, released })
    }

    /// Tells the live peers that these users' inboxes got deliveries (best effort: a
    /// courier's sweep tells them again while a delivery waits).
    pub fn tell_peers(&self, users: &[u64]) {
        if self.secret.is_empty() || users.is_empty() {
            return;
        }
        let body = users.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        for peer in self.node.peers().iter() {
            // Bounded: past this many notices in flight (peers slow to answer), the sweeps
            // carry the word instead.
            let Some(slot) = NoticeSlot::take(&self.notices) else {
                tracing::debug!("too many notices to peers in flight; the couriers' sweeps will tell them");
                return;
            };
            let request = self
                .http
                .post(format!("http://{}/internal/delivered", peer.internal_addr))
                .header(SECRET_HEADER, self.secret.as_ref())
                .timeout(NOTICE_WITHIN)
                .body(body.clone());
            tokio::spawn(async move {
                if let Err(e) = request.send().await {
                    tracing::debug!(error = %e, "a peer was not told of deliveries; its sweep will tell it");
                }
                drop(slot);
            });
        }
    }

    /// Tells the node that holds work lease `name` that rows for it were committed here.
    pub fn nudge(&self, holder: &Peer, name: &str) {
        if self.secret.is_empty() {
            return;
        }
        let request = self
            .http
            .post(format!("http://{}/internal/nudge", holder.internal_addr))
            .header(SECRET_HEADER, self.secret.as_ref())
            .timeout(NOTICE_WITHIN)
            .body(name.to_owned());
        tokio::spawn(async move {
            if let Err(e) = request.send().await {
                tracing::debug!(error = %e, "a courier's holder was not nudged; its sweep carries the rows");
            }
        });
    }

    /// Another node committed rows for this node's courier or shipper `name`.
    pub fn nudged(&self, name: String) {
        self.store.nudge(name);
    }

    /// Whether `presented` is the cluster's secret.
    pub fn is_peer(&self, presented: &str) -> bool {
        !self.secret.is_empty() && same_secret(presented.as_bytes(), self.secret.as_bytes())
    }
}

/// One notice to a peer in flight, counted while it lives (however its task ends).
struct NoticeSlot(Arc<AtomicUsize>);

impl NoticeSlot {
    /// A slot, unless [`NOTICES_IN_FLIGHT`] are taken.
    fn take(notices: &Arc<AtomicUsize>) -> Option<Self> {
        let taken = notices.fetch_add(1, Ordering::AcqRel);
        let slot = Self(notices.clone());
        (taken < NOTICES_IN_FLIGHT).then_some(slot)
    }
}

impl Drop for NoticeSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether `error` is a connection the peer's host refused (nothing listens on its port).
fn refused(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        source = e.source();
    }
    false
}

/// The gate of this node's couriers: they run while the node holds their lease; rows
/// committed here for a courier another node holds are announced to it (at most every
/// [`NUDGE_EVERY`] per courier: one read there carries them all).
pub struct NodeGate {
    routing: Routing,
    nudged: Mutex<HashMap<String, Instant>>,
}

/// How often a courier's holder is told of rows committed here, at most.
pub const NUDGE_EVERY: Duration = Duration::from_millis(100);

impl NodeGate {
    pub fn new(routing: Routing) -> Self {
        Self { routing, nudged: Mutex::default() }
    }
}

impl WorkGate for NodeGate {
    fn holds(&self, name: &str) -> bool {
        self.routing.node.holds(name)
    }

    fn elsewhere(&self, name: &str) {
        let Some(holder) = self.routing.node.holder(name) else { return };
        {
            let mut nudged = self.nudged.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if nudged.get(name).is_some_and(|at| now.duration_since(*at) < NUDGE_EVERY) {
                return;
            }
            nudged.insert(name.to_owned(), now);
        }
        self.routing.nudge(&holder, name);
    }
}
