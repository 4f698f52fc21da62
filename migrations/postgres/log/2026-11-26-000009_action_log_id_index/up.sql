-- Built without blocking the inserts of running servers (so outside a transaction).
CREATE UNIQUE INDEX CONCURRENTLY action_log_log_id ON action_log (log_id);
