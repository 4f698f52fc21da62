DROP INDEX CONCURRENTLY users_nickname_lower;
