-- The comma-separated friend lists become rows; since_ms keeps their order (1, 2, ...), as
-- the lists recorded no times. Idempotent (rows already there are kept), so it can run again
-- before users.friends is dropped, to take friends older code added meanwhile.
INSERT INTO friends (user_id, friend_id, since_ms, owner_epoch)
SELECT u.user_id, CAST(f.id AS BIGINT), f.ord, 0
FROM users u CROSS JOIN LATERAL unnest(string_to_array(u.friends, ',')) WITH ORDINALITY AS f(id, ord)
WHERE u.friends <> '' AND f.id <> ''
ON CONFLICT (user_id, friend_id) DO NOTHING;
