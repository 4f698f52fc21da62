//! SQL generated from table definitions ([`TableDef`]), per backend dialect: the statements a
//! batch runs (multi-row insert, upsert, patch, delete), the fence, and the selects that load
//! rows. Written once for every table; the dialects differ only where the backends do:
//! placeholders (`$n` or `?`), the upsert clause (`ON CONFLICT ... DO UPDATE` or, on MySQL,
//! `ON DUPLICATE KEY UPDATE`, never `REPLACE`, which deletes and re-inserts), and how a list
//! of rows is joined into an `UPDATE`.
//!
//! Selected columns are named `i<n>`, `s<n>`, `b<n>` (integer, text, bytes; `n` the column's
//! place in the row) so that [`crate::storage::conn::DynRow`] decodes any table without a
//! struct per table.

use crate::storage::rows::{ColType, Column, Row, TableDef, Value};
use crate::storage::tables::{ACTION_LOG, BOT_SCORES, USERS};

/// Which SQL a database speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

/// Most bind parameters in one statement: below every backend's limit (SQLite 32,766;
/// PostgreSQL and MySQL 65,535), so a big batch is split into a few statements.
const MAX_BINDS: usize = 30_000;

/// Most rows joined into one `UPDATE`.
const MAX_PATCH_ROWS: usize = 500;

/// One bind parameter.
#[derive(Debug, Clone)]
pub enum Bind<'a> {
    /// A value of a row, bound as its column's type.
    Value(ColType, &'a Value),
    /// An integer made for the statement (an epoch, an id).
    Int(i64),
    /// A value of an `INTEGER` column, narrowed when bound.
    Int32(i32),
    /// A value that does not fit its column (the statement fails when it runs).
    Unfit(ColType),
    /// NULL of a column's type (a patch's "left as it is").
    Null(ColType),
}

/// SQL text and its bind parameters. The text holds no placeholders: the backend's own
/// (`$1` or `?`) go at `marks` when the statement runs, where diesel writes them, so a
/// statement whose text repeats can be prepared once per connection ([`Statement::cacheable`]).
#[derive(Debug, Clone)]
pub struct Statement<'a> {
    sql: String,
    /// Where in `sql` each bind goes.
    marks: Vec<usize>,
    pub binds: Vec<Bind<'a>>,
    /// How many rows it writes (0 for others): an `UPDATE` that affects fewer met a row that
    /// is not there.
    pub rows: usize,
    /// Its text is one of few per table (a statement of one row or one user): worth keeping
    /// prepared on the connection. Multi-row statements vary with the batch and are prepared
    /// each time.
    pub cacheable: bool,
    dialect: Dialect,
}

impl<'a> Statement<'a> {
    /// A statement that starts with `sql`.
    pub fn new(dialect: Dialect, sql: impl Into<String>) -> Self {
        Self { sql: sql.into(), marks: Vec::new(), binds: Vec::new(), rows: 0, cacheable: false, dialect }
    }

    /// Appends SQL text.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `bind`.
    pub fn param(&mut self, bind: Bind<'a>) -> &mut Self {
        let bind = match bind {
            Bind::Value(ColType::Integer, Value::Int(v)) => match i32::try_from(*v) {
                Ok(v) => Bind::Int32(v),
                Err(_) => Bind::Unfit(ColType::Integer),
            },
            other => other,
        };
        self.marks.push(self.sql.len());
        self.binds.push(bind);
        self
    }

    /// The text and where each bind goes in it.
    pub fn parts(&self) -> (&str, &[usize]) {
        (&self.sql, &self.marks)
    }

    /// The SQL with the dialect's placeholders, as the database receives it.
    pub fn text(&self) -> String {
        let mut text = String::with_capacity(self.sql.len() + 4 * self.marks.len());
        let mut at = 0;
        for (i, mark) in self.marks.iter().enumerate() {
            text.push_str(&self.sql[at..*mark]);
            match self.dialect {
                Dialect::Postgres => text.push_str(&format!("${}", i + 1)),
                Dialect::Sqlite | Dialect::Mysql => text.push('?'),
            }
            at = *mark;
        }
        text.push_str(&self.sql[at..]);
        text
    }

