//! Diesel table definitions of the common and clan databases (accounts, sessions, the
//! shard registry, clans), for queries written with diesel's DSL. The tables written
//! through rows (users' tables, the action log) are described in `crate::storage::tables`.

diesel::table! {
    accounts (user_id) {
        user_id -> BigInt,
        gamedb_shard_no -> SmallInt,
        logdb_shard_no -> SmallInt,
        created_at_ms -> BigInt,
        updated_at_ms -> BigInt,
    }
}

diesel::table! {
    account_auth (provider, auth_id) {
        provider -> Text,
        auth_id -> Text,
        user_id -> BigInt,
        created_at_ms -> BigInt,
    }
}

diesel::table! {
    sessions (user_id) {
        user_id -> BigInt,
        session_id -> BigInt,
        token_hash -> Nullable<Binary>,
        expires_at_ms -> BigInt,
        ended_at_ms -> BigInt,
        ended_by_seq -> BigInt,
    }
}

diesel::table! {
    shards (shard_idx) {
        shard_idx -> Integer,
        kind -> Text,
        shard_no -> SmallInt,
        location -> Text,
        world -> SmallInt,
        in_use -> Bool,
        created_at_ms -> BigInt,
    }
}

diesel::table! {
    clans (clan_id) {
        clan_id -> BigInt,
        name -> Text,
        leader_id -> BigInt,
        created_at_ms -> BigInt,
    }
}

diesel::table! {
    clan_members (clan_id, user_id) {
        clan_id -> BigInt,
        user_id -> BigInt,
        joined_at_ms -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(accounts, sessions);

diesel::table! {
    nodes (node_id) {
        node_id -> SmallInt,
        incarnation -> BigInt,
        public_addr -> Text,
        internal_addr -> Text,
        started_at_ms -> BigInt,
        heartbeat_at_ms -> BigInt,
        lease_until_ms -> BigInt,
        live_actors -> BigInt,
        draining -> SmallInt,
    }
}

diesel::table! {
    work_leases (name) {
        name -> Text,
        node_id -> SmallInt,
        incarnation -> BigInt,
        acquired_at_ms -> BigInt,
        lease_until_ms -> BigInt,
    }
}

diesel::table! {
    maintenance_steps (name) {
        name -> Text,
        done_at_ms -> BigInt,
    }
}

diesel::table! {
    account_deletions (user_id) {
        user_id -> BigInt,
        game_shard -> SmallInt,
        log_shard -> SmallInt,
        requested_at_ms -> BigInt,
        due_at_ms -> BigInt,
        phase -> SmallInt,
        phase_at_ms -> BigInt,
        failures -> Integer,
        retry_at_ms -> BigInt,
    }
}
