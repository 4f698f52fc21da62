-- A user's own action log, newest first (ListSummons, an operator's history).
CREATE INDEX action_log_user_log ON action_log (user_id, log_id);
