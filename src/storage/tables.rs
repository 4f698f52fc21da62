//! Every table the server writes through rows, described once for all three backends: the
//! SQL for loading, inserting, upserting, patching and deleting is generated from these
//! (`crate::storage::sql`). Adding a table is one definition here, its migrations, and the
//! entity that maps to it (`crate::game::entities`).
//!
//! The user's tables live on the user's game shard and are keyed by `(user_id, entity id)`;
//! `users` holds the profile and the owner epoch that fences commits
//! (`crate::storage::batch`). `log_outbox` carries action-log rows in the game shard's
//! transaction until they are shipped to the user's log shard (`action_log`).

use crate::storage::rows::ColType::{BigInt, Bytes, Integer, Text};
use crate::storage::rows::{Column, TableDef, col};

const USER_ID: Column = col("user_id", BigInt);

/// The profile: one row per user. Its `owner_epoch` (not a column here: only a takeover
/// changes it) is what commits are fenced by.
pub static USERS: TableDef = TableDef {
    name: "users",
    key: &[USER_ID],
    columns: &[
        col("nickname", Text),
        col("level", Integer),
        col("exp", BigInt),
        col("gold", BigInt),
        col("gems", BigInt),
        col("stamina", Integer),
        col("stamina_at_ms", BigInt),
        col("rng_seed", BigInt),
        col("rng_word_pos", BigInt),
        col("created_at_ms", BigInt),
        col("updated_at_ms", BigInt),
        col("id_next", BigInt),
        col("id_end", BigInt),
        col("leader", Text),
        col("rng_key", Text),
    ],
    stamped: false,
    live: None,
};

/// The last applied request of the user's session and its encoded answer, written in the
/// same transaction as the change it made.
pub static LAST_REPLIES: TableDef = TableDef {
    name: "last_replies",
    key: &[USER_ID],
    columns: &[col("session_id", BigInt), col("seq", BigInt), col("response", Bytes)],
    stamped: true,
    live: None,
};

/// Monsters a user owns.
pub static MONSTERS: TableDef = TableDef {
    name: "monsters",
    key: &[USER_ID, col("monster_id", BigInt)],
    columns: &[
        col("template", Text),
        col("level", BigInt),
        col("exp", BigInt),
        col("grade", BigInt),
        col("locked", BigInt),
        col("acquired_at_ms", BigInt),
    ],
    stamped: true,
    live: None,
};

/// A user's friends (one row per direction), with the friend's game shard (-1: not known,
/// for friendships older than the column).
pub static FRIENDS: TableDef = TableDef {
    name: "friends",
    key: &[USER_ID, col("friend_id", BigInt)],
    columns: &[col("since_ms", BigInt), col("friend_shard", Integer)],
    stamped: true,
    live: None,
};

/// Friend requests, a row on each side: `outgoing` 1 on the sender's, 0 on the receiver's.
pub static FRIEND_REQUESTS: TableDef = TableDef {
    name: "friend_requests",
    key: &[USER_ID, col("other_id", BigInt)],
    columns: &[col("outgoing", BigInt), col("other_shard", Integer), col("sent_at_ms", BigInt)],
    stamped: true,
    live: None,
};

/// Effects on other users, written in the sender's commit on the sender's game shard and
/// moved to the receiver's [`INBOX`] by the shard's delivery courier
/// (`crate::storage::delivery`).
pub static OUTBOX: TableDef = TableDef {
    name: "outbox",
    key: &[col("delivery_id", BigInt)],
    columns: &[
        col("sender_id", BigInt),
        col("sender_shard", Integer),
        col("receiver_id", BigInt),
        col("kind", Text),
        col("body", Bytes),
        col("created_at_ms", BigInt),
    ],
    stamped: false,
    live: None,
};

/// The clan database's outbox: what a clan action does to other users (news of it, the
/// day's reward), written in the action's transaction, delivered like [`OUTBOX`] rows (its
/// columns are the same).
pub static CLAN_OUTBOX: TableDef =
    TableDef { name: "clan_outbox", key: OUTBOX.key, columns: OUTBOX.columns, stamped: false, live: None };

