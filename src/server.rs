//! Wiring: opens storage, builds the actor directory and the HTTP server, starts the
//! passivation sweeper and the scheduled jobs. `main` and the integration tests both start the server here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use summoner_actors::{Clock, Directory, DirectoryConfig, InFlight, Refresh, SystemClock};
use tokio::sync::Semaphore;

use crate::admin::{self, AdminState};
use crate::api::rate_limits::RateLimits;
use crate::api::{self, ApiState};
use crate::cache::Cache;
use crate::cache::local::LocalCache;
use crate::cache::redis::{RedisCache, RedisSettings, RedisSetupError};
use crate::config::Config;
use crate::game::data::DataError;
use crate::health::Readiness;
use crate::jobs::{JobServices, Jobs};
use crate::service::accounts::Accounts;
use crate::service::backend::GameBackend;
use crate::service::catalog::Catalog;
use crate::service::cluster::{Node, Renewal};
use crate::service::console::Console;
use crate::service::deletions::Eraser;
use crate::service::notice::NoticeBoard;
use crate::service::oidc::Providers;
use crate::service::open;
use crate::service::operators::Operators;
use crate::service::quest_actor::QuestActors;
use crate::service::routing::{NodeGate, Routing};
use crate::service::sessions::{LookupBounds, Sessions};
use crate::service::tokens::random_u63;
use crate::storage::db_store::{DbStore, DbStoreConfig, claim_node};
use crate::storage::nodes::{ClaimRefused, NodeClaim};
use crate::storage::{Store, StoreError};

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("storage: {0}")]
    Storage(#[from] StoreError),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("game data: {0}")]
    GameData(#[from] DataError),
    #[error("cache: {0}")]
    Cache(#[from] RedisSetupError),
    #[error("cannot listen for SIGHUP: {0}")]
    Signal(std::io::Error),
    #[error("sign-in: {0}")]
    SignIn(String),
    #[error("no randomness: {0}")]
    Random(String),
    #[error("node id: {0}")]
    Node(String),
}

/// Checks a configuration without opening or connecting anything (`summoner config check`):
/// its values and what start-up builds from them (URLs, sign-in providers).
pub fn check_config(config: &Config) -> Result<(), String> {
    config.check_offline().map_err(|e| e.to_string())?;
    Providers::new(&config.sign_in).map(|_| ()).map_err(|e| format!("sign_in: {e}"))
}

/// The cache: Redis shards when URLs are configured, else the in-process cache.
fn open_cache(config: &Config, clock: &Arc<dyn Clock>) -> Result<Arc<dyn Cache>, StartError> {
    let redis = &config.redis;
    if redis.urls.is_empty() {
        tracing::info!("cache: in process");
        return Ok(Arc::new(LocalCache::new(clock.clone())));
    }
    let cache = RedisCache::new(&RedisSettings {
        urls: redis.urls.clone(),
        pool_size: redis.pool_size,
        timeout: Duration::from_millis(redis.timeout_ms),
        key_prefix: redis.key_prefix.clone(),
        cooldown: Duration::from_millis(redis.cooldown_ms),
    })?;
    tracing::info!(shards = cache.shard_count(), "cache: redis");
    Ok(Arc::new(cache))
}

/// Reloads game data on every SIGHUP, as `POST /admin/gamedata/reload` does.
fn reload_on_sighup(catalog: Arc<Catalog>) -> Result<actix_web::rt::task::JoinHandle<()>, StartError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup()).map_err(StartError::Signal)?;
    Ok(actix_web::rt::spawn(async move {
        while hangups.recv().await.is_some() {
            let catalog = catalog.clone();
            match actix_web::rt::task::spawn_blocking(move || catalog.reload()).await {
                Ok(Ok(outcome)) => tracing::info!(?outcome, "SIGHUP: game data reload"),
                Ok(Err(e)) => tracing::warn!(error = %e, "SIGHUP: game data reload refused"),
                Err(e) => tracing::error!(error = %e, "SIGHUP: game data reload failed"),
            }
        }
    }))
}

/// How long a stop waits for operators' actions still running (most take milliseconds; a
/// kick whose user's actor is busy can take 25 s, past which its record stays pending).
const OPERATOR_ACTIONS_WAIT: Duration = Duration::from_secs(15);

