-- A user's own action log of one action, newest first (ListSummons): an index
-- scan by (user, action, log id) instead of every row of the user sorted. Built without blocking
-- the inserts of running servers (so outside a transaction, one statement). If it fails
-- half-way it leaves an invalid index and is not recorded as applied: the next
-- start drops the invalid index and builds it again (src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY action_log_user_log ON action_log (user_id, action, log_id);
