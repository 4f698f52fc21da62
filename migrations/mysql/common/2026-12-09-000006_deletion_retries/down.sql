ALTER TABLE account_deletions DROP COLUMN retry_at_ms;
ALTER TABLE account_deletions DROP COLUMN failures;
