-- Action-log retention (src/jobs/sweeps.rs) deletes by time. InnoDB builds a secondary
-- index online: inserts go on meanwhile.
CREATE INDEX action_log_at ON action_log (at_ms);
