-- Bot scores of the users placed on this log shard, one row per user and game day
-- (src/jobs/bot_scores.rs, src/game/bot_score.rs): the score in thousandths and the
-- features behind it as JSON. Read by day, highest first (GET /admin/suspects).
CREATE TABLE bot_scores (
    user_id      BIGINT NOT NULL,
    day_ms       BIGINT NOT NULL,
    score_milli  BIGINT NOT NULL,
    features     TEXT NOT NULL,
    scored_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, day_ms)
);
CREATE INDEX bot_scores_day_score ON bot_scores (day_ms, score_milli);