/// A running server.
pub struct RunningServer {
    /// The address it listens on (the real port when the config asked for port 0).
    pub addr: SocketAddr,
    /// The admin listener's address (`/admin/...`, `/metrics`, the detailed `/readyz`).
    pub admin_addr: SocketAddr,
    /// The internal listener's address (requests forwarded by other nodes).
    pub internal_addr: SocketAddr,
    pub directory: Arc<Directory<GameBackend>>,
    pub catalog: Arc<Catalog>,
    /// This node in the cluster.
    pub node: Arc<Node>,
    /// The live view's recent traffic (tests take a sample when they choose).
    pub live: Arc<admin::live::Live>,
    /// Operators' actions, waited for at stop.
    operators: Operators,
    handle: actix_web::dev::ServerHandle,
    internal_handle: actix_web::dev::ServerHandle,
    internal_server: Option<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
    server: Option<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
    admin_handle: actix_web::dev::ServerHandle,
    admin_server: Option<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
    /// Background tasks (passivation sweeper, SIGHUP listener), ended with the server.
    tasks: Vec<actix_web::rt::task::JoinHandle<()>>,
    /// The scheduled jobs, stopped with the server.
    jobs: Jobs,
}

impl RunningServer {
    /// Stops taking requests, lets in-flight ones finish (graceful), commits every queued
    /// write, gives up this node's id and stops.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.handle.stop(true).await;
        self.finish().await
    }

    /// Stops as SIGTERM does: drains first ([`drain`]), then [`Self::stop`].
    pub async fn drain_and_stop(self) -> std::io::Result<()> {
        drain(&self.node, &self.directory, self.timeout_of_drain()).await;
        self.stop().await
    }

    fn timeout_of_drain(&self) -> Duration {
        DRAIN_WITHIN
    }

    /// The admin listener's base URL.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    /// Runs until the server stops (SIGINT or SIGTERM: a graceful stop, as [`Self::stop`]).
    pub async fn wait(mut self) -> std::io::Result<()> {
        self.finish().await
    }

    async fn finish(&mut self) -> std::io::Result<()> {
        let served = match self.server.take() {
            Some(server) => server.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        };
        // The public listener is done (stopped, or ended by a signal): the others follow.
        // Operators' actions still running end with their record before their listener goes;
        // no new one starts meanwhile.
        if !self.operators.close(OPERATOR_ACTIONS_WAIT).await {
            tracing::warn!("operator actions still running at stop: their records stay pending");
        }
        self.admin_handle.stop(true).await;
        if let Some(admin) = self.admin_server.take() {
            let _ = admin.await;
        }
        self.internal_handle.stop(true).await;
        if let Some(internal) = self.internal_server.take() {
            let _ = internal.await;
        }
        self.tasks.iter().for_each(|t| t.abort());
        self.jobs.stop().await;
        // In-flight requests have finished, and each waited for its commit; flushing
        // commits whatever else is still queued before the process may exit.
        let flushed = self.directory.backend().store().flush().await;
        // Best-effort cache writes (renewals, snapshots) finish within the cache's timeout.
        self.directory.backend().write_behind().settled().await;
        if let Err(e) = &flushed {
            tracing::error!(error = %e, "queued writes could not be committed at shutdown");
        } else {
            tracing::info!("all queued writes committed; stopped");
        }
        // Last: the id is free for another process once nothing of this one writes.
        self.node.leave(self.directory.backend().store().as_ref()).await;
        served?;
        flushed.map_err(std::io::Error::other)?;
        if self.node.lost() {
            // A supervisor restarts a process that failed: this node's capacity comes back
            // under a new id.
            return Err(std::io::Error::other("another process took this node's id; stopped"));
        }
        Ok(())
    }

    /// Passivates every actor idle for the configured timeout now; returns how many.
    pub async fn passivate_idle(&self) -> usize {
        self.directory.passivate_idle().await
    }

    /// Passivates every actor now, idle or not; returns how many.
    pub async fn passivate_all(&self) -> usize {
        self.directory.passivate_all().await
    }
}