/// Deliveries a courier could not carry (a row that does not read as a delivery, or one for a
/// game shard the delivering node does not know), moved out of the outbox beside it (a game
/// shard's or the clan database's) so they do not hold up the rest: the outbox's columns, why,
/// and when.
pub static DEAD_LETTERS: TableDef = TableDef {
    name: "dead_letters",
    key: OUTBOX.key,
    columns: &[
        col("sender_id", BigInt),
        col("sender_shard", Integer),
        col("receiver_id", BigInt),
        col("kind", Text),
        col("body", Bytes),
        col("created_at_ms", BigInt),
        col("reason", Text),
        col("dead_at_ms", BigInt),
    ],
    stamped: false,
    live: None,
};

/// Deliveries a user received: waiting (`applied_at_ms` 0) until the user's actor applies
/// them and marks them so in one commit. Keyed by the delivery id, so a second copy of a
/// delivery is the same row; an applied row stays as that record until the delivery's outbox
/// row is gone (no copy can come after that), then the delivery courier purges it.
pub static INBOX: TableDef = TableDef {
    name: "inbox",
    key: &[USER_ID, col("delivery_id", BigInt)],
    columns: &[
        col("sender_id", BigInt),
        col("sender_shard", Integer),
        col("kind", Text),
        col("body", Bytes),
        col("sent_at_ms", BigInt),
        col("applied_at_ms", BigInt),
    ],
    stamped: true,
    // An applied delivery is a record (`crate::game::entities::received`); index
    // `inbox_waiting` serves the load (partial where the backend has them; game migration 000026).
    live: Some("applied_at_ms = 0"),
};

/// Progress of a quest of the game data, with its reset time for daily ones.
pub static QUESTS: TableDef = TableDef {
    name: "quests",
    key: &[USER_ID, col("quest_id", Text)],
    columns: &[
        col("progress", BigInt),
        col("completed_at_ms", BigInt),
        col("claimed_at_ms", BigInt),
        col("resets_at_ms", BigInt),
    ],
    stamped: true,
    live: None,
};

/// The mailbox: rewards and messages, with attachments as encoded protobuf.
pub static MAIL: TableDef = TableDef {
    name: "mail",
    key: &[USER_ID, col("mail_id", BigInt)],
    columns: &[
        col("kind", Text),
        col("sender_id", BigInt),
        col("title", Text),
        col("body", Text),
        col("attachments", Bytes),
        col("created_at_ms", BigInt),
        col("expires_at_ms", BigInt),
        col("read_at_ms", BigInt),
        col("claimed_at_ms", BigInt),
    ],
    stamped: true,
    live: None,
};

/// Progress per stage and difficulty (`stage_key` is `stage:difficulty`).
pub static STAGES: TableDef = TableDef {
    name: "stages",
    key: &[USER_ID, col("stage_key", Text)],
    columns: &[
        col("stars", BigInt),
        col("clears", BigInt),
        col("first_cleared_at_ms", BigInt),
        col("best_time_ms", BigInt),
    ],
    stamped: true,
    live: None,
};

/// Counters that reset (daily purchases, daily gifts): value and when it resets.
pub static COUNTERS: TableDef = TableDef {
    name: "counters",
    key: &[USER_ID, col("counter", Text)],
    columns: &[col("value", BigInt), col("resets_at_ms", BigInt)],
    stamped: true,
    live: None,
};

/// Teams: a slot's monster ids, in order, separated by `,`.
pub static TEAMS: TableDef = TableDef {
    name: "teams",
    key: &[USER_ID, col("slot", BigInt)],
    columns: &[col("members", Text)],
    stamped: true,
    live: None,
};

/// Battles started and not finished, keyed by their single-use token.
pub static BATTLES: TableDef = TableDef {
    name: "battles",
    key: &[USER_ID, col("token", BigInt)],
    columns: &[
        col("stage_key", Text),
        col("team_slot", BigInt),
        col("members", Text),
        col("power", BigInt),
        col("enemy_power", BigInt),
        col("started_at_ms", BigInt),
        col("expires_at_ms", BigInt),
        col("lineup", Text),
    ],
    stamped: true,
    live: None,
};

