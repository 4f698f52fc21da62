-- Entity state: each kind of thing a user owns in its own table keyed by (user_id, entity
-- id); the owner epoch that fences commits (users.owner_epoch) and records the writer of
-- every other row; the block of ids a user's new entities take (id_next..id_end); and the
-- action-log outbox. Expand-only: old code keeps working while this runs (new columns have
-- constant defaults, nothing is dropped or renamed; users.friends stays, and the next
-- migration copies it into the friends table, in its own transaction so that the brief
-- lock these ALTERs take is not held while it reads every user).

ALTER TABLE users ADD COLUMN owner_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN id_next BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN id_end BIGINT NOT NULL DEFAULT 0;
ALTER TABLE last_replies ADD COLUMN owner_epoch BIGINT NOT NULL DEFAULT 0;

CREATE TABLE monsters (
    user_id        BIGINT NOT NULL,
    monster_id     BIGINT NOT NULL,
    template       TEXT NOT NULL,
    level          BIGINT NOT NULL,
    exp            BIGINT NOT NULL,
    grade          BIGINT NOT NULL,
    locked         BIGINT NOT NULL,
    acquired_at_ms BIGINT NOT NULL,
    owner_epoch    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, monster_id)
);

CREATE TABLE friends (
    user_id     BIGINT NOT NULL,
    friend_id   BIGINT NOT NULL,
    since_ms    BIGINT NOT NULL,
    owner_epoch BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, friend_id)
);

CREATE TABLE quests (
    user_id         BIGINT NOT NULL,
    quest_id        TEXT NOT NULL,
    progress        BIGINT NOT NULL,
    completed_at_ms BIGINT NOT NULL,
    claimed_at_ms   BIGINT NOT NULL,
    resets_at_ms    BIGINT NOT NULL,
    owner_epoch     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, quest_id)
);

CREATE TABLE mail (
    user_id       BIGINT NOT NULL,
    mail_id       BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    sender_id     BIGINT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    attachments   BLOB NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    read_at_ms    BIGINT NOT NULL,
    claimed_at_ms BIGINT NOT NULL,
    owner_epoch   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, mail_id)
);

CREATE TABLE stages (
    user_id             BIGINT NOT NULL,
    stage_key           TEXT NOT NULL,
    stars               BIGINT NOT NULL,
    clears              BIGINT NOT NULL,
    first_cleared_at_ms BIGINT NOT NULL,
    best_time_ms        BIGINT NOT NULL,
    owner_epoch         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, stage_key)
);

CREATE TABLE counters (
    user_id      BIGINT NOT NULL,
    counter      TEXT NOT NULL,
    value        BIGINT NOT NULL,
    resets_at_ms BIGINT NOT NULL,
    owner_epoch  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, counter)
);

-- Action-log rows committed with the change they record, until shipped to the log shard.
CREATE TABLE log_outbox (
    log_id    BIGINT PRIMARY KEY NOT NULL,
    user_id   BIGINT NOT NULL,
    log_shard INTEGER NOT NULL,
    action    TEXT NOT NULL,
    params    TEXT NOT NULL,
    result    TEXT NOT NULL,
    at_ms     BIGINT NOT NULL
);
