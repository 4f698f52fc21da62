DROP INDEX action_log_log_id ON action_log;
ALTER TABLE action_log DROP COLUMN log_id;
