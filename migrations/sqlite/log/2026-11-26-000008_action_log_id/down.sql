ALTER TABLE action_log DROP COLUMN log_id;
