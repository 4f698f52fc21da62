DROP INDEX users_nickname_nocase;
