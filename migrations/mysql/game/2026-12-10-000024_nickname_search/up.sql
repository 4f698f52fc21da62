-- Operators find players by a nickname prefix, whatever its case (src/storage/db_store/console.rs):
-- under the column's case-insensitive collation, `nickname LIKE 'prefix%'` is an index range.
-- The index holds the first 64 characters (the game data bounds nicknames far below). InnoDB builds a
-- secondary index online: writes go on meanwhile.
CREATE INDEX users_nickname ON users (nickname(64));
