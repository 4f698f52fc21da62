-- The scheduled jobs find mail expired or claimed long ago, and battles that ran out, by
-- these times (src/jobs/sweeps.rs); without them every run would read whole tables. MySQL
-- has no partial index: operators' grants, never swept, are in the mail indexes too (a
-- sweep steps over them). InnoDB builds secondary indexes online: writes go on meanwhile.
CREATE INDEX mail_expires_at ON mail (expires_at_ms);
CREATE INDEX mail_claimed_at ON mail (claimed_at_ms);
CREATE INDEX battles_expires_at ON battles (expires_at_ms);
