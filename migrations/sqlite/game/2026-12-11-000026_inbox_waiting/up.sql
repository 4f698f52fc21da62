-- A user's inbox is loaded (and read again after each delivery) for the deliveries not
-- applied yet only (src/storage/tables.rs, INBOX.live); this index holds the waiting rows alone.
CREATE INDEX inbox_waiting ON inbox (user_id) WHERE applied_at_ms = 0;