    /// Appends `(p, p, ...)` for `binds` (a list of values for `IN`).
    pub fn tuple_of(&mut self, binds: impl IntoIterator<Item = Bind<'a>>) -> &mut Self {
        self.tuple(binds);
        self
    }

    /// Appends `(p, p, ...), (p, p, ...)` for `rows`.
    fn tuples(&mut self, rows: Vec<Vec<Bind<'a>>>) {
        for (i, row) in rows.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.tuple(row);
        }
    }

    /// Appends `(p, p, ...)` for `binds`.
    fn tuple(&mut self, binds: impl IntoIterator<Item = Bind<'a>>) {
        self.sql.push('(');
        for (i, bind) in binds.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.param(bind);
        }
        self.sql.push(')');
    }
}

fn names(columns: impl IntoIterator<Item = &'static str>) -> String {
    columns.into_iter().collect::<Vec<_>>().join(", ")
}

/// The columns written for a full row of `table` (with `owner_epoch` when stamped).
fn written_columns(table: &TableDef) -> String {
    let mut cols = names(table.all().map(|c| c.name));
    if table.stamped {
        cols.push_str(", owner_epoch");
    }
    cols
}

fn row_binds<'a>(table: &TableDef, (row, epoch): &Stamped<'a>) -> Vec<Bind<'a>> {
    let mut binds: Vec<Bind<'a>> = table.all().zip(row.iter()).map(|(c, v)| Bind::Value(c.ty, v)).collect();
    if table.stamped {
        binds.push(Bind::Int(*epoch));
    }
    binds
}

fn chunk_size(width: usize) -> usize {
    (MAX_BINDS / width.max(1)).max(1)
}

/// A whole row and the owner epoch of its writer (stamped on stamped tables).
pub type Stamped<'a> = (&'a Row, i64);

/// `INSERT INTO table (...) VALUES (...), (...)` for `rows`, split so no statement has too
/// many parameters.
pub fn insert<'a>(dialect: Dialect, table: &TableDef, rows: &[Stamped<'a>]) -> Vec<Statement<'a>> {
    multi_row(dialect, table, rows, Conflict::Fail)
}

/// Inserts `rows`, or replaces every column of the rows whose key exists.
pub fn upsert<'a>(dialect: Dialect, table: &TableDef, rows: &[Stamped<'a>]) -> Vec<Statement<'a>> {
    multi_row(dialect, table, rows, Conflict::Update)
}

/// Inserts `rows`, leaving rows whose key exists as they are (idempotent shipping).
pub fn insert_new<'a>(dialect: Dialect, table: &TableDef, rows: &[Stamped<'a>]) -> Vec<Statement<'a>> {
    multi_row(dialect, table, rows, Conflict::Ignore)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Conflict {
    Fail,
    Update,
    Ignore,
}

fn multi_row<'a>(dialect: Dialect, table: &TableDef, rows: &[Stamped<'a>], conflict: Conflict) -> Vec<Statement<'a>> {
    let width = table.width() + usize::from(table.stamped);
    rows.chunks(chunk_size(width))
        .map(|chunk| {
            let mut s =
                Statement::new(dialect, format!("INSERT INTO {} ({}) VALUES ", table.name, written_columns(table)));
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    s.push(", ");
                }
                s.tuple(row_binds(table, row));
            }
            let keys = names(table.key.iter().map(|c| c.name));
            let mut updated: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            if table.stamped {
                updated.push("owner_epoch");
            }
            match (conflict, dialect) {
                (Conflict::Fail, _) => {}
                (Conflict::Update, Dialect::Mysql) => {
                    let set: Vec<String> = updated.iter().map(|c| format!("{c} = VALUES({c})")).collect();
                    s.push(&format!(" ON DUPLICATE KEY UPDATE {}", set.join(", ")));
                }
                (Conflict::Update, _) => {
                    let set: Vec<String> = updated.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                    s.push(&format!(" ON CONFLICT ({keys}) DO UPDATE SET {}", set.join(", ")));
                }
                (Conflict::Ignore, Dialect::Mysql) => {
                    let first = table.key[0].name;
                    s.push(&format!(" ON DUPLICATE KEY UPDATE {first} = {first}"));
                }
                (Conflict::Ignore, _) => {
                    s.push(&format!(" ON CONFLICT ({keys}) DO NOTHING"));
                }
            }
            s.rows = chunk.len();
            s.cacheable = chunk.len() == 1;
            s
        })
        .collect()
}

