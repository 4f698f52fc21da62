-- Built without blocking the inserts of running servers (so outside a transaction). If it
-- fails half-way it leaves an invalid index and is not recorded as applied: the next
-- start drops the invalid index and builds it again (src/storage/migrations.rs).
CREATE UNIQUE INDEX CONCURRENTLY action_log_log_id ON action_log (log_id);
