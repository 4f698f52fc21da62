-- The node whose activation owns the user now (-1: none yet). Written with the owner epoch
-- an activation raises: the row is the fence and the record of ownership in one.
ALTER TABLE users ADD COLUMN owner_node BIGINT NOT NULL DEFAULT -1;
