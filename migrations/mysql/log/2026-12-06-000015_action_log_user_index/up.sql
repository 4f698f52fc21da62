-- A user's own action log of one action, newest first (ListSummons): an index
-- scan by (user, action, log id). InnoDB builds a secondary index online: inserts go on meanwhile.
CREATE INDEX action_log_user_log ON action_log (user_id, action, log_id);
