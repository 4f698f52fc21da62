DROP TABLE clan_ops;
DROP TABLE clan_requests;
ALTER TABLE clan_members DROP COLUMN role;
ALTER TABLE clans DROP COLUMN checkins;
ALTER TABLE clans DROP COLUMN checkin_resets_at_ms;
ALTER TABLE clans DROP COLUMN version;
ALTER TABLE clans DROP COLUMN member_count;
ALTER TABLE clans DROP COLUMN open_join;
