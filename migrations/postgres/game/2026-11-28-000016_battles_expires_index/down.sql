DROP INDEX CONCURRENTLY battles_expires_at;
