-- Accounts, their sign-in ids and their sessions: the common database (one, not sharded).
CREATE TABLE accounts (
    user_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    gamedb_shard_no SMALLINT NOT NULL,
    logdb_shard_no  SMALLINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL
);

-- One row per way of signing in: ('device', id) for guests, (platform, id) otherwise.
CREATE TABLE account_auth (
    provider      TEXT NOT NULL,
    auth_id       TEXT NOT NULL,
    user_id       BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (provider, auth_id)
);
CREATE INDEX account_auth_user ON account_auth (user_id);

-- The user's current session; token_hash is NULL when there is none. Only the SHA-256 of
-- the token is stored.
CREATE TABLE sessions (
    user_id       BIGINT PRIMARY KEY NOT NULL,
    session_id    BIGINT NOT NULL,
    token_hash    BLOB UNIQUE,
    expires_at_ms BIGINT NOT NULL
);
