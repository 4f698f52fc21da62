DROP TABLE shards;
DROP TABLE sessions;
DROP TABLE account_auth;
DROP TABLE accounts;
