//! The sign-in providers' published keys, read ahead of time (with the jobs' 30 s bound),
//! so a sign-in rarely waits for a fetch on its own path (3–9 s).

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{JOB_HTTP_TIMEOUT, Job};
use crate::service::oidc::Providers;

/// Reads every provider's keys again.
pub struct RefreshKeys {
    providers: Arc<Providers>,
}

impl RefreshKeys {
    pub fn new(providers: Arc<Providers>) -> Self {
        Self { providers }
    }
}

impl Job for RefreshKeys {
    fn name(&self) -> &'static str {
        "signing_keys"
    }

    /// Each node checks tokens against the keys in its own memory.
    fn on_every_node(&self) -> bool {
        true
    }

    fn unit(&self) -> &'static str {
        "key sets read"
    }

    fn run(&self, _now_ms: i64) -> BoxFuture<'static, Result<u64, String>> {
        let providers = self.providers.clone();
        async move { providers.refresh_all(JOB_HTTP_TIMEOUT).await }.boxed()
    }
}
