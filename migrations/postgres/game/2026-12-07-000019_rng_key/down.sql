-- One-way: keyed users' streams fall back to their 63-bit seeds, and their keyed draws
-- no longer replay (docs/ECONOMY.md).
ALTER TABLE users DROP COLUMN rng_key;
