-- Action-log retention (src/jobs/sweeps.rs) deletes by time.
CREATE INDEX action_log_at ON action_log (at_ms);
