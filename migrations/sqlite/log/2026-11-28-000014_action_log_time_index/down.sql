DROP INDEX action_log_at;
