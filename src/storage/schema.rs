//! Diesel table definitions, matching `migrations/sqlite/`.

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
    }
}

diesel::table! {
    users (user_id) {
        user_id -> BigInt,
        nickname -> Text,
        level -> Integer,
        exp -> BigInt,
        gold -> BigInt,
        gems -> BigInt,
        stamina -> Integer,
        stamina_at_ms -> BigInt,
        rng_seed -> BigInt,
        rng_word_pos -> BigInt,
        created_at_ms -> BigInt,
        updated_at_ms -> BigInt,
        friends -> Text,
    }
}

diesel::table! {
    last_replies (user_id) {
        user_id -> BigInt,
        session_id -> BigInt,
        seq -> BigInt,
        response -> Binary,
    }
}

diesel::table! {
    action_log (id) {
        id -> BigInt,
        user_id -> BigInt,
        action -> Text,
        params -> Text,
        result -> Text,
        at_ms -> BigInt,
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
diesel::allow_tables_to_appear_in_same_query!(users, last_replies);
