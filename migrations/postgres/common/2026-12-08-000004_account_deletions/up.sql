-- Accounts whose deletion was asked for (DeleteAccount). A row waits out its grace period
-- (phase 0; a Login asking to cancel it deletes it), is erased step by step (phases 1 and 2), and
-- stays once done (phase 3) as the record that the erasure was carried out: it holds the
-- user id and times, nothing about the player.
CREATE TABLE account_deletions (
    user_id         BIGINT PRIMARY KEY NOT NULL,
    game_shard      SMALLINT NOT NULL,
    log_shard       SMALLINT NOT NULL,
    requested_at_ms BIGINT NOT NULL,
    due_at_ms       BIGINT NOT NULL,
    phase           SMALLINT NOT NULL DEFAULT 0,
    phase_at_ms     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX account_deletions_due ON account_deletions (phase, due_at_ms);