/// One row's patch: its key, the columns to set (index in `columns`, value) and the writer's
/// owner epoch (stamped on stamped tables).
pub type Patch<'a> = (&'a [Value], &'a [(usize, Value)], i64);

/// Sets, for each row of `patches`, the columns it lists, leaving the others: one `UPDATE`
/// joined with a derived table of the rows, where a column a row does not set is NULL and
/// `COALESCE` keeps the stored value (which is why every column is `NOT NULL`). A whole-row
/// update is a patch that sets every column.
pub fn patch<'a>(dialect: Dialect, table: &TableDef, patches: &[Patch<'a>]) -> Vec<Statement<'a>> {
    patches
        .chunks(MAX_PATCH_ROWS.min(chunk_size(table.width() + 1)))
        .map(|chunk| patch_chunk(dialect, table, chunk))
        .collect()
}

fn patch_chunk<'a>(dialect: Dialect, table: &TableDef, chunk: &[Patch<'a>]) -> Statement<'a> {
    // The derived table `v`: the key (k0, k1 ...), every column some row sets (c<i>, NULL
    // where a row leaves it), and the writer's epoch (e) on stamped tables.
    // A patch of one row names every column (NULL for those it leaves), so that its text is
    // one per table and worth keeping prepared; a multi-row one, the columns its rows set.
    let mut set: Vec<usize> = if chunk.len() == 1 {
        (0..table.columns.len()).collect()
    } else {
        chunk.iter().flat_map(|(_, cols, _)| cols.iter().map(|(i, _)| *i)).collect()
    };
    set.sort_unstable();
    set.dedup();
    let mut aliases: Vec<String> = (0..table.key.len()).map(|i| format!("k{i}")).collect();
    aliases.extend(set.iter().map(|i| format!("c{i}")));
    if table.stamped {
        aliases.push("e".into());
    }
    let rows: Vec<Vec<Bind<'a>>> = chunk
        .iter()
        .map(|(key, cols, epoch)| {
            let mut binds: Vec<Bind<'a>> =
                table.key.iter().zip(key.iter()).map(|(c, v)| Bind::Value(c.ty, v)).collect();
            for index in &set {
                let ty = table.columns[*index].ty;
                binds.push(match cols.iter().find(|(i, _)| i == index) {
                    Some((_, value)) => Bind::Value(ty, value),
                    None => Bind::Null(ty),
                });
            }
            if table.stamped {
                binds.push(Bind::Int(*epoch));
            }
            binds
        })
        .collect();
    // MySQL names the target's columns in SET with the table's alias; the others must not.
    let target = |name: &str| if dialect == Dialect::Mysql { format!("t.{name}") } else { name.to_owned() };
    let mut assignments: Vec<String> = set
        .iter()
        .map(|i| {
            let name = table.columns[*i].name;
            format!("{} = COALESCE(v.c{i}, t.{name})", target(name))
        })
        .collect();
    if table.stamped {
        assignments.push(format!("{} = v.e", target("owner_epoch")));
    }
    let join: Vec<String> = table.key.iter().enumerate().map(|(i, c)| format!("t.{} = v.k{i}", c.name)).collect();
    let mut s = Statement::new(dialect, "");
    match dialect {
        Dialect::Postgres => {
            s.push(&format!("UPDATE {} AS t SET {} FROM (VALUES ", table.name, assignments.join(", ")));
            s.tuples(rows);
            s.push(&format!(") AS v({}) WHERE {}", aliases.join(", "), join.join(" AND ")));
        }
        Dialect::Sqlite => {
            // SQLite names a VALUES table's columns column1, column2 ...
            let columns: Vec<String> =
                aliases.iter().enumerate().map(|(i, a)| format!("column{} AS {a}", i + 1)).collect();
            s.push(&format!(
                "UPDATE {} AS t SET {} FROM (SELECT {} FROM (VALUES ",
                table.name,
                assignments.join(", "),
                columns.join(", ")
            ));
            s.tuples(rows);
            s.push(&format!(")) AS v WHERE {}", join.join(" AND ")));
        }
        Dialect::Mysql => {
            // MySQL and MariaDB: a derived table of SELECTs (VALUES has no column names there).
            s.push(&format!("UPDATE {} AS t JOIN (", table.name));
            for (i, row) in rows.into_iter().enumerate() {
                s.push(if i == 0 { "SELECT " } else { " UNION ALL SELECT " });
                for (j, bind) in row.into_iter().enumerate() {
                    if j > 0 {
                        s.push(", ");
                    }
                    // A derived table's column takes the connection's character set unless
                    // told: bytes that are not valid text would be refused.
                    let bytes = matches!(bind, Bind::Value(ColType::Bytes, _) | Bind::Null(ColType::Bytes));
                    if bytes {
                        s.push("CAST(");
                    }
                    s.param(bind);
                    if bytes {
                        s.push(" AS BINARY)");
                    }
                    if i == 0 {
                        s.push(&format!(" AS {}", aliases[j]));
                    }
                }
            }
            s.push(&format!(") AS v ON {} SET {}", join.join(" AND "), assignments.join(", ")));
        }
    }
    s.rows = chunk.len();
    s.cacheable = chunk.len() == 1;
    s
}

