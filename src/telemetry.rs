//! Log output (human-readable or JSON lines, filtered by config or `RUST_LOG`) and error
//! reporting: with a Sentry DSN, panics and error-level events (every 500) go to Sentry,
//! lower levels ride along as breadcrumbs. Session tokens are never logged, so they never
//! reach Sentry either.

use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogConfig, LogFormat, SentryConfig};

/// Starts the Sentry client if a DSN is configured; keep the guard alive while serving (it
/// flushes pending events when dropped).
pub fn init_sentry(config: &SentryConfig) -> Option<sentry::ClientInitGuard> {
    let dsn = config.dsn.parse::<sentry::types::Dsn>().ok()?;
    let mut options = sentry::ClientOptions::default();
    options.dsn = Some(dsn);
    options.release = sentry::release_name!();
    options.send_default_pii = false;
    if !config.environment.is_empty() {
        options.environment = Some(config.environment.clone().into());
    }
    Some(sentry::init(options))
}

/// Installs the global subscriber, writing to stdout. Later calls (tests starting several
/// servers) are no-ops.
pub fn init(config: &LogConfig) {
    init_with_writer(config, std::io::stdout);
}

/// Installs the global subscriber, writing to `writer`.
pub fn init_with_writer<W>(config: &LogConfig, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.filter));
    let output = match config.format {
        LogFormat::Human => tracing_subscriber::fmt::layer().with_writer(writer).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
    };
    // Without a Sentry client these layers have nowhere to send and cost nothing.
    let errors = ErrorLayer::new().with_filter(LevelFilter::ERROR);
    let breadcrumbs = BreadcrumbLayer::new().with_filter(LevelFilter::INFO);
    let _ = tracing_subscriber::registry().with(filter).with(output).with(errors).with(breadcrumbs).try_init();
}
