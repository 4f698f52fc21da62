DROP INDEX clan_ops_at ON clan_ops;
