-- The comma-separated friend lists become rows; since_ms keeps their order (1, 2, ...), as
-- the lists recorded no times. Idempotent (rows already there are kept), so it can run again
-- before users.friends is dropped, to take friends older code added meanwhile.
INSERT OR IGNORE INTO friends (user_id, friend_id, since_ms, owner_epoch)
WITH RECURSIVE split(user_id, rest, id, ord) AS (
    SELECT user_id, friends || ',', '', 0 FROM users WHERE friends <> ''
    UNION ALL
    SELECT user_id, substr(rest, instr(rest, ',') + 1), substr(rest, 1, instr(rest, ',') - 1), ord + 1
    FROM split WHERE rest <> ''
)
SELECT user_id, CAST(id AS INTEGER), ord, 0 FROM split WHERE id <> '';
