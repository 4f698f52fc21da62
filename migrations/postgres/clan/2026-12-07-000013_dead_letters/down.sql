DROP INDEX clan_ops_at;
DROP TABLE dead_letters;