/// Deletes the rows with `keys`.
pub fn delete<'a>(dialect: Dialect, table: &TableDef, keys: &[&'a [Value]]) -> Vec<Statement<'a>> {
    keys.chunks(chunk_size(table.key.len()))
        .map(|chunk| {
            let mut s = Statement::new(dialect, format!("DELETE FROM {} WHERE ", table.name));
            key_filter(&mut s, table, chunk);
            s.rows = chunk.len();
            s.cacheable = chunk.len() == 1;
            s
        })
        .collect()
}

/// Deletes every row of `table` whose first key column holds one of `owners` (an account's
/// erasure: all of a user's rows of a table in one statement, served by the primary key).
pub fn delete_owned<'a>(dialect: Dialect, table: &TableDef, owners: &[&'a Value]) -> Vec<Statement<'a>> {
    let Some(column) = table.key.first() else { return Vec::new() };
    owners
        .chunks(chunk_size(1))
        .map(|chunk| {
            let mut s = Statement::new(dialect, format!("DELETE FROM {} WHERE {} IN ", table.name, column.name));
            s.tuple(chunk.iter().map(|owner| Bind::Value(column.ty, owner)));
            s
        })
        .collect()
}

/// Appends a condition matching exactly the rows with `keys`.
fn key_filter<'a>(s: &mut Statement<'a>, table: &TableDef, keys: &[&'a [Value]]) {
    let binds = |key: &'a [Value]| table.key.iter().zip(key).map(|(c, v)| Bind::Value(c.ty, v)).collect::<Vec<_>>();
    if table.key.len() == 1 {
        s.push(&format!("{} IN ", table.key[0].name));
        s.tuple(keys.iter().map(|k| Bind::Value(table.key[0].ty, &k[0])));
        return;
    }
    match s.dialect {
        // MySQL and MariaDB plan an OR of primary-key equalities as a range on the key.
        Dialect::Mysql => {
            for (i, key) in keys.iter().enumerate() {
                s.push(if i == 0 { "(" } else { " OR (" });
                for (j, (c, bind)) in table.key.iter().zip(binds(key)).enumerate() {
                    if j > 0 {
                        s.push(" AND ");
                    }
                    s.push(&format!("{} = ", c.name));
                    s.param(bind);
                }
                s.push(")");
            }
        }
        Dialect::Postgres | Dialect::Sqlite => {
            s.push(&format!("({}) IN (", names(table.key.iter().map(|c| c.name))));
            if s.dialect == Dialect::Sqlite {
                s.push("VALUES ");
            }
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    s.push(", ");
                }
                s.tuple(binds(key));
            }
            s.push(")");
        }
    }
}

/// The alias a selected column gets: its type's letter and its place in the row.
fn alias(ty: ColType, index: usize) -> String {
    let letter = match ty {
        ColType::BigInt | ColType::Integer => 'i',
        ColType::Text => 's',
        ColType::Bytes => 'b',
    };
    format!("{letter}{index}")
}

