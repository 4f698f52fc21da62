//! Statements counted by the operation they serve (`summoner_statements_total`): one run
//! inside a request's task counts for that request's operation (its reads); those of a
//! group-commit batch are shared evenly among the batch's jobs, each credited to the
//! operation that made it; the rest (couriers, scheduled jobs, sweeps, start-up) count as
//! `background`. Every connection's instrumentation calls [`started`] once per statement.
//!
//! Where the request is not known the statement counts as background: anything outside a
//! request's task, such as a user's activation, session writes and inbox re-reads after a
//! delivery (run in the actor between requests), the operators' console and start-up; and
//! everything on SQLite, whose statements run on blocking threads (the embedded target's
//! split by operation is empty). Totals are exact on every backend.

use std::cell::Cell;
use std::future::Future;

use summoner_actors::in_flight;

/// What statements outside any request count for.
pub const BACKGROUND: &str = "background";

tokio::task_local! {
    /// Statements a batch ran so far, when the task runs one.
    static BATCH: Cell<u64>;
}

/// The operation the current task serves: its request's, else [`BACKGROUND`].
pub fn serving() -> &'static str {
    in_flight::current_op().unwrap_or(BACKGROUND)
}

/// A connection started a statement.
pub(crate) fn started() {
    if BATCH.try_with(|n| n.set(n.get() + 1)).is_ok() {
        return;
    }
    crate::metrics::METRICS.statements.with_label_values(&[serving()]).inc();
}

/// Runs a batch's `work`, counting its statements apart; answers its output and their count.
pub async fn in_batch<F: Future>(work: F) -> (F::Output, u64) {
    BATCH
        .scope(Cell::new(0), async move {
            let out = work.await;
            (out, BATCH.with(Cell::get))
        })
        .await
}

/// Shares `statements` a batch ran evenly among its jobs, made for operations `ops`.
pub fn credit(ops: &[&'static str], statements: u64) {
    if ops.is_empty() || statements == 0 {
        return;
    }
    let share = statements as f64 / ops.len() as f64;
    let metrics = &crate::metrics::METRICS;
    for op in ops {
        metrics.statements.with_label_values(&[op]).inc_by(share);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(op: &str) -> f64 {
        crate::metrics::METRICS.statements.with_label_values(&[op]).get()
    }

    #[tokio::test]
    async fn a_statement_in_a_request_counts_for_its_operation_and_outside_one_for_background() {
        let registry = std::sync::Arc::new(in_flight::InFlight::default());
        let tracked = registry.begin(std::time::Duration::from_secs(60));
        tracked.probe().set_op("TestOwnOp");
        let before = counted("TestOwnOp");
        in_flight::traced(Some(tracked.probe().clone()), async {
            started();
            started();
        })
        .await;
        assert_eq!(counted("TestOwnOp") - before, 2.0);
        assert_eq!(serving(), BACKGROUND);
    }

    #[tokio::test]
    async fn a_batch_counts_apart_and_shares_its_statements_among_its_jobs() {
        let (before_a, before_b) = (counted("TestShareA"), counted("TestShareB"));
        let ((), ran) = in_batch(async {
            for _ in 0..3 {
                started();
            }
        })
        .await;
        assert_eq!(ran, 3);
        credit(&["TestShareA", "TestShareA", "TestShareB"], ran);
        assert_eq!(counted("TestShareA") - before_a, 2.0);
        assert_eq!(counted("TestShareB") - before_b, 1.0);
    }
}
