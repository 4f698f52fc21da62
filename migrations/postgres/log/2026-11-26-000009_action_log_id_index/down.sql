DROP INDEX CONCURRENTLY action_log_log_id;
