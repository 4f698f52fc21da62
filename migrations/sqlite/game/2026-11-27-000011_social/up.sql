-- Between players. An effect on another user is written in the sender's commit as an outbox
-- row on the sender's shard, then copied by the shard's delivery courier into the receiver's
-- inbox (keyed by the delivery id, so a second copy after a crash is the same row), and
-- applied by the receiver's own actor, which marks the inbox row applied in the same commit.
-- An applied row stays as the record that the delivery arrived until its outbox row is gone
-- (then no second copy can come), and is purged after.
-- Friend requests are rows on both sides; friend rows and requests remember the other
-- user's game shard, so a friend list reads one query per shard. users.leader is the first
-- monster of the first team, as friends see it. Expand-only: new tables, new columns with
-- constant defaults.

CREATE TABLE outbox (
    delivery_id   BIGINT PRIMARY KEY NOT NULL,
    sender_id     BIGINT NOT NULL,
    sender_shard  INTEGER NOT NULL,
    receiver_id   BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    body          BLOB NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE inbox (
    user_id       BIGINT NOT NULL,
    delivery_id   BIGINT NOT NULL,
    sender_id     BIGINT NOT NULL,
    sender_shard  INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    body          BLOB NOT NULL,
    sent_at_ms    BIGINT NOT NULL,
    applied_at_ms BIGINT NOT NULL,
    owner_epoch   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, delivery_id)
);

CREATE TABLE friend_requests (
    user_id     BIGINT NOT NULL,
    other_id    BIGINT NOT NULL,
    outgoing    BIGINT NOT NULL,
    other_shard INTEGER NOT NULL,
    sent_at_ms  BIGINT NOT NULL,
    owner_epoch BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, other_id)
);

CREATE INDEX inbox_applied ON inbox (applied_at_ms);

ALTER TABLE friends ADD COLUMN friend_shard INTEGER NOT NULL DEFAULT -1;
ALTER TABLE users ADD COLUMN leader TEXT NOT NULL DEFAULT '';
