CREATE UNIQUE INDEX action_log_log_id ON action_log (log_id);
