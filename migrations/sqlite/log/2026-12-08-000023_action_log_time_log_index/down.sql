DROP INDEX action_log_at_log;
