DROP TABLE last_replies;
DROP TABLE users;
