-- The rows go back into the lists (friends added since included), in their order.
UPDATE users SET friends = COALESCE(
    (SELECT group_concat(friend_id, ',' ORDER BY since_ms, friend_id) FROM friends f WHERE f.user_id = users.user_id), '');
DELETE FROM friends;