/// Starts the server on the system clock with the SQLite store from `config`.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// Starts the server with the given clock (tests move time by hand). Must run inside an
/// actix system.
pub async fn start_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<RunningServer, StartError> {
    let mut settings = open::store_config(&config);
    let incarnation = random_u63().map_err(|e| StartError::Random(e.to_string()))?;
    let lease = Duration::from_millis(config.cluster.lease_ms);
    let claim = NodeClaim { requested: config.storage.node_id, incarnation, lease_ms: lease.as_millis() as i64 };
    settings.node_id = claim_node_id(&settings, &claim, &clock, lease).await?;
    // Its couriers wait for the leases this node takes at its first renewal.
    settings.gated = true;
    tracing::info!(node = settings.node_id, incarnation, "node id taken");
    let store = DbStore::open(&settings, clock.now_ms()).await?;
    tracing::info!(common = %crate::urls::redact(&config.storage.common()), "storage ready");
    start_node(config, clock, Arc::new(store), incarnation).await
}

/// Claims this node's id: the configured one, else a free one. A configured id whose holder
/// stopped renewing (a node killed a moment ago) is taken once its lease lapses; one whose
/// holder keeps renewing is refused.
async fn claim_node_id(
    settings: &DbStoreConfig,
    claim: &NodeClaim,
    clock: &Arc<dyn Clock>,
    lease: Duration,
) -> Result<u16, StartError> {
    let mut refusal = None;
    for attempt in 0..2 {
        match claim_node(settings, claim, clock.now_ms()).await? {
            Ok(id) => return Ok(id),
            Err(ClaimRefused::Held(holder)) if attempt == 0 => {
                let wait_ms = (holder.lease_until_ms - clock.now_ms()).clamp(0, lease.as_millis() as i64) + 500;
                tracing::warn!(node = holder.node_id, wait_ms, "node id held; waiting for its lease to lapse");
                tokio::time::sleep(Duration::from_millis(wait_ms as u64)).await;
                refusal = Some(ClaimRefused::Held(holder));
            }
            Err(refused) => return Err(StartError::Node(refused.to_string())),
        }
    }
    Err(StartError::Node(refusal.map_or_else(|| "not claimed".into(), |r| r.to_string())))
}

/// Deliveries from other users reached these users' inboxes: their live actors read them now
/// (a retired user's next activation loads them); users not live here are named to the
/// other nodes, whose live actors read them.
fn tell_receivers(directory: &Arc<Directory<GameBackend>>, routing: Routing) {
    let weak = Arc::downgrade(directory);
    directory.backend().store().on_delivered(Arc::new(move |users| {
        let Some(directory) = weak.upgrade() else { return };
        let mut elsewhere = Vec::new();
        for user in users {
            // Bounded by the actor's mailbox: a busy actor skips this word, and the courier's
            // sweep tells it again while its deliveries wait.
            match directory.live(*user) {
                Some(actor) => {
                    let _ = actor.try_send(Refresh::Delivered);
                }
                None => elsewhere.push(*user),
            }
        }
        routing.tell_peers(&elsewhere);
    }));
}

/// How long a drain waits for the user actors to retire.
const DRAIN_WITHIN: Duration = Duration::from_secs(20);

/// Drains this node (SIGTERM): readiness fails and the node says it is stopping, so peers
/// take its users over and a load balancer moves away; users not live here are handed to
/// peers; every user actor retires once its request is answered (its writes durable); the
/// caller then stops the listeners, flushes, and gives up the id.
pub async fn drain(node: &Arc<Node>, directory: &Arc<Directory<GameBackend>>, within: Duration) {
    tracing::info!(node = node.id, live = directory.live_actors(), "draining");
    let deadline = tokio::time::Instant::now() + within;
    // First the row says this node is stopping, and it keeps serving until every peer has
    // renewed once since (each renews every third of a lease) and so no longer counts it
    // as an owner: a user handed over before then would be handed straight back.
    node.announce_stop();
    renew_once(node, directory, &[]).await;
    tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + node.lease() / 2)).await;
    node.drain();
    // Requests for users not live here already go to peers; those that are live finish.
    while directory.live_actors() > 0 && tokio::time::Instant::now() < deadline {
        directory.passivate_all().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tracing::info!(node = node.id, live = directory.live_actors(), "drained");
}

/// The work leases this node may hold: the store's couriers and shippers, and the jobs.
async fn store_work(directory: &Arc<Directory<GameBackend>>, jobs: &Jobs) -> Vec<String> {
    let mut work = directory.backend().store().work().await;
    work.extend(jobs.leases());
    work
}

