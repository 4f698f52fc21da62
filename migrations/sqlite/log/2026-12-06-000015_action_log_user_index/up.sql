-- A user's own action log of one action, newest first (ListSummons).
CREATE INDEX action_log_user_log ON action_log (user_id, action, log_id);
