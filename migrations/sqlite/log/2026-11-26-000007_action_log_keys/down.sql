DROP INDEX action_log_log_id;
ALTER TABLE action_log DROP COLUMN log_id;
