DROP INDEX action_log_user_log ON action_log;
