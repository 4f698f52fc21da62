ALTER TABLE sessions DROP COLUMN ended_at_ms;