/// One renewal of this node's lease, and what follows from it.
async fn renew_once(node: &Arc<Node>, directory: &Arc<Directory<GameBackend>>, work: &[String]) -> Renewal {
    let store = directory.backend().store().clone();
    let live = directory.live_actors() as u64;
    let metrics = &*crate::metrics::METRICS;
    match node.renew(store.as_ref(), live, work).await {
        Ok(Renewal::Held) => {
            metrics.lease_renewals.with_label_values(&["held"]).inc();
            Renewal::Held
        }
        Ok(Renewal::Lapsed(at, wall_at)) => {
            // Others may have taken this node's users over while it could not renew: its
            // actors' states may be stale. They retire; a request reloads (or is forwarded).
            metrics.lease_renewals.with_label_values(&["lapsed"]).inc();
            metrics.lease_changes.with_label_values(&["lapsed"]).inc();
            let retired = directory.passivate_all().await;
            tracing::warn!(node = node.id, retired, "this node's lease had lapsed; its user actors retired");
            node.extend(at, wall_at);
            Renewal::Lapsed(at, wall_at)
        }
        Ok(Renewal::Lost) => {
            metrics.lease_renewals.with_label_values(&["lost"]).inc();
            metrics.lease_changes.with_label_values(&["lost"]).inc();
            let retired = directory.passivate_all().await;
            tracing::error!(node = node.id, retired, "another process holds this node's id now; stopping");
            Renewal::Lost
        }
        Err(e) => {
            metrics.lease_renewals.with_label_values(&["failed"]).inc();
            tracing::warn!(node = node.id, error = %e, "lease not renewed; this node stops serving when it lapses");
            Renewal::Held
        }
    }
}

/// Renews this node's lease every third of it; stops the server if another process took the
/// id (its ids would collide with this one's).
async fn keep_lease(
    node: Arc<Node>,
    directory: Arc<Directory<GameBackend>>,
    work: Vec<String>,
    public: actix_web::dev::ServerHandle,
) {
    let mut tick = tokio::time::interval(node.lease() / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if renew_once(&node, &directory, &work).await == Renewal::Lost {
            public.stop(false).await;
            return;
        }
    }
}

/// SIGTERM and SIGINT drain the node, then stop it (see [`RunningServer::wait`]).
async fn stop_on_signals(
    node: Arc<Node>,
    directory: Arc<Directory<GameBackend>>,
    public: actix_web::dev::ServerHandle,
) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    drain(&node, &directory, DRAIN_WITHIN).await;
    public.stop(true).await;
}

/// Logs a warning for every request past its deadline, naming the stage it waits in.
async fn warn_overdue(in_flight: Arc<InFlight>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        for late in in_flight.newly_overdue() {
            tracing::warn!(
                user.id = late.user,
                op = late.op,
                stage = late.stage.as_str(),
                shard = late.shard,
                age_ms = late.age.as_millis() as u64,
                "request past its deadline"
            );
        }
    }
}

/// Starts the server over an already-open store (as its only node: a memory store in tests).
pub async fn start_with_store(
    config: Config,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
) -> Result<RunningServer, StartError> {
    let incarnation = random_u63().map_err(|e| StartError::Random(e.to_string()))?;
    let lease_ms = config.cluster.lease_ms as i64;
    if let Err(refused) = store.claim_node(incarnation, lease_ms, clock.now_ms()).await? {
        return Err(StartError::Node(refused.to_string()));
    }
    start_node(config, clock, store, incarnation).await
}

