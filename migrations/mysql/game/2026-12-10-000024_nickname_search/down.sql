DROP INDEX users_nickname ON users;
