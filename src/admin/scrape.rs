//! `GET /metrics` on the admin listener: the gauges read at scrape time (requests in flight
//! by stage, mailboxes, shard queues, live actors, the game-data version, cache traffic) set
//! from the live server, then the registry (`crate::metrics`) in Prometheus's text format.

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{HttpResponse, web};
use summoner_actors::Stage;

use crate::admin::AdminState;
use crate::admin::error::{AdminError, AdminResult};
use crate::metrics::{self, METRICS};

/// Mounts `GET /metrics`.
pub fn routes(config: &mut web::ServiceConfig) {
    config.route("/metrics", web::get().to(scrape));
}

/// The allocation count the counter holds so far.
static PUBLISHED_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

async fn scrape(state: web::Data<AdminState>) -> AdminResult {
    let started = std::time::Instant::now();
    let metrics = &*METRICS;
    for (stage, count) in Stage::ALL.iter().zip(state.in_flight.by_stage()) {
        metrics.in_flight.with_label_values(&[stage.as_str()]).set(count as i64);
    }
    let (queued, deepest) = state.directory.mailbox_depths();
    metrics.mailbox_queued.set(queued as i64);
    metrics.mailbox_max_depth.set(deepest as i64);
    metrics.live_actors.set(state.directory.live_actors() as i64);
    // A counter brought up to the allocator's own count (which only grows); scrapes may run
    // at once, so each adds only what no other has published.
    let now = crate::allocations::total();
    let published = PUBLISHED_ALLOCATIONS.fetch_max(now, Ordering::AcqRel);
    metrics.allocations.inc_by(now.saturating_sub(published));
    state.operators.sample_gauges();
    metrics.scrape_seconds.set(started.elapsed().as_secs_f64());
    let body = metrics::encode().map_err(|e| AdminError::Internal(format!("metrics could not be encoded: {e}")))?;
    Ok(HttpResponse::Ok().content_type(prometheus::TEXT_FORMAT).body(body))
}