/// `SELECT <every column of table> FROM table` (rows decode as [`crate::storage::conn::DynRow`]).
pub fn select(dialect: Dialect, table: &TableDef) -> String {
    let columns: Vec<String> = table
        .all()
        .enumerate()
        .map(|(i, c)| {
            let expr = match (c.ty, dialect) {
                // PostgreSQL sends INTEGER as 4 bytes; rows read every integer as 64 bits.
                (ColType::Integer, Dialect::Postgres) => format!("CAST({} AS BIGINT)", c.name),
                _ => c.name.to_owned(),
            };
            format!("{expr} AS {}", alias(c.ty, i))
        })
        .collect();
    format!("SELECT {} FROM {}", columns.join(", "), table.name)
}

/// Action-log rows of `action` (of `user` only, when given) with a log id above `after`, in
/// log-id order, at most `limit`.
pub fn select_logs<'a>(
    dialect: Dialect,
    action: &'a Value,
    user: Option<&'a Value>,
    after: &'a Value,
    limit: usize,
) -> Statement<'a> {
    let mut s = Statement::new(dialect, select(dialect, &ACTION_LOG));
    s.push(" WHERE action = ").param(Bind::Value(ColType::Text, action));
    if let Some(user) = user {
        s.push(" AND user_id = ").param(Bind::Value(ColType::BigInt, user));
    }
    s.push(" AND log_id > ").param(Bind::Value(ColType::BigInt, after));
    s.push(&format!(" ORDER BY log_id LIMIT {limit}"));
    s
}

/// Action-log rows of every action with `from <= at_ms < to`, after the row (`at_ms`,
/// `log_id`) = `after` in that order, at most `limit`: a time window read page by page as
/// one range of the (`at_ms`, `log_id`) index from the last row read.
pub fn select_logs_between<'a>(
    dialect: Dialect,
    from: &'a Value,
    to: &'a Value,
    after: (&'a Value, &'a Value),
    limit: usize,
) -> Statement<'a> {
    let mut s = Statement::new(dialect, select(dialect, &ACTION_LOG));
    s.push(" WHERE log_id IS NOT NULL AND at_ms >= ").param(Bind::Value(ColType::BigInt, from));
    s.push(" AND at_ms < ").param(Bind::Value(ColType::BigInt, to));
    s.push(" AND (at_ms, log_id) > (").param(Bind::Value(ColType::BigInt, after.0));
    s.push(", ").param(Bind::Value(ColType::BigInt, after.1));
    s.push(&format!(") ORDER BY at_ms, log_id LIMIT {limit}"));
    s
}

/// The `bot_scores` rows of game day `day`, highest score first (then by user), at most
/// `limit`.
pub fn select_top_scores<'a>(dialect: Dialect, day: &'a Value, limit: usize) -> Statement<'a> {
    let mut s = Statement::new(dialect, select(dialect, &BOT_SCORES));
    s.push(" WHERE day_ms = ").param(Bind::Value(ColType::BigInt, day));
    s.push(&format!(" ORDER BY score_milli DESC, user_id LIMIT {limit}"));
    s
}

/// A page of one user's action log, newest first (`UserLogQuery`).
pub fn select_user_logs<'a>(
    dialect: Dialect,
    user: &'a Value,
    actions: &'a [Value],
    before: &'a Value,
    during: (&'a Value, &'a Value),
    params: Option<&'a Value>,
    limit: usize,
) -> Statement<'a> {
    let mut s = Statement::new(dialect, select(dialect, &ACTION_LOG));
    s.push(" WHERE user_id = ").param(Bind::Value(ColType::BigInt, user));
    s.push(" AND log_id < ").param(Bind::Value(ColType::BigInt, before));
    s.push(" AND at_ms >= ").param(Bind::Value(ColType::BigInt, during.0));
    s.push(" AND at_ms < ").param(Bind::Value(ColType::BigInt, during.1));
    if !actions.is_empty() {
        s.push(" AND action IN (");
        for (i, action) in actions.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.param(Bind::Value(ColType::Text, action));
        }
        s.push(")");
    }
    if let Some(params) = params {
        s.push(" AND params = ").param(Bind::Value(ColType::Text, params));
    }
    s.push(&format!(" ORDER BY log_id DESC LIMIT {limit}"));
    s
}

