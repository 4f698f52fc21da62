-- rng_key holds "side:" and 64 hex digits for a user from before keys (69 characters): wide
-- enough on a database that ran the first form of 000019 (VARCHAR(64)), a no-op on others.
ALTER TABLE users MODIFY rng_key VARCHAR(80) NOT NULL DEFAULT '';
