//! The process's Prometheus metrics: requests and their latency per
//! operation and status, live user actors, game-data version, per shard the size and
//! commit latency of group-commit batches, writes dropped past their deadline, refused by
//! the owner-epoch fence or of unknown outcome, action-log rows shipped from the outboxes,
//! deliveries between users with their lag, the cluster's ownership changes, forwards,
//! lease renewals and work leases taken, the cache's round trips and commands, and the
//! session look-ups the cache could not answer; and, read when scraped, requests in flight
//! by the stage they wait in, requests queued in user mailboxes, each shard's group-commit
//! queue depth and oldest job, Redis call latency per shard, and the process's CPU,
//! memory and file descriptors; scheduled jobs' runs, durations, items and last success.
//!
//! The metrics live in one process-wide registry that knows no layer: they describe the
//! process, and any layer counts into it (storage's batches, the cache's round trips, the
//! service's refusals) without being handed a handle. The admin transport serves it
//! (`crate::admin::scrape`), reading the gauges that are sampled at scrape time first.

use std::sync::LazyLock;

use prometheus::{
    CounterVec, Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    /// The name of every metric family the process exports (a family shows in a scrape
    /// once it has a sample).
    pub families: Vec<String>,
    pub requests: IntCounterVec,
    pub errors: IntCounterVec,
    pub request_seconds: HistogramVec,
    pub live_actors: IntGauge,
    pub gamedata_version: IntGauge,
    pub batch_size: HistogramVec,
    pub commit_seconds: HistogramVec,
    pub cache_round_trips: IntGauge,
    pub cache_commands: IntGauge,
    pub session_store_lookups: IntCounter,
    pub session_lookups_over_budget: IntCounter,
    pub unknown_tokens_remembered: IntCounter,
    pub cache_writes_behind: IntGauge,
    pub cache_writes_dropped: IntGauge,
    pub writes_dropped: IntCounter,
    pub writes_fenced: IntCounter,
    pub ownership_changes: IntCounter,
    pub lease_renewals: IntCounterVec,
    pub gamedata_reloads: IntCounterVec,
    pub lease_changes: IntCounterVec,
    pub forwards: IntCounterVec,
    pub writes_unknown: IntCounter,
    pub logs_shipped: IntCounter,
    pub deliveries: IntCounter,
    pub deliveries_dropped: IntCounter,
    pub deliveries_dead_lettered: IntCounter,
    pub connections_refused: IntCounter,
    pub delivery_lag_seconds: Histogram,
    pub in_flight: IntGaugeVec,
    pub mailbox_queued: IntGauge,
    pub mailbox_max_depth: IntGauge,
    pub queue_depth: IntGaugeVec,
    pub queue_oldest_seconds: GaugeVec,
    pub redis_seconds: HistogramVec,
    pub scrape_seconds: Gauge,
    pub job_runs: IntCounterVec,
    pub job_seconds: HistogramVec,
    pub job_items: IntCounterVec,
    pub job_last_success: GaugeVec,
    pub statements: CounterVec,
    pub allocations: IntCounter,
}

/// Registers `collector` and notes the names of the families it exports.
fn register(
    registry: &Registry,
    families: &mut Vec<String>,
    collector: Box<dyn prometheus::core::Collector>,
) -> Result<(), prometheus::Error> {
    families.extend(collector.desc().iter().map(|d| format!("{PREFIX}_{}", d.fq_name)));
    registry.register(collector)
}