/// Deletes at most `limit` rows of `table` whose time column `column` is set (above 0) and
/// below `before`, keeping those whose `spare` column holds its value. Each backend bounds a
/// delete its own way: PostgreSQL by the rows' `ctid`s, SQLite by `rowid`, MySQL by
/// `DELETE ... LIMIT`.
pub fn delete_older<'a>(
    dialect: Dialect,
    table: &TableDef,
    column: &Column,
    before: &'a Value,
    spare: Option<(&Column, &str)>,
    limit: usize,
) -> Statement<'a> {
    let name = table.name;
    let mut s = match dialect {
        Dialect::Postgres => {
            Statement::new(dialect, format!("DELETE FROM {name} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {name} WHERE "))
        }
        Dialect::Sqlite => {
            Statement::new(dialect, format!("DELETE FROM {name} WHERE rowid IN (SELECT rowid FROM {name} WHERE "))
        }
        Dialect::Mysql => Statement::new(dialect, format!("DELETE FROM {name} WHERE ")),
    };
    let time = column.name;
    s.push(&format!("{time} > 0 AND {time} < ")).param(Bind::Value(column.ty, before));
    if let Some((spared, word)) = spare {
        // A literal, not a bind: a partial index `WHERE kind <> 'grant'` serves the statement
        // only when the planner sees the same condition. The word is checked to need no
        // quoting ([`crate::storage::Sweep::spared`]).
        s.push(&format!(" AND {} <> '{word}'", spared.name));
    }
    match dialect {
        Dialect::Postgres => s.push(&format!(" LIMIT {limit}))")),
        Dialect::Sqlite => s.push(&format!(" LIMIT {limit})")),
        // In index order: the same rows whatever the replica (statement-based binlogs).
        Dialect::Mysql => s.push(&format!(" ORDER BY {time} LIMIT {limit}")),
    };
    s
}

/// The rows of `table` a user's state holds (those its [`TableDef::live`] condition keeps)
/// whose `user_id` (first key column) is one of `users`.
pub fn select_users<'a>(dialect: Dialect, table: &TableDef, users: &'a [Value]) -> Statement<'a> {
    let mut s = Statement::new(dialect, select(dialect, table));
    s.push(" WHERE ");
    if let Some(live) = table.live {
        s.push(live).push(" AND ");
    }
    s.push(table.key[0].name).push(" IN ");
    s.tuple(users.iter().map(|u| Bind::Value(ColType::BigInt, u)));
    s.cacheable = users.len() == 1;
    s
}

/// Locks the `users` rows of `users` until the transaction ends and reads their owner
/// epochs (`i0` user, `i1` epoch). On SQLite, which locks the whole database for a writer,
/// [`lock_users`] must run first in the same transaction.
pub fn fence<'a>(dialect: Dialect, users: &'a [Value]) -> Statement<'a> {
    let mut s = Statement::new(dialect, "SELECT user_id AS i0, owner_epoch AS i1 FROM users WHERE user_id IN ");
    s.tuple(users.iter().map(|u| Bind::Value(ColType::BigInt, u)));
    match dialect {
        Dialect::Postgres | Dialect::Mysql => {
            s.push(" FOR UPDATE");
        }
        Dialect::Sqlite => {}
    }
    s.cacheable = users.len() == 1;
    s
}

/// The node that owns a user and the owner epoch (read under the user's row lock).
pub fn owner<'a>(dialect: Dialect, user: &'a Value) -> Statement<'a> {
    let mut s = Statement::new(dialect, "SELECT owner_node AS i0, owner_epoch AS i1 FROM users WHERE user_id = ");
    s.param(Bind::Value(ColType::BigInt, user));
    s.cacheable = true;
    s
}

/// An activation takes a user over: the owner epoch raised (the fence every older
/// activation's commit now fails) and the owning node recorded, in one write.
pub fn take_over<'a>(dialect: Dialect, user: &'a Value, node: &'a Value) -> Statement<'a> {
    let mut s = Statement::new(dialect, "UPDATE users SET owner_epoch = owner_epoch + 1, owner_node = ");
    s.param(Bind::Value(ColType::BigInt, node));
    s.push(" WHERE user_id = ").param(Bind::Value(ColType::BigInt, user));
    s.cacheable = true;
    s
}

