DROP INDEX CONCURRENTLY clans_name_prefix;
