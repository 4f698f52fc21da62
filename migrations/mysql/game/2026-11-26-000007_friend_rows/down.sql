-- The rows go back into the lists (friends added since included), in their order. The
-- default length of a GROUP_CONCAT (1,024) would cut long lists.
SET SESSION group_concat_max_len = 1048576;
UPDATE users SET friends = COALESCE(
    (SELECT GROUP_CONCAT(f.friend_id ORDER BY f.since_ms, f.friend_id SEPARATOR ',')
     FROM friends f WHERE f.user_id = users.user_id), '');
DELETE FROM friends;
