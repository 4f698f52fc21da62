-- Clans found by the start of their name (SearchClans, the operators' search by clan):
-- SQLite's LIKE folds ASCII letters, so only a NOCASE index turns `name LIKE 'prefix%'`
-- into a range (MySQL's unique index on the name already does, under its collation).
CREATE INDEX clans_name_nocase ON clans (name COLLATE NOCASE);
