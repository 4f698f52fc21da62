DROP INDEX CONCURRENTLY action_log_user_log;
