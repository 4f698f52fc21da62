DROP TABLE friend_requests;
DROP TABLE inbox;
DROP TABLE outbox;
ALTER TABLE friends DROP COLUMN friend_shard;
ALTER TABLE users DROP COLUMN leader;
