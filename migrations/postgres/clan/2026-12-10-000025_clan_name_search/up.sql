-- Clans found by the start of their name (SearchClans, the operators' search by clan): the
-- unique index on the name serves equality only under the database's collation, so a
-- `name LIKE 'prefix%'` needs text_pattern_ops to be an index range. Built without blocking
-- the clan actions of running servers (so outside a transaction, one statement). If it fails
-- half-way it leaves an invalid index and is not recorded as applied; the next start drops
-- the invalid index and builds it again (src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY IF NOT EXISTS clans_name_prefix ON clans (name text_pattern_ops);
