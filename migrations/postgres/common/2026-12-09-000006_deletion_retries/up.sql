-- An erasure step that failed is tried again later, later each time (failures counts them),
-- so deletions that cannot go on do not hold up the others.
ALTER TABLE account_deletions ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_deletions ADD COLUMN retry_at_ms BIGINT NOT NULL DEFAULT 0;
