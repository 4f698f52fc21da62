-- A user's inbox is loaded (and read again after each delivery) for the deliveries not
-- applied yet only (src/storage/tables.rs, INBOX.live); applied rows are records that stay
-- until their retention. This index holds the waiting rows alone. Built without blocking the
-- writes of running servers (outside a transaction, one statement; an invalid index left by
-- a failure is dropped and built again at the next start, src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY inbox_waiting ON inbox (user_id) WHERE applied_at_ms = 0;
