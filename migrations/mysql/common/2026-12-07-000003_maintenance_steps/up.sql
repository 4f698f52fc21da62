-- One-off maintenance steps that start-up runs once per database and records here, instead
-- of repeating their scan at every start (e.g. hashing sign-in ids stored before they were
-- hashed: `rekey_auth_ids:<provider>`).
CREATE TABLE maintenance_steps (
    name       VARCHAR(191) PRIMARY KEY NOT NULL,
    done_at_ms BIGINT NOT NULL
);
