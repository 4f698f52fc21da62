-- A day of the action log read page by page in (time, log id) order (the bot-scoring run).
CREATE INDEX action_log_at_log ON action_log (at_ms, log_id);
