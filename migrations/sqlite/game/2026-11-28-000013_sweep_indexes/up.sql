-- The scheduled jobs find mail expired or claimed long ago, and battles that ran out, by
-- these times (src/jobs/sweeps.rs); without them every run would read whole tables.
-- Operators' grants are never swept, so they stay out of the mail indexes.
CREATE INDEX mail_expires_at ON mail (expires_at_ms) WHERE kind <> 'grant';
CREATE INDEX mail_claimed_at ON mail (claimed_at_ms) WHERE kind <> 'grant';
CREATE INDEX battles_expires_at ON battles (expires_at_ms);
