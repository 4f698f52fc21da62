-- Operators find players by a nickname prefix, whatever its case (src/storage/db_store/console.rs):
-- SQLite's LIKE folds ASCII letters, and turns a constant prefix into a range of a NOCASE index.
CREATE INDEX users_nickname_nocase ON users (nickname COLLATE NOCASE);
