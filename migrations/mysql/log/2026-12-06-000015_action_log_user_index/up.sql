-- A user's own action log, newest first (ListSummons, an operator's history): an index
-- scan by (user, log id). InnoDB builds a secondary index online: inserts go on meanwhile.
CREATE INDEX action_log_user_log ON action_log (user_id, log_id);
