-- Teams (a few slots of up to five monster ids each) and open battles (one row per battle
-- started and not yet finished, keyed by its single-use token, with the monsters that fight
-- it and both powers as of its start). New tables only.

CREATE TABLE teams (
    user_id     BIGINT NOT NULL,
    slot        BIGINT NOT NULL,
    members     TEXT NOT NULL,
    owner_epoch BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, slot)
);

CREATE TABLE battles (
    user_id       BIGINT NOT NULL,
    token         BIGINT NOT NULL,
    stage_key     TEXT NOT NULL,
    team_slot     BIGINT NOT NULL,
    members       TEXT NOT NULL,
    power         BIGINT NOT NULL,
    enemy_power   BIGINT NOT NULL,
    started_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    owner_epoch   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, token)
);
