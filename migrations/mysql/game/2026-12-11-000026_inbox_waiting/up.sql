-- A user's inbox is loaded (and read again after each delivery) for the deliveries not
-- applied yet only (src/storage/tables.rs, INBOX.live). MySQL has no partial index: this one
-- leads with the user and the applied time, so the load is an index range over waiting rows.
-- InnoDB builds a secondary index online: writes go on meanwhile.
CREATE INDEX inbox_waiting ON inbox (user_id, applied_at_ms);
