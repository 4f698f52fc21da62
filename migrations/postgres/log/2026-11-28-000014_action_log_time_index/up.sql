-- Action-log retention (src/jobs/sweeps.rs) deletes by time. Built without blocking the
-- inserts of running servers (so outside a transaction, one statement). If it fails half-way
-- it leaves an invalid index and is not recorded as applied: the next
-- start drops the invalid index and builds it again (src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY action_log_at ON action_log (at_ms);