/// Action-log rows committed with the change they record, waiting to be shipped to the
/// user's log shard.
pub static LOG_OUTBOX: TableDef = TableDef {
    name: "log_outbox",
    key: &[col("log_id", BigInt)],
    columns: &[
        col("user_id", BigInt),
        col("log_shard", Integer),
        col("action", Text),
        col("params", Text),
        col("result", Text),
        col("at_ms", BigInt),
    ],
    stamped: false,
    live: None,
};

/// The action log on a log shard, keyed (for idempotent shipping) by `log_id`.
pub static ACTION_LOG: TableDef = TableDef {
    name: "action_log",
    key: &[col("log_id", BigInt)],
    columns: &[
        col("user_id", BigInt),
        col("action", Text),
        col("params", Text),
        col("result", Text),
        col("at_ms", BigInt),
    ],
    stamped: false,
    live: None,
};

/// Bot scores (the log shards), one per user and game day: the score in thousandths and the
/// features behind it as JSON (`crate::game::bot_score`).
pub static BOT_SCORES: TableDef = TableDef {
    name: "bot_scores",
    key: &[col("user_id", BigInt), col("day_ms", BigInt)],
    columns: &[col("score_milli", BigInt), col("features", Text), col("scored_at_ms", BigInt)],
    stamped: false,
    live: None,
};

/// Clans (the clan database), keyed by id. Every change of a clan moves its `version`; a
/// change is committed only if the version it was decided on is still the clan's.
pub static CLANS: TableDef = TableDef {
    name: "clans",
    key: &[col("clan_id", BigInt)],
    columns: &[
        col("name", Text),
        col("leader_id", BigInt),
        col("created_at_ms", BigInt),
        col("open_join", BigInt),
        col("member_count", BigInt),
        col("version", BigInt),
        col("checkin_resets_at_ms", BigInt),
        col("checkins", BigInt),
    ],
    stamped: false,
    live: None,
};

/// A clan's members (a user is in one clan at most: a unique index on `user_id`), with
/// their role (0 leader, 1 officer, 2 member) and until when their check-in of the day is
/// counted already.
pub static CLAN_MEMBERS: TableDef = TableDef {
    name: "clan_members",
    key: &[col("clan_id", BigInt), USER_ID],
    columns: &[col("joined_at_ms", BigInt), col("role", BigInt), col("checkin_resets_at_ms", BigInt)],
    stamped: false,
    live: None,
};

/// Requests to join a clan that does not take anyone who asks.
pub static CLAN_REQUESTS: TableDef = TableDef {
    name: "clan_requests",
    key: &[col("clan_id", BigInt), USER_ID],
    columns: &[col("requested_at_ms", BigInt)],
    stamped: false,
    live: None,
};

/// The result of each clan action by (user, session, seq), written in the action's own
/// transaction: a retried request finds it instead of acting again.
pub static CLAN_OPS: TableDef = TableDef {
    name: "clan_ops",
    key: &[USER_ID, col("session_id", BigInt), col("seq", BigInt)],
    columns: &[col("result", Bytes), col("at_ms", BigInt)],
    stamped: false,
    live: None,
};

/// What operators did to users (the common database): who, when, which action, to whom, why,
/// what it carried, and how it ended (`pending` until the action answered; `finished_at_ms`
/// 0 until then). Keyed by an id that grows with time, so newest first is by id.
pub static OPERATOR_ACTIONS: TableDef = TableDef {
    name: "operator_actions",
    key: &[col("action_id", BigInt)],
    columns: &[
        col("at_ms", BigInt),
        col("operator", Text),
        col("action", Text),
        USER_ID,
        col("reason", Text),
        col("detail", Text),
        col("outcome", Text),
        col("finished_at_ms", BigInt),
    ],
    stamped: false,
    live: None,
};
