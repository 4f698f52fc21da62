//! Every row a user owns, on every database, for a data export (a player's right to their
//! data): the account, its sign-in ids and session (never the token's hash) in the common
//! database; every table of theirs on their game shard, and the deliveries they sent or that
//! wait for them in every outbox and dead letter; their clan membership, requests and clan
//! actions' results, and a clan they lead; their action log on their log shard. Not the
//! server's own columns of the profile ([`WITHHELD`]). Read as committed now, without waiting
//! for writes in flight; the whole action log is read at once (bounded by its retention).

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;

use super::{DbStore, db, registration};
use crate::storage::conn::{SqlConn, dialect_of};
use crate::storage::db::Db;
use crate::storage::rows::{ColType, Row, TableDef, Value};
use crate::storage::schema::{account_auth, accounts, sessions};
use crate::storage::sql::{self, Bind, Statement};
use crate::storage::tables::{
    ACTION_LOG, BATTLES, BOT_SCORES, CLAN_MEMBERS, CLAN_OPS, CLAN_OUTBOX, CLAN_REQUESTS, CLANS, COUNTERS, DEAD_LETTERS,
    FRIEND_REQUESTS, FRIENDS, INBOX, LAST_REPLIES, LOG_OUTBOX, MAIL, MONSTERS, OUTBOX, QUESTS, STAGES, TEAMS, USERS,
};
use crate::storage::{ExportedTable, StoreError, StoreResult};
use crate::with_conn;

/// The user's own tables on their game shard, each keyed by `user_id` (the profile apart).
pub(super) static OWN_TABLES: &[&TableDef] = &[
    &LAST_REPLIES,
    &MONSTERS,
    &FRIENDS,
    &FRIEND_REQUESTS,
    &INBOX,
    &QUESTS,
    &MAIL,
    &STAGES,
    &COUNTERS,
    &TEAMS,
    &BATTLES,
    &LOG_OUTBOX,
];

/// Profile columns left out of an export: the position of the player's random stream and
/// the seed it starts from (with them a player could foresee every draw), and the block of
/// entity ids the server mints from. They are the server's, not the player's.
const WITHHELD: &[&str] = &["rng_seed", "rng_key", "rng_word_pos", "id_next", "id_end"];

/// Every row `user` owns (None: no such account).
pub(super) async fn export(store: DbStore, user: i64) -> StoreResult<Option<Vec<ExportedTable>>> {
    let dbs = &store.dbs;
    let Some(shards) = registration::shards_of(&dbs.common, user).await? else { return Ok(None) };
    let mut out = common_rows(&dbs.common, user).await?;
    let who = Value::Int(user);
    let not_here = |kind: &str, no: i16| StoreError::NotFound(format!("{kind} shard {no} of user {user} on this node"));
    let game = dbs.game.get(&shards.game).ok_or_else(|| not_here("game", shards.game))?;
    let database = format!("game-{}", shards.game);
    out.push(withheld(rows_where(game, &database, &USERS, &["user_id"], &who).await?));
    for table in OWN_TABLES {
        out.push(rows_where(game, &database, table, &["user_id"], &who).await?);
    }
    // Deliveries from or to the user wait in the outbox of the sender's shard.
    for (no, game) in &dbs.game {
        let database = format!("game-{no}");
        for table in [&OUTBOX, &DEAD_LETTERS] {
            out.push(rows_where(game, &database, table, &["sender_id", "receiver_id"], &who).await?);
        }
    }
    for table in [&CLAN_MEMBERS, &CLAN_REQUESTS, &CLAN_OPS] {
        out.push(rows_where(&dbs.clan, "clan", table, &["user_id"], &who).await?);
    }
    out.push(rows_where(&dbs.clan, "clan", &CLANS, &["leader_id"], &who).await?);
    for table in [&CLAN_OUTBOX, &DEAD_LETTERS] {
        out.push(rows_where(&dbs.clan, "clan", table, &["sender_id", "receiver_id"], &who).await?);
    }
    let log = dbs.log.get(&shards.log).ok_or_else(|| not_here("log", shards.log))?;
    out.push(rows_where(log, &format!("log-{}", shards.log), &ACTION_LOG, &["user_id"], &who).await?);
    out.push(rows_where(log, &format!("log-{}", shards.log), &BOT_SCORES, &["user_id"], &who).await?);
    Ok(Some(out))
}

