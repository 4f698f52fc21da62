-- A user's profile on its game shard. Unsigned values are stored as their 64-bit pattern.
CREATE TABLE users (
    user_id       BIGINT PRIMARY KEY NOT NULL,
    nickname      TEXT NOT NULL,
    level         INTEGER NOT NULL,
    exp           BIGINT NOT NULL,
    gold          BIGINT NOT NULL,
    gems          BIGINT NOT NULL,
    stamina       INTEGER NOT NULL,
    stamina_at_ms BIGINT NOT NULL,
    rng_seed      BIGINT NOT NULL,
    rng_word_pos  BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- The last applied request of the user's session and its encoded answer, written in the
-- same transaction as the change it made, so a retry after a crash is answered, not re-applied.
CREATE TABLE last_replies (
    user_id    BIGINT PRIMARY KEY NOT NULL,
    session_id BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    response   BLOB NOT NULL
);
