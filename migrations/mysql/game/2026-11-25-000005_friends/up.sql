-- A user's friend list: the friends' user ids, comma-separated, in the order they were added.
ALTER TABLE users ADD COLUMN friends TEXT NOT NULL DEFAULT '';