/// `table` without the [`WITHHELD`] columns.
fn withheld(table: ExportedTable) -> ExportedTable {
    let kept: Vec<usize> = (0..table.columns.len()).filter(|i| !WITHHELD.contains(&table.columns[*i])).collect();
    ExportedTable {
        columns: kept.iter().map(|i| table.columns[*i]).collect(),
        rows: table.rows.iter().map(|row| kept.iter().filter_map(|i| row.get(*i).cloned()).collect()).collect(),
        ..table
    }
}

/// The rows of `table` in `db` whose column is `who`, for any of `columns`, in key order.
async fn rows_where(
    source: &Db,
    database: &str,
    table: &'static TableDef,
    columns: &[&str],
    who: &Value,
) -> StoreResult<ExportedTable> {
    let what = format!("export the user's {} rows", table.name);
    let rows = with_conn!(source, &what, |conn| {
        let mut s = Statement::new(dialect_of(conn), sql::select(dialect_of(conn), table));
        for (i, column) in columns.iter().enumerate() {
            s.push(if i == 0 { " WHERE " } else { " OR " }).push(column).push(" = ");
            s.param(Bind::Value(ColType::BigInt, who));
        }
        let keys: Vec<&str> = table.key.iter().map(|c| c.name).collect();
        s.push(" ORDER BY ").push(&keys.join(", "));
        conn.rows(s).await.map_err(db(&what))
    })?;
    Ok(ExportedTable {
        database: database.to_owned(),
        table: table.name,
        columns: table.all().map(|c| c.name).collect(),
        rows,
    })
}

/// The account, its sign-in ids (a device id only as the hash it is stored under) and its
/// session (id and expiry: the token's hash is a credential, not the player's data).
async fn common_rows(common: &Db, user: i64) -> StoreResult<Vec<ExportedTable>> {
    let what = "export the user's account";
    let (account, auth, session) = with_conn!(common, what, |conn| {
        let account: Vec<(i64, i16, i16, i64, i64)> = accounts::table
            .filter(accounts::user_id.eq(user))
            .select((
                accounts::user_id,
                accounts::gamedb_shard_no,
                accounts::logdb_shard_no,
                accounts::created_at_ms,
                accounts::updated_at_ms,
            ))
            .load(conn)
            .await
            .map_err(db(what))?;
        let auth: Vec<(String, String, i64)> = account_auth::table
            .filter(account_auth::user_id.eq(user))
            .select((account_auth::provider, account_auth::auth_id, account_auth::created_at_ms))
            .order(account_auth::provider)
            .load(conn)
            .await
            .map_err(db(what))?;
        let session: Vec<(i64, i64)> = sessions::table
            .filter(sessions::user_id.eq(user))
            .select((sessions::session_id, sessions::expires_at_ms))
            .load(conn)
            .await
            .map_err(db(what))?;
        Ok((account, auth, session))
    })?;
    let table = |table: &'static str, columns: Vec<&'static str>, rows: Vec<Row>| ExportedTable {
        database: "common".to_owned(),
        table,
        columns,
        rows,
    };
    let int = |v: i64| Value::Int(v);
    Ok(vec![
        table(
            "accounts",
            vec!["user_id", "gamedb_shard_no", "logdb_shard_no", "created_at_ms", "updated_at_ms"],
            account
                .into_iter()
                .map(|(u, g, l, c, up)| vec![int(u), int(i64::from(g)), int(i64::from(l)), int(c), int(up)])
                .collect(),
        ),
        table(
            "account_auth",
            vec!["provider", "auth_id", "created_at_ms"],
            auth.into_iter().map(|(p, a, c)| vec![Value::Text(p), Value::Text(a), int(c)]).collect(),
        ),
        table(
            "sessions",
            vec!["session_id", "expires_at_ms"],
            session.into_iter().map(|(s, e)| vec![int(s), int(e)]).collect(),
        ),
    ])
}
