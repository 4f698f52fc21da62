-- Several nodes on one set of databases. Each running server holds a node id by a lease
-- (renewed while it runs, released when it stops): the id it mints entity ids with, and
-- the node its users' rows name as their owner. `incarnation` tells a restarted process from
-- its predecessor under the same id.
CREATE TABLE nodes (
    node_id         SMALLINT PRIMARY KEY NOT NULL,
    incarnation     BIGINT NOT NULL,
    public_addr     TEXT NOT NULL,
    internal_addr   TEXT NOT NULL,
    started_at_ms   BIGINT NOT NULL,
    heartbeat_at_ms BIGINT NOT NULL,
    lease_until_ms  BIGINT NOT NULL,
    live_actors     BIGINT NOT NULL,
    draining        SMALLINT NOT NULL
);

-- Work that runs on one node at a time (a shard's courier and log shipper, each scheduled
-- job): held by the node named while its lease lasts, renewed with the node's own.
CREATE TABLE work_leases (
    name           VARCHAR(191) PRIMARY KEY NOT NULL,
    node_id        SMALLINT NOT NULL,
    incarnation    BIGINT NOT NULL,
    acquired_at_ms BIGINT NOT NULL,
    lease_until_ms BIGINT NOT NULL
);