/// The prefix of every metric's name.
const PREFIX: &str = "summoner";

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new_custom(Some(PREFIX.into()), None)?;
    let mut families = Vec::new();
    let requests = IntCounterVec::new(
        Opts::new("requests_total", "API requests by operation and HTTP status"),
        &["op", "status"],
    )?;
    let errors = IntCounterVec::new(
        Opts::new("errors_total", "Answers carrying an error code (game refusals and transport errors), by code"),
        &["code"],
    )?;
    register(&registry, &mut families, Box::new(errors.clone()))?;
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
    register(&registry, &mut families, Box::new(session_store_lookups.clone()))?;
    let session_lookups_over_budget = IntCounter::new(
        "session_lookups_over_budget_total",
        "Session tokens the cache did not know, refused unread because the database look-ups of the second were spent",
    )?;
    register(&registry, &mut families, Box::new(session_lookups_over_budget.clone()))?;
    let unknown_tokens_remembered = IntCounter::new(
        "unknown_tokens_remembered_total",
        "Session tokens answered unknown from memory (found unknown a moment ago) without a look-up",
    )?;
    register(&registry, &mut families, Box::new(unknown_tokens_remembered.clone()))?;
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
    let ownership_changes = IntCounter::new(
        "ownership_changes_total",
        "Users this node took over from another node (an activation raised their owner epoch)",
    )?;
    let lease_renewals = IntCounterVec::new(
        Opts::new("lease_renewals_total", "Renewals of this node's lease, by outcome (held, lapsed, lost, failed)"),
        &["outcome"],
    )?;
    let lease_changes = IntCounterVec::new(
        Opts::new("lease_changes_total", "Work leases this node took, and its lease lost or lapsed, by kind"),
        &["kind"],
    )?;
    let forwards = IntCounterVec::new(
        Opts::new(
            "forwards_total",
            "Requests sent on to the node that owns their user, by outcome (answered, unreachable, unanswered, refused: the peer refused the secret; handed_over: the owner then handed the user to this node)",
        ),
        &["outcome"],
    )?;
    register(&registry, &mut families, Box::new(ownership_changes.clone()))?;
    register(&registry, &mut families, Box::new(lease_renewals.clone()))?;
    let gamedata_reloads = IntCounterVec::new(
        Opts::new(
            "gamedata_reloads_total",
            "Game-data reloads (admin endpoint or SIGHUP), by outcome (swapped, unchanged, refused)",
        ),
        &["outcome"],
    )?;
    register(&registry, &mut families, Box::new(gamedata_reloads.clone()))?;
    register(&registry, &mut families, Box::new(lease_changes.clone()))?;
    register(&registry, &mut families, Box::new(forwards.clone()))?;
    let writes_unknown =
        IntCounter::new("writes_outcome_unknown_total", "Writes whose batch's commit got no answer in time")?;
    let logs_shipped =
        IntCounter::new("action_logs_shipped_total", "Action-log rows shipped from the game shards' outboxes")?;
    let deliveries = IntCounter::new(
        "deliveries_total",
        "Deliveries between users copied from a sender's outbox into the receiver's inbox",
    )?;
    let connections_refused = IntCounter::new(
        "connections_refused_total",
        "Connections to the public listener closed at once because their address held its cap (limits.connections_per_address)",
    )?;
    register(&registry, &mut families, Box::new(connections_refused.clone()))?;
    let deliveries_dead_lettered = IntCounter::new(
        "deliveries_dead_lettered_total",
        "Deliveries moved to the dead letters: rows that do not read as a delivery, or for a game shard this node does not know",
    )?;
    register(&registry, &mut families, Box::new(deliveries_dead_lettered.clone()))?;
    let deliveries_dropped =
        IntCounter::new("deliveries_dropped_total", "Deliveries dropped because their receiver has no account")?;
    let delivery_lag_seconds = Histogram::with_opts(
        HistogramOpts::new(
            "delivery_lag_seconds",
            "From the sender's request to the delivery's arrival in the receiver's inbox",
        )
        .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0]),
    )?;
    register(&registry, &mut families, Box::new(delivery_lag_seconds.clone()))?;
    let in_flight = IntGaugeVec::new(
        Opts::new("requests_in_flight", "API requests in flight by the stage they wait in"),
        &["stage"],
    )?;
    let mailbox_queued =
        IntGauge::new("user_mailbox_requests", "Requests admitted to user actors and not yet answered, in all")?;
    let mailbox_max_depth =
        IntGauge::new("user_mailbox_max_depth", "Requests admitted to the busiest user actor and not yet answered")?;
    let queue_depth = IntGaugeVec::new(
        Opts::new("persistence_queue_jobs", "Jobs in a shard's group-commit queue or its batch in flight"),
        &["shard"],
    )?;
    let queue_oldest_seconds = GaugeVec::new(
        Opts::new("persistence_oldest_job_seconds", "Age of the oldest job queued or in the batch of a shard"),
        &["shard"],
    )?;
    let redis_seconds = HistogramVec::new(
        HistogramOpts::new("redis_call_duration_seconds", "Redis round trips (a pipeline each) by shard")
            .buckets(vec![0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0]),
        &["shard"],
    )?;
    let scrape_seconds = Gauge::new("metrics_scrape_seconds", "How long the last scrape took to gather")?;
    let job_runs = IntCounterVec::new(
        Opts::new(
            "job_runs_total",
            "Runs of scheduled jobs (label task: Prometheus keeps job for the scrape) by outcome",
        ),
        &["task", "outcome"],
    )?;
    let job_seconds = HistogramVec::new(
        HistogramOpts::new("job_duration_seconds", "How long runs of scheduled jobs took")
            .buckets(vec![0.01, 0.05, 0.25, 1.0, 5.0, 15.0, 60.0, 300.0]),
        &["task"],
    )?;
    let job_items = IntCounterVec::new(
        Opts::new("job_items_total", "Rows, entries or key sets a scheduled job handled"),
        &["task"],
    )?;
    let job_last_success = GaugeVec::new(
        Opts::new("job_last_success_timestamp_seconds", "When a scheduled job last ran to its end (Unix time)"),
        &["task"],
    )?;
    register(&registry, &mut families, Box::new(job_runs.clone()))?;
    register(&registry, &mut families, Box::new(job_seconds.clone()))?;
    register(&registry, &mut families, Box::new(job_items.clone()))?;
    register(&registry, &mut families, Box::new(job_last_success.clone()))?;
    register(&registry, &mut families, Box::new(in_flight.clone()))?;
    register(&registry, &mut families, Box::new(mailbox_queued.clone()))?;
    register(&registry, &mut families, Box::new(mailbox_max_depth.clone()))?;
    register(&registry, &mut families, Box::new(queue_depth.clone()))?;
    register(&registry, &mut families, Box::new(queue_oldest_seconds.clone()))?;
    register(&registry, &mut families, Box::new(redis_seconds.clone()))?;
    register(&registry, &mut families, Box::new(scrape_seconds.clone()))?;
    // process_cpu_seconds_total, process_resident_memory_bytes, open file descriptors...
    #[cfg(target_os = "linux")]
    register(&registry, &mut families, Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
    for counter in [&writes_dropped, &writes_fenced, &writes_unknown, &logs_shipped, &deliveries, &deliveries_dropped] {
        register(&registry, &mut families, Box::new(counter.clone()))?;
    }
    register(&registry, &mut families, Box::new(cache_writes_behind.clone()))?;
    register(&registry, &mut families, Box::new(cache_writes_dropped.clone()))?;
    register(&registry, &mut families, Box::new(cache_round_trips.clone()))?;
    register(&registry, &mut families, Box::new(cache_commands.clone()))?;
    register(&registry, &mut families, Box::new(requests.clone()))?;
    register(&registry, &mut families, Box::new(request_seconds.clone()))?;
    register(&registry, &mut families, Box::new(live_actors.clone()))?;
    register(&registry, &mut families, Box::new(gamedata_version.clone()))?;
    register(&registry, &mut families, Box::new(batch_size.clone()))?;
    register(&registry, &mut families, Box::new(commit_seconds.clone()))?;
    let statements = CounterVec::new(
        Opts::new(
            "statements_total",
            "Statements the databases ran, by the operation served: a request's reads whole, an even share of each \
             group-commit batch per job in it; `background` for anything outside a request's task (couriers, \
             jobs, sweeps, activations, session writes, inbox re-reads, start-up) and everything on SQLite",
        ),
        &["op"],
    )?;
    register(&registry, &mut families, Box::new(statements.clone()))?;
    let allocations = IntCounter::new(
        "allocations_total",
        "Heap allocations of the process so far (brought up to date when scraped; 0 if not counted)",
    )?;
    register(&registry, &mut families, Box::new(allocations.clone()))?;
    families.sort();
    Ok(Metrics {
        registry,
        families,
        requests,
        errors,
        request_seconds,
        live_actors,
        gamedata_version,
        batch_size,
        commit_seconds,
        cache_round_trips,
        cache_commands,
        session_store_lookups,
        session_lookups_over_budget,
        unknown_tokens_remembered,
        cache_writes_behind,
        cache_writes_dropped,
        writes_dropped,
        writes_fenced,
        ownership_changes,
        lease_renewals,
        gamedata_reloads,
        lease_changes,
        forwards,
        writes_unknown,
        logs_shipped,
        deliveries,
        deliveries_dropped,
        deliveries_dead_lettered,
        connections_refused,
        delivery_lag_seconds,
        in_flight,
        mailbox_queued,
        mailbox_max_depth,
        queue_depth,
        queue_oldest_seconds,
        redis_seconds,
        scrape_seconds,
        job_runs,
        job_seconds,
        job_items,
        job_last_success,
        statements,
        allocations,
    })
}

/// The process's metrics. Building them can only fail on a programming error (a duplicate
/// or malformed name), which the tests would show at once.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| build().expect("metric definitions are valid"));

/// The registry in Prometheus's text format, as a scrape reads it.
pub fn encode() -> Result<Vec<u8>, prometheus::Error> {
    let mut body = Vec::new();
    TextEncoder::new().encode(&METRICS.registry.gather(), &mut body)?;
    Ok(body)
}
