-- Clan actions' results are kept for retries (clan_ops) only for a while: a job deletes
-- those past the retry window by this time (src/jobs/sweeps.rs).
CREATE INDEX IF NOT EXISTS clan_ops_at ON clan_ops (at_ms);
