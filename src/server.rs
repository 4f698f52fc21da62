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
use crate::jobs::Jobs;
use crate::service::accounts::Accounts;
use crate::service::backend::GameBackend;
use crate::service::catalog::Catalog;
use crate::service::notice::NoticeBoard;
use crate::service::oidc::Providers;
use crate::service::open;
use crate::service::operators::Operators;
use crate::service::quest_actor::QuestActors;
use crate::service::sessions::Sessions;
use crate::storage::db_store::DbStore;
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
    #[error("no randomness for the admin page's key: {0}")]
    Random(String),
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

/// A running server.
pub struct RunningServer {
    /// The address it listens on (the real port when the config asked for port 0).
    pub addr: SocketAddr,
    /// The admin listener's address (`/admin/...`, `/metrics`, the detailed `/readyz`).
    pub admin_addr: SocketAddr,
    pub directory: Arc<Directory<GameBackend>>,
    pub catalog: Arc<Catalog>,
    handle: actix_web::dev::ServerHandle,
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
    /// write and stops.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.handle.stop(true).await;
        self.finish().await
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
        // The public listener is done (stopped, or ended by a signal): the admin one follows.
        self.admin_handle.stop(true).await;
        if let Some(admin) = self.admin_server.take() {
            let _ = admin.await;
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
        served?;
        flushed.map_err(std::io::Error::other)
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
    let store = DbStore::open(&open::store_config(&config), clock.now_ms()).await?;
    tracing::info!(common = %crate::urls::redact(&config.storage.common()), "storage ready");
    start_with_store(config, clock, Arc::new(store)).await
}

/// Deliveries from other users reached these users' inboxes: their live actors read them now
/// (a retired user's next activation loads them).
fn tell_receivers(directory: &Arc<Directory<GameBackend>>) {
    let weak = Arc::downgrade(directory);
    directory.backend().store().on_delivered(Arc::new(move |users| {
        let Some(directory) = weak.upgrade() else { return };
        for user in users {
            // Bounded by the actor's mailbox: a busy actor skips this word, and the courier's
            // sweep tells it again while its deliveries wait.
            if let Some(actor) = directory.live(*user) {
                let _ = actor.try_send(Refresh::Delivered);
            }
        }
    }));
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

/// Starts the server over an already-open store.
pub async fn start_with_store(
    config: Config,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
) -> Result<RunningServer, StartError> {
    let catalog = Arc::new(open::open_catalog(&config)?);
    let cache = open_cache(&config, &clock)?;
    let backend = GameBackend::new(
        store,
        cache,
        catalog.clone(),
        config.debug.test_operations,
        config.storage.node_id,
        QuestActors::PerWorker,
    );
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
    tell_receivers(&directory);
    let request_timeout = Duration::from_millis(config.limits.request_timeout_ms);
    let in_flight = Arc::new(InFlight::default());
    let notices = Arc::new(NoticeBoard::new(directory.backend().cache().clone(), directory.clock().clone()));
    let providers = Arc::new(Providers::new(&config.sign_in).map_err(StartError::SignIn)?);
    let jobs = Jobs::for_server(
        &config.jobs,
        directory.backend().store().clone(),
        directory.backend().cache().clone(),
        catalog.clone(),
        providers.clone(),
        Duration::from_secs(config.sign_in.jwks_cache_secs),
        directory.clock().clone(),
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
        sessions: Sessions::new(directory.backend().cache().clone(), directory.backend().store().clone()),
        admission: Arc::new(Semaphore::new(config.limits.max_in_flight)),
        in_flight: in_flight.clone(),
        max_body_bytes: config.limits.max_body_bytes,
        body_timeout: Duration::from_millis(config.limits.body_timeout_ms),
        rate_limits: RateLimits::new(&config.rate_limits),
        request_timeout,
        retry_after_secs: config.limits.retry_after_secs,
    });
    let admin_state = web::Data::new(AdminState {
        token: config.admin.token.clone(),
        catalog: catalog.clone(),
        notices,
        operators: Operators::new(directory.clone()),
        directory: directory.clone(),
        in_flight: in_flight.clone(),
        jobs: jobs.clone(),
        page_key: {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| StartError::Random(e.to_string()))?;
            key
        },
    });
    let readiness = web::Data::new(Readiness::default());
    let public_state = state.clone();
    let sweeper_state = state.clone();
    let mut http = HttpServer::new(move || {
        App::new()
            .app_data(public_state.clone())
            .app_data(readiness.clone())
            .route("/api", web::post().to(api::endpoint))
            .configure(crate::health::public_routes)
    })
    // The endpoint bounds the body itself, to answer 413 with a decodable Response.
    .shutdown_timeout(30);
    if config.workers > 0 {
        http = http.workers(config.workers);
    }
    let http = http.bind(config.listen).map_err(|e| StartError::Bind(config.listen, e))?;
    let addr = http.addrs().first().copied().unwrap_or(config.listen);
    let admin_http = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(admin_state.clone())
            .configure(admin::routes)
            .configure(crate::health::admin_routes)
            .configure(crate::admin::scrape::routes)
    })
    // Operators' requests are few: one worker, so the game keeps the cores.
    .workers(1)
    .shutdown_timeout(5)
    .bind(config.admin.listen)
    .map_err(|e| StartError::Bind(config.admin.listen, e))?;
    let admin_addr = admin_http.addrs().first().copied().unwrap_or(config.admin.listen);
    let server = http.run();
    let handle = server.handle();
    let admin_server = admin_http.run();
    let admin_handle = admin_server.handle();
    // A server starts accepting only once its future is polled.
    let server = actix_web::rt::spawn(server);
    let admin_server = actix_web::rt::spawn(admin_server);
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
    tracing::info!(%addr, %admin_addr, "listening");
    Ok(RunningServer {
        addr,
        admin_addr,
        directory,
        catalog,
        handle,
        server: Some(server),
        admin_handle,
        admin_server: Some(admin_server),
        tasks: vec![sweeper, hangup, watchdog],
        jobs,
    })
}
