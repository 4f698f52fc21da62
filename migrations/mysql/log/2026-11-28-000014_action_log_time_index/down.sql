DROP INDEX action_log_at ON action_log;
