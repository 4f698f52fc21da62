-- A scheduled job (src/jobs/sweeps.rs) finds rows past their time by this column; without
-- the index every run would read the whole table. Operators' grants are never
-- swept, so they stay out of it.
-- Built without blocking the writes of running servers (so outside a transaction, one
-- statement). If it fails half-way it leaves an invalid index and is not recorded as
-- applied: the next
-- start drops the invalid index and builds it again (src/storage/migrations.rs).
CREATE INDEX CONCURRENTLY mail_claimed_at ON mail (claimed_at_ms) WHERE kind <> 'grant';
