DROP INDEX action_log_user_log;
