-- The rows go back into the lists (friends added since included), in their order.
UPDATE users SET friends = COALESCE(
    (SELECT GROUP_CONCAT(f.friend_id ORDER BY f.since_ms, f.friend_id SEPARATOR ',')
     FROM friends f WHERE f.user_id = users.user_id), '');
DELETE FROM friends;
