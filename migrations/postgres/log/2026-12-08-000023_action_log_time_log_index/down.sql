DROP INDEX CONCURRENTLY action_log_at_log;
