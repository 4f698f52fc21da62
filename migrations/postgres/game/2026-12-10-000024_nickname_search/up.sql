-- Operators find players by a nickname prefix, whatever its case (src/storage/db_store/console.rs):
-- `lower(nickname) LIKE 'prefix%'` is an index range with text_pattern_ops, whatever the
-- database's collation. Built without blocking the writes of running servers (so outside a
-- transaction, one statement). If it fails half-way it leaves an invalid index and is not
-- recorded as applied: the next start drops the invalid index and builds it again
-- (src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY users_nickname_lower ON users (lower(nickname) text_pattern_ops);
