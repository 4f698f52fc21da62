-- The key of each user's random streams: 256 bits from the operating system's generator, as
-- 64 hex digits. Users from before keep the stream of their 63-bit rng_seed and get "side:"
-- and 64 hex digits: a key for the streams shown to the client only (src/game/profile.rs).
ALTER TABLE users ADD COLUMN rng_key VARCHAR(80) NOT NULL DEFAULT '';
