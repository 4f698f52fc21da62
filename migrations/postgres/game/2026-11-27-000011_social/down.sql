DROP TABLE friend_requests;
DROP TABLE inbox;
DROP TABLE outbox;
ALTER TABLE friends DROP COLUMN friend_shard;
ALTER TABLE friends DROP COLUMN gift_again_at_ms;
ALTER TABLE friends DROP COLUMN visit_again_at_ms;
ALTER TABLE users DROP COLUMN leader;