/// Starts this node of the cluster over `store`, whose node id this node holds as
/// `incarnation`.
async fn start_node(
    config: Config,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
    incarnation: u64,
) -> Result<RunningServer, StartError> {
    let catalog = Arc::new(open::open_catalog(&config)?);
    let cache = open_cache(&config, &clock)?;
    let lease = Duration::from_millis(config.cluster.lease_ms);
    let node = Arc::new(Node::new(store.node_id(), incarnation, lease, clock.clone()));
    node.set_forwards(!config.cluster.secret.is_empty());
    let forward_within = Duration::from_millis(config.cluster.forward_timeout_ms);
    let routing = Routing::new(node.clone(), store.clone(), &config.cluster.secret, forward_within);
    store.set_gate(Arc::new(NodeGate::new(routing.clone())));
    let providers = Arc::new(Providers::new(&config.sign_in).map_err(StartError::SignIn)?);
    let grace_ms = i64::try_from(config.jobs.deletion_grace_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let backend = GameBackend::new(
        store,
        cache,
        catalog.clone(),
        config.debug.test_operations,
        node.clone(),
        QuestActors::PerWorker,
    )
    .with_deletions(providers.clone(), grace_ms);
    let sessions = &config.sessions;
    let directory = Directory::new(
        Arc::new(backend),
        clock,
        DirectoryConfig {
            mailbox_capacity: config.limits.user_mailbox,
            idle_timeout_ms: i64::from(sessions.idle_timeout_secs) * 1000,
            session_ttl_ms: i64::from(sessions.ttl_secs) * 1000,
            // Written at most every tenth of the TTL: a restart may shorten a session by
            // that much, in exchange for no write per request.
            session_renew_step_ms: i64::from(sessions.ttl_secs) * 100,
        },
    );
    tell_receivers(&directory, routing.clone());
    let request_timeout = Duration::from_millis(config.limits.request_timeout_ms);
    let in_flight = Arc::new(InFlight::default());
    let notices = Arc::new(NoticeBoard::new(directory.backend().cache().clone(), directory.clock().clone()));
    let services = JobServices {
        store: directory.backend().store().clone(),
        cache: directory.backend().cache().clone(),
        catalog: catalog.clone(),
        providers: providers.clone(),
        jwks_cache: Duration::from_secs(config.sign_in.jwks_cache_secs),
        eraser: Arc::new(Eraser::new(directory.clone(), request_timeout)),
    };
    let holds = {
        let node = node.clone();
        Arc::new(move |lease: &str| node.holds(lease))
    };
    let jobs = Jobs::for_server(&config.jobs, services, directory.clock().clone(), holds);
    api::connections::raise_descriptor_limit();
    let workers =
        if config.workers > 0 { config.workers } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
    let connections = api::connections::ConnectionCaps::new(
        config.limits.connections_per_address,
        config.rate_limits.trusted_proxies.clone(),
    );
    let state = web::Data::new(ApiState {
        directory: directory.clone(),
        accounts: Accounts::new(
            directory.clone(),
            notices.clone(),
            i64::from(sessions.ttl_secs) * 1000,
            request_timeout,
            providers,
        ),
        sessions: Sessions::new(
            directory.backend().cache().clone(),
            directory.backend().store().clone(),
            LookupBounds {
                per_second: config.rate_limits.session_store_lookups_per_second,
                unknown_kept: config.rate_limits.unknown_tokens_kept,
                unknown_for: Duration::from_secs(config.rate_limits.unknown_token_secs),
            },
        ),
        routing: routing.clone(),
        admission: Arc::new(Semaphore::new(config.limits.max_in_flight)),
        in_flight: in_flight.clone(),
        max_body_bytes: config.limits.max_body_bytes,
        body_timeout: Duration::from_millis(config.limits.body_timeout_ms),
        rate_limits: RateLimits::new(&config.rate_limits),
        connections: connections.clone(),
        request_timeout,
        retry_after_secs: config.limits.retry_after_secs,
    });
    let live = Arc::new(admin::live::Live::new(Duration::from_millis(config.admin.live_sample_ms)));
    let operators = Operators::new(directory.clone());
    let admin_state = web::Data::new(AdminState {
        token: config.admin.token.clone(),
        catalog: catalog.clone(),
        notices,
        operators: operators.clone(),
        console: Console::new(directory.clone(), config.sign_in.oidc.iter().map(|p| p.provider.clone()).collect()),
        live: live.clone(),
        directory: directory.clone(),
        in_flight: in_flight.clone(),
        jobs: jobs.clone(),
        page_sessions: admin::sessions::PageSessions::default(),
        secure_cookie: config.admin.secure_cookie,
    });
    let readiness = web::Data::new(Readiness::default());
    let public_state = state.clone();
    let internal_state = state.clone();
    let sweeper_state = state.clone();
    let on_connect = connections.clone();
    let mut http = HttpServer::new(move || {
        App::new()
            .app_data(public_state.clone())
            .app_data(readiness.clone())
            .route("/api", web::post().to(api::endpoint))
            .configure(crate::health::public_routes)
    })
    .on_connect(move |io, ext| on_connect.on_connect(io, ext))
    .max_connections(config.limits.max_connections.div_ceil(workers))
    // Past a drain few requests are in flight; each ends within its time limit.
    .shutdown_timeout(config.limits.request_timeout_ms.div_ceil(1000) + 1)
    // SIGTERM drains the node first (`drain`): the server's own handling would only stop it.
    .disable_signals();
    if config.workers > 0 {
        http = http.workers(config.workers);
    }
    let http = http.bind(config.listen).map_err(|e| StartError::Bind(config.listen, e))?;
    let addr = http.addrs().first().copied().unwrap_or(config.listen);
    let admin_http = HttpServer::new(move || {
        App::new()
            .wrap(admin::security_headers())
            .app_data(state.clone())
            .app_data(admin_state.clone())
            .configure(admin::routes)
            .configure(crate::health::admin_routes)
            .configure(crate::admin::scrape::routes)
    })
    // Operators' requests are few: one worker, so the game keeps the cores.
    .workers(1)
    .shutdown_timeout(5)
    .disable_signals()
    .bind(config.admin.listen)
    .map_err(|e| StartError::Bind(config.admin.listen, e))?;
    let admin_addr = admin_http.addrs().first().copied().unwrap_or(config.admin.listen);
    // Forwarded requests are game requests: as many workers as the public listener.
    let mut internal_http =
        HttpServer::new(move || App::new().app_data(internal_state.clone()).configure(api::internal::routes))
            .shutdown_timeout(5)
            .disable_signals();
    if config.workers > 0 {
        internal_http = internal_http.workers(config.workers);
    }
    let internal_http = internal_http
        .bind(config.cluster.internal_listen)
        .map_err(|e| StartError::Bind(config.cluster.internal_listen, e))?;
    let internal_addr = internal_http.addrs().first().copied().unwrap_or(config.cluster.internal_listen);
    let advertised =
        if config.cluster.advertise.is_empty() { internal_addr.to_string() } else { config.cluster.advertise.clone() };
    node.set_addrs(addr.to_string(), advertised);
    let server = http.run();
    let handle = server.handle();
    let admin_server = admin_http.run();
    let admin_handle = admin_server.handle();
    let internal_server = internal_http.run();
    let internal_handle = internal_server.handle();
    // The first renewal writes where this node is reached and takes the work it may run,
    // before any request or courier round needs it.
    let work: Vec<String> = store_work(&directory, &jobs).await;
    if renew_once(&node, &directory, &work).await == Renewal::Lost {
        return Err(StartError::Node(format!(
            "node id {} was taken by another process while this one started",
            node.id
        )));
    }
    // A server starts accepting only once its future is polled.
    let server = actix_web::rt::spawn(server);
    let admin_server = actix_web::rt::spawn(admin_server);
    let internal_server = actix_web::rt::spawn(internal_server);
    let keeper = actix_web::rt::spawn(keep_lease(node.clone(), directory.clone(), work, handle.clone()));
    let signals = actix_web::rt::spawn(stop_on_signals(node.clone(), directory.clone(), handle.clone()));
    let sweep_every = Duration::from_secs(u64::from(sessions.sweep_interval_secs));
    let sweeper_directory = directory.clone();
    let hangup = reload_on_sighup(catalog.clone())?;
    let sweeper = actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(sweep_every);
        tick.tick().await;
        loop {
            tick.tick().await;
            sweeper_state.rate_limits.forget_idle();
            let retired = sweeper_directory.passivate_idle().await;
            if retired > 0 {
                tracing::debug!(retired, live = sweeper_directory.live_actors(), "passivated idle user actors");
            }
        }
    });
    let watchdog = actix_web::rt::spawn(warn_overdue(in_flight));
    // The live view's samples, stamped by the wall clock: they describe real time.
    let sampling = live.clone();
    let sampler = actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(live.every());
        // After a stall, the next sample spans the stall: no burst of empty intervals.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            live.sample(jiff::Timestamp::now().as_millisecond());
        }
    });
    tracing::info!(%addr, %admin_addr, %internal_addr, node = node.id, "listening");
    Ok(RunningServer {
        addr,
        admin_addr,
        internal_addr,
        directory,
        catalog,
        node,
        live: sampling,
        operators,
        handle,
        internal_handle,
        internal_server: Some(internal_server),
        server: Some(server),
        admin_handle,
        admin_server: Some(admin_server),
        tasks: vec![sweeper, hangup, watchdog, keeper, signals, sampler],
        jobs,
    })
}
