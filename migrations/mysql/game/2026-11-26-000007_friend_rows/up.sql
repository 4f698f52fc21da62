-- The comma-separated friend lists become rows; since_ms keeps their order (1, 2, ...), as
-- the lists recorded no times. Idempotent (rows already there are kept), so it can run again
-- before users.friends is dropped, to take friends older code added meanwhile.
INSERT INTO friends (user_id, friend_id, since_ms, owner_epoch)
SELECT s.user_id, s.friend_id, s.n, 0 FROM (
    SELECT u.user_id AS user_id,
           CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(u.friends, ',', n.n), ',', -1) AS SIGNED) AS friend_id,
           n.n AS n
    FROM users u
    JOIN (SELECT a.d + 10 * b.d + 100 * c.d + 1 AS n
          FROM (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a
          CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b
          CROSS JOIN (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c) n
      ON n.n <= 1 + LENGTH(u.friends) - LENGTH(REPLACE(u.friends, ',', ''))
    WHERE u.friends <> ''
) AS s
WHERE s.friend_id <> 0
ON DUPLICATE KEY UPDATE since_ms = friends.since_ms;
