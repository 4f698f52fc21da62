-- A day of the action log read page by page in (time, log id) order (the bot-scoring run):
-- an index range from the last row read, not a scan from the day's start per page. Built
-- without blocking the inserts of running servers (so outside a transaction, one
-- statement). If it fails half-way it leaves an invalid index and is not recorded as
-- applied: the next start drops the invalid index and builds it again
-- (src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY action_log_at_log ON action_log (at_ms, log_id);
