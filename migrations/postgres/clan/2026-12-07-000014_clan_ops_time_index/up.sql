-- Clan actions' results are kept for retries (clan_ops) only for a while: a job deletes
-- those past the retry window by this time (src/jobs/sweeps.rs). Built without blocking the
-- clan actions of running servers (so outside a transaction, one statement). If it fails
-- half-way it leaves an invalid index and is not recorded as applied; the next start drops
-- the invalid index and builds it again (src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY IF NOT EXISTS clan_ops_at ON clan_ops (at_ms);
