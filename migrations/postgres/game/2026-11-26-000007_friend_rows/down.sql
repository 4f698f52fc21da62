-- The rows go back into the lists (friends added since included), in their order.
UPDATE users SET friends = COALESCE(
    (SELECT string_agg(CAST(f.friend_id AS TEXT), ',' ORDER BY f.since_ms, f.friend_id)
     FROM friends f WHERE f.user_id = users.user_id), '');
DELETE FROM friends;
