-- The clan database (one): clans and their members. Members are user ids of any game
-- shard; no foreign key crosses databases.
CREATE TABLE clans (
    clan_id       BIGINT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL UNIQUE,
    leader_id     BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE clan_members (
    clan_id      BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    joined_at_ms BIGINT NOT NULL,
    PRIMARY KEY (clan_id, user_id)
);
CREATE UNIQUE INDEX clan_members_user ON clan_members (user_id);
