-- The action log of the users placed on this log shard: one row per state-changing action.
CREATE TABLE action_log (
    id      BIGINT PRIMARY KEY AUTO_INCREMENT,
    user_id BIGINT NOT NULL,
    action  VARCHAR(191) NOT NULL,
    params  TEXT NOT NULL,
    result  TEXT NOT NULL,
    at_ms   BIGINT NOT NULL
);
CREATE INDEX action_log_user_time ON action_log (user_id, at_ms);
