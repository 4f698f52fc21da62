ALTER TABLE sessions DROP COLUMN ended_by_seq;
ALTER TABLE sessions DROP COLUMN ended_at_ms;
