DROP INDEX clan_ops_at;
