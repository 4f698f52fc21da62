-- Deliveries the courier could not carry, moved out of the clan database's `clan_outbox` so they
-- do not stay at the head of its query and hold up the rest: rows that do not read as a
-- delivery, and rows for a game shard the delivering node does not know. The outbox's
-- columns, why, and when; shown by GET /admin/dead-letters and put back in the outbox by
-- POST /admin/dead-letters/requeue once the cause is mended.
CREATE TABLE dead_letters (
    delivery_id   BIGINT PRIMARY KEY NOT NULL,
    sender_id     BIGINT NOT NULL,
    sender_shard  INTEGER NOT NULL,
    receiver_id   BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    body          BLOB NOT NULL,
    created_at_ms BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    dead_at_ms    BIGINT NOT NULL
);

