-- Clans in play: open or by-request joining, a member count the seat limit is checked
-- against, a version every change of the clan moves (changes are committed only if the
-- version they were decided on is still the clan's), the day's check-ins; members' roles
-- (0 leader, 1 officer, 2 member) and when their check-in of the day stops counting; requests to join; and the result of every clan action by
-- (user, session, seq), written in the action's transaction, so a retried request finds its
-- own result. Expand-only; existing clans get their member counts and leaders' roles.

ALTER TABLE clans ADD COLUMN open_join BIGINT NOT NULL DEFAULT 1;
ALTER TABLE clans ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clans ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clans ADD COLUMN checkin_resets_at_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clans ADD COLUMN checkins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clan_members ADD COLUMN role BIGINT NOT NULL DEFAULT 2;
ALTER TABLE clan_members ADD COLUMN checkin_resets_at_ms BIGINT NOT NULL DEFAULT 0;

UPDATE clans SET member_count = (SELECT COUNT(*) FROM clan_members m WHERE m.clan_id = clans.clan_id);
UPDATE clan_members SET role = 0
WHERE EXISTS (SELECT 1 FROM clans c WHERE c.clan_id = clan_members.clan_id AND c.leader_id = clan_members.user_id);

CREATE TABLE clan_requests (
    clan_id         BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    requested_at_ms BIGINT NOT NULL,
    PRIMARY KEY (clan_id, user_id)
);
CREATE INDEX clan_requests_user ON clan_requests (user_id);

CREATE TABLE clan_ops (
    user_id    BIGINT NOT NULL,
    session_id BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    result     MEDIUMBLOB NOT NULL,
    at_ms      BIGINT NOT NULL,
    PRIMARY KEY (user_id, session_id, seq)
);

-- What a clan action does to other users (news of it, the day's reward), written in the
-- action's transaction and delivered to their inboxes like the game shards' outboxes
-- (named apart from theirs: the kinds of database may share one).
CREATE TABLE clan_outbox (
    delivery_id   BIGINT PRIMARY KEY NOT NULL,
    sender_id     BIGINT NOT NULL,
    sender_shard  INTEGER NOT NULL,
    receiver_id   BIGINT NOT NULL,
    kind          VARCHAR(191) NOT NULL,
    body          MEDIUMBLOB NOT NULL,
    created_at_ms BIGINT NOT NULL
);
