//! Prometheus metrics, served as text on `GET /metrics`: requests and their latency per
//! operation and status, live user actors, game-data version, per shard the size and
//! commit latency of group-commit batches, writes dropped past their deadline, refused by
//! the owner-epoch fence or of unknown outcome, action-log rows shipped from the outboxes,
//! deliveries between users with their lag, the cache's round trips and commands, and the
//! session look-ups the cache could not answer.
//!
//! The metrics live in one process-wide registry: they describe the process, and code deep
//! in the storage layer records into them without being handed a handle.

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::api::ApiState;

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub request_seconds: HistogramVec,
    pub live_actors: IntGauge,
    pub gamedata_version: IntGauge,
    pub batch_size: HistogramVec,
    pub commit_seconds: HistogramVec,
    pub cache_round_trips: IntGauge,
    pub cache_commands: IntGauge,
    pub session_store_lookups: IntCounter,
    pub cache_writes_behind: IntGauge,
    pub cache_writes_dropped: IntGauge,
    pub writes_dropped: IntCounter,
    pub writes_fenced: IntCounter,
    pub writes_unknown: IntCounter,
    pub logs_shipped: IntCounter,
    pub deliveries: IntCounter,
    pub deliveries_dropped: IntCounter,
    pub delivery_lag_seconds: Histogram,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some("summoner".into()), None)?;
    let requests = IntCounterVec::new(
        Opts::new("requests_total", "API requests by operation and HTTP status"),
        &["op", "status"],
    )?;
    let latency_buckets = vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
    let request_seconds = HistogramVec::new(
        HistogramOpts::new("request_duration_seconds", "API request latency by operation")
            .buckets(latency_buckets.clone()),
        &["op"],
    )?;
    let live_actors = IntGauge::new("live_user_actors", "User actors live in this process")?;
    let gamedata_version = IntGauge::new("gamedata_version", "Game-data version in force")?;
    let batch_size = HistogramVec::new(
        HistogramOpts::new("batch_size", "Jobs per group-commit batch")
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0]),
        &["shard"],
    )?;
    let commit_seconds = HistogramVec::new(
        HistogramOpts::new("commit_duration_seconds", "Group-commit batch latency").buckets(latency_buckets),
        &["shard"],
    )?;
    let cache_round_trips = IntGauge::new("cache_round_trips_total", "Round trips to the cache (Redis) so far")?;
    let cache_commands = IntGauge::new("cache_commands_total", "Commands sent to the cache (Redis) so far")?;
    let session_store_lookups = IntCounter::new(
        "session_store_lookups_total",
        "Session tokens the cache did not know, looked up in the database (a jump: the cache lost entries)",
    )?;
    registry.register(Box::new(session_store_lookups.clone()))?;
    let cache_writes_behind =
        IntGauge::new("cache_writes_behind_total", "Cache writes sent behind their reply (renewals, snapshots)")?;
    let cache_writes_dropped =
        IntGauge::new("cache_writes_dropped_total", "Cache writes dropped because too many were in flight")?;
    let writes_dropped = IntCounter::new(
        "writes_dropped_total",
        "Writes dropped unapplied because their caller's deadline passed before a batch took them",
    )?;
    let writes_fenced =
        IntCounter::new("writes_fenced_total", "Writes refused because another activation owns the user")?;
    let writes_unknown =
        IntCounter::new("writes_outcome_unknown_total", "Writes whose batch's commit got no answer in time")?;
    let logs_shipped =
        IntCounter::new("action_logs_shipped_total", "Action-log rows shipped from the game shards' outboxes")?;
    let deliveries = IntCounter::new(
        "deliveries_total",
        "Deliveries between users copied from a sender's outbox into the receiver's inbox",
    )?;
    let deliveries_dropped =
        IntCounter::new("deliveries_dropped_total", "Deliveries dropped because their receiver has no account")?;
    let delivery_lag_seconds = Histogram::with_opts(
        HistogramOpts::new(
            "delivery_lag_seconds",
            "From the sender's request to the delivery's arrival in the receiver's inbox",
        )
        .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0]),
    )?;
    registry.register(Box::new(delivery_lag_seconds.clone()))?;
    for counter in [&writes_dropped, &writes_fenced, &writes_unknown, &logs_shipped, &deliveries, &deliveries_dropped] {
        registry.register(Box::new(counter.clone()))?;
    }
    registry.register(Box::new(cache_writes_behind.clone()))?;
    registry.register(Box::new(cache_writes_dropped.clone()))?;
    registry.register(Box::new(cache_round_trips.clone()))?;
    registry.register(Box::new(cache_commands.clone()))?;
    registry.register(Box::new(requests.clone()))?;
    registry.register(Box::new(request_seconds.clone()))?;
    registry.register(Box::new(live_actors.clone()))?;
    registry.register(Box::new(gamedata_version.clone()))?;
    registry.register(Box::new(batch_size.clone()))?;
    registry.register(Box::new(commit_seconds.clone()))?;
    Ok(Metrics {
        registry,
        requests,
        request_seconds,
        live_actors,
        gamedata_version,
        batch_size,
        commit_seconds,
        cache_round_trips,
        cache_commands,
        session_store_lookups,
        cache_writes_behind,
        cache_writes_dropped,
        writes_dropped,
        writes_fenced,
        writes_unknown,
        logs_shipped,
        deliveries,
        deliveries_dropped,
        delivery_lag_seconds,
    })
}

/// The process's metrics. Building them can only fail on a programming error (a duplicate
/// or malformed name), which the tests would show at once.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| build().expect("metric definitions are valid"));

/// Mounts `GET /metrics`.
pub fn routes(config: &mut web::ServiceConfig) {
    config.route("/metrics", web::get().to(scrape));
}

async fn scrape(state: web::Data<ApiState>) -> HttpResponse {
    let metrics = &*METRICS;
    metrics.live_actors.set(state.directory.live_actors() as i64);
    metrics.gamedata_version.set(i64::from(state.directory.backend().catalog().current().version));
    let traffic = state.directory.backend().cache().traffic();
    metrics.cache_round_trips.set(traffic.round_trips as i64);
    metrics.cache_commands.set(traffic.commands as i64);
    let behind = state.directory.backend().write_behind();
    metrics.cache_writes_behind.set(behind.sent() as i64);
    metrics.cache_writes_dropped.set(behind.dropped() as i64);
    let mut body = Vec::new();
    match TextEncoder::new().encode(&metrics.registry.gather(), &mut body) {
        Ok(()) => HttpResponse::Ok().content_type(prometheus::TEXT_FORMAT).body(body),
        Err(e) => HttpResponse::InternalServerError().body(format!("metrics could not be encoded: {e}\n")),
    }
}
