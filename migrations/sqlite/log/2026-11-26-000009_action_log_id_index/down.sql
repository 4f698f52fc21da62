DROP INDEX action_log_log_id;