/// New users' profile rows, each owned from the start by its node at owner epoch 1: what an
/// activation's take-over would leave, written with the rows (a sign-up's actor starts from
/// the row it wrote, without reading it back). A row there already is left as it is; the
/// count of rows the statement answers is of those it wrote.
pub fn insert_owned_users<'a>(dialect: Dialect, profiles: &[(&'a Row, &'a Value)]) -> Statement<'a> {
    let insert = if dialect == Dialect::Mysql { "INSERT IGNORE INTO" } else { "INSERT INTO" };
    let columns = written_columns(&USERS);
    let mut s =
        Statement::new(dialect, format!("{insert} {} ({columns}, owner_node, owner_epoch) VALUES ", USERS.name));
    for (i, (profile, node)) in profiles.iter().enumerate() {
        if i > 0 {
            s.push(", ");
        }
        let mut binds = row_binds(&USERS, &(*profile, 0));
        binds.push(Bind::Value(ColType::BigInt, node));
        binds.push(Bind::Int(1));
        s.tuple(binds);
    }
    if dialect != Dialect::Mysql {
        s.push(" ON CONFLICT (user_id) DO NOTHING");
    }
    s.rows = profiles.len();
    s.cacheable = profiles.len() == 1;
    s
}

/// SQLite only: takes the database's write lock at once (a no-op update), so a transaction
/// that reads before it writes cannot fail on a lock upgrade; waits as `busy_timeout` says.
pub fn lock_users<'a>(dialect: Dialect, users: &'a [Value]) -> Statement<'a> {
    let mut s = Statement::new(dialect, "UPDATE users SET owner_epoch = owner_epoch WHERE user_id IN ");
    s.tuple(users.iter().map(|u| Bind::Value(ColType::BigInt, u)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::rows::{ColType, col};
    use crate::storage::tables::USERS;

    /// A stamped table of two key columns and one more, as the SQL below is written for.
    static PAIRS: TableDef = TableDef {
        name: "pairs",
        key: &[col("user_id", ColType::BigInt), col("friend_id", ColType::BigInt)],
        columns: &[col("since_ms", ColType::BigInt)],
        stamped: true,
        live: None,
    };

    fn row(values: &[i64]) -> Row {
        values.iter().map(|v| Value::Int(*v)).collect()
    }

    #[test]
    fn multi_row_insert_numbers_placeholders_per_dialect() {
        let (a, b) = (row(&[1, 2, 3]), row(&[1, 4, 5]));
        let pg = insert(Dialect::Postgres, &PAIRS, &[(&a, 7), (&b, 7)]);
        assert_eq!(pg.len(), 1);
        assert_eq!(
            pg[0].text(),
            "INSERT INTO pairs (user_id, friend_id, since_ms, owner_epoch) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)"
        );
        assert_eq!(pg[0].binds.len(), 8);
        let my = insert(Dialect::Mysql, &USERS, &[(&a, 0)]);
        assert!(my[0].text().starts_with("INSERT INTO users (user_id, nickname, level,"), "{}", my[0].text());
        assert!(my[0].text().ends_with("?)"), "users are not stamped");
    }

    #[test]
    fn upserts_use_the_dialects_conflict_clause_never_replace() {
        let a = row(&[1, 2, 3]);
        let pg = &upsert(Dialect::Postgres, &PAIRS, &[(&a, 1)])[0].text();
        assert!(
            pg.ends_with("ON CONFLICT (user_id, friend_id) DO UPDATE SET since_ms = excluded.since_ms, owner_epoch = excluded.owner_epoch"),
            "{pg}"
        );
        let my = &upsert(Dialect::Mysql, &PAIRS, &[(&a, 1)])[0].text();
        assert!(my.starts_with("INSERT INTO pairs"), "{my}");
        assert!(my.ends_with("ON DUPLICATE KEY UPDATE since_ms = VALUES(since_ms), owner_epoch = VALUES(owner_epoch)"));
    }

    #[test]
    fn a_patch_sets_only_listed_columns_and_keeps_the_rest() {
        let gold = USERS.column("gold").unwrap();
        let nick = USERS.column("nickname").unwrap();
        let (k1, k2) = ([Value::Int(1)], [Value::Int(2)]);
        let s1 = [(gold, Value::Int(10))];
        let s2 = [(nick, Value::Text("x".into()))];
        let patches: Vec<Patch> = vec![(&k1, &s1, 0), (&k2, &s2, 0)];
        let pg = &patch(Dialect::Postgres, &USERS, &patches)[0];
        assert_eq!(
            pg.text(),
            "UPDATE users AS t SET nickname = COALESCE(v.c0, t.nickname), gold = COALESCE(v.c3, t.gold) \
             FROM (VALUES ($1, $2, $3), ($4, $5, $6)) AS v(k0, c0, c3) WHERE t.user_id = v.k0"
        );
        assert!(matches!(pg.binds[1], Bind::Null(ColType::Text)));
        assert!(matches!(pg.binds[5], Bind::Null(ColType::BigInt)));
        let my = &patch(Dialect::Mysql, &USERS, &patches)[0].text();
        assert_eq!(
            my,
            "UPDATE users AS t JOIN (SELECT ? AS k0, ? AS c0, ? AS c3 UNION ALL SELECT ?, ?, ?) AS v ON t.user_id = v.k0 \
             SET t.nickname = COALESCE(v.c0, t.nickname), t.gold = COALESCE(v.c3, t.gold)"
        );
        let lite = &patch(Dialect::Sqlite, &USERS, &patches)[0].text();
        assert!(lite.contains(
            "FROM (SELECT column1 AS k0, column2 AS c0, column3 AS c3 FROM (VALUES (?, ?, ?), (?, ?, ?))) AS v"
        ));
    }

    #[test]
    fn deletes_match_whole_keys() {
        let (k1, k2) = (row(&[1, 2]), row(&[1, 3]));
        let keys: Vec<&[Value]> = vec![&k1, &k2];
        assert_eq!(
            delete(Dialect::Postgres, &PAIRS, &keys)[0].text(),
            "DELETE FROM pairs WHERE (user_id, friend_id) IN (($1, $2), ($3, $4))"
        );
        assert_eq!(
            delete(Dialect::Sqlite, &PAIRS, &keys)[0].text(),
            "DELETE FROM pairs WHERE (user_id, friend_id) IN (VALUES (?, ?), (?, ?))"
        );
        assert_eq!(
            delete(Dialect::Mysql, &PAIRS, &keys)[0].text(),
            "DELETE FROM pairs WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)"
        );
    }

    #[test]
    fn big_batches_split_below_the_parameter_limit() {
        let rows: Vec<Row> = (0..20_000).map(|i| row(&[1, i, 0])).collect();
        let refs: Vec<Stamped> = rows.iter().map(|r| (r, 1)).collect();
        let statements = insert(Dialect::Sqlite, &PAIRS, &refs);
        assert!(statements.len() > 1);
        assert!(statements.iter().all(|s| s.binds.len() <= MAX_BINDS));
        assert_eq!(statements.iter().map(|s| s.binds.len()).sum::<usize>(), 20_000 * 4);
    }

    #[test]
    fn selects_alias_columns_by_type_and_place() {
        let sql = select(Dialect::Postgres, &USERS);
        assert!(sql.starts_with("SELECT user_id AS i0, nickname AS s1, CAST(level AS BIGINT) AS i2"), "{sql}");
        assert!(select(Dialect::Mysql, &USERS).contains("level AS i2"));
    }

    #[test]
    fn a_sweep_spares_a_checked_word_and_bounds_itself_per_backend() {
        use crate::storage::Sweep;
        use crate::storage::db::DbKind;
        use crate::storage::tables::MAIL;
        let sweep =
            |spare| Sweep { on: DbKind::Game, table: &MAIL, column: "expires_at_ms", before_ms: 5, spare, batch: 10 };
        let spared = sweep(Some(("kind", "grant"))).spared().expect("a word").expect("spared");
        let column = MAIL.all().find(|c| c.name == "expires_at_ms").unwrap();
        let before = Value::Int(5);
        let statement = |dialect| delete_older(dialect, &MAIL, column, &before, Some(spared), 10).text();
        assert!(
            statement(Dialect::Postgres).contains("ctid") && statement(Dialect::Postgres).contains("kind <> 'grant'")
        );
        assert!(statement(Dialect::Sqlite).contains("rowid IN"));
        assert!(statement(Dialect::Mysql).ends_with("ORDER BY expires_at_ms LIMIT 10"));
        assert!(sweep(Some(("kind", "x' OR '1"))).spared().is_err(), "no quoting needed, none allowed");
        assert!(sweep(Some(("nope", "grant"))).spared().is_err(), "a column the table has");
    }
}
