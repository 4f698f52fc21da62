-- Action-log rows are shipped from the game shards' outboxes keyed by log_id, so a row
-- shipped twice (after a crash) is stored once. Expand-only: existing rows keep a NULL log_id.
ALTER TABLE action_log ADD COLUMN log_id BIGINT;
