//! Running generated [`Statement`]s on any backend: [`SqlConn`] is implemented once per
//! connection type (SQLite, PostgreSQL, MySQL), so the batch and load logic above it is
//! written once, generic over the connection; [`DynRow`] decodes a selected row of any table
//! by the type letter of its column aliases (`crate::storage::sql::alias`).

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::row::{Field, NamedRow};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Binary, Integer, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;

use crate::storage::db::SqliteConn;
use crate::storage::rows::{ColType, Row, Value};
use crate::storage::sql::{Bind, Dialect, Statement};

/// One selected row, its values in the order selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynRow(pub Row);

impl<DB> QueryableByName<DB> for DynRow
where
    DB: Backend,
    i64: FromSql<BigInt, DB>,
    String: FromSql<Text, DB>,
    Vec<u8>: FromSql<Binary, DB>,
{
    fn build<'a>(row: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        let count = row.field_count();
        let mut values = Vec::with_capacity(count);
        for index in 0..count {
            let field = diesel::row::Row::get(row, index).ok_or("a selected column is missing")?;
            let name = field.field_name().ok_or("a selected column has no name")?;
            let value = match name.as_bytes().first() {
                Some(b'i') => Value::Int(<i64 as FromSql<BigInt, DB>>::from_nullable_sql(field.value())?),
                Some(b's') => Value::Text(<String as FromSql<Text, DB>>::from_nullable_sql(field.value())?),
                Some(b'b') => Value::Bytes(<Vec<u8> as FromSql<Binary, DB>>::from_nullable_sql(field.value())?),
                _ => return Err(format!("column {name} is not named by its type").into()),
            };
            values.push(value);
        }
        Ok(DynRow(values))
    }
}

/// A connection that runs generated statements.
pub trait SqlConn: AsyncConnection + Send {
    /// The SQL it speaks.
    const DIALECT: Dialect;

    /// Runs `statement`; answers the rows it affected.
    fn exec<'c, 'a: 'c>(&'c mut self, statement: Statement<'a>) -> BoxFuture<'c, QueryResult<usize>>;

    /// Runs a select made by `crate::storage::sql`; answers its rows.
    fn rows<'c, 'a: 'c>(&'c mut self, statement: Statement<'a>) -> BoxFuture<'c, QueryResult<Vec<Row>>>;

    /// Runs `statements` in order; answers the rows each affected. On PostgreSQL they are
    /// pipelined: their executions are all sent before the first answer is read (a statement
    /// not prepared yet waits for its own prepare first).
    fn exec_all<'c, 'a: 'c>(&'c mut self, statements: Vec<Statement<'a>>) -> BoxFuture<'c, QueryResult<Vec<usize>>> {
        Box::pin(async move {
            let mut affected = Vec::with_capacity(statements.len());
            for statement in statements {
                affected.push(self.exec(statement).await?);
            }
            Ok(affected)
        })
    }

    /// Runs the selects `statements` in order; answers each one's rows (pipelined like
    /// [`SqlConn::exec_all`] on PostgreSQL).
    fn rows_all<'c, 'a: 'c>(&'c mut self, statements: Vec<Statement<'a>>) -> BoxFuture<'c, QueryResult<Vec<Vec<Row>>>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(statements.len());
            for statement in statements {
                out.push(self.rows(statement).await?);
            }
            Ok(out)
        })
    }
}

/// The dialect of a connection (inside `with_conn!`, where its type has no name).
pub fn dialect_of<C: SqlConn>(_: &C) -> Dialect {
    C::DIALECT
}

fn mismatch(ty: ColType) -> diesel::result::Error {
    diesel::result::Error::SerializationError(format!("a value does not fit its {ty:?} column").into())
}

/// Implements [`SqlConn`] for `$conn` on backend `$db` (a macro: the backends' bounds differ
/// and a generic implementation would have to name them all at every use).
macro_rules! sql_conn {
    ($conn:ty, $db:ty, $dialect:expr) => {
        sql_conn!($conn, $db, $dialect, {});
    };
    ($conn:ty, $db:ty, $dialect:expr, { $($more:item)* }) => {
        impl SqlConn for $conn {
            $($more)*

            const DIALECT: Dialect = $dialect;

            fn exec<'c, 'a: 'c>(&'c mut self, statement: Statement<'a>) -> BoxFuture<'c, QueryResult<usize>> {
                Box::pin(async move { Generated(&statement).execute(self).await })
            }

            fn rows<'c, 'a: 'c>(&'c mut self, statement: Statement<'a>) -> BoxFuture<'c, QueryResult<Vec<Row>>> {
                Box::pin(async move {
                    let rows: Vec<DynRow> = Generated(&statement).load(self).await?;
                    Ok(rows.into_iter().map(|r| r.0).collect())
                })
            }
        }
    };
}

/// A [`Statement`] as a diesel query: its text, with each bind pushed where its mark is (so
/// diesel writes the backend's placeholder), typed by its column. Cacheable statements are
/// prepared once per connection and reused.
struct Generated<'s, 'a>(&'s Statement<'a>);

static NULL_BIGINT: Option<i64> = None;
static NULL_INTEGER: Option<i32> = None;
static NULL_TEXT: Option<&str> = None;
static NULL_BYTES: Option<&[u8]> = None;

impl<DB> QueryFragment<DB> for Generated<'_, '_>
where
    DB: Backend
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Integer>
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<Binary>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    str: ToSql<Text, DB>,
    [u8]: ToSql<Binary, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
    Option<i32>: ToSql<Nullable<Integer>, DB>,
    Option<&'static str>: ToSql<Nullable<Text>, DB>,
    Option<&'static [u8]>: ToSql<Nullable<Binary>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let statement = self.0;
        if !statement.cacheable {
            out.unsafe_to_cache_prepared();
        }
        let (sql, marks) = statement.parts();
        let mut at = 0;
        for (mark, bind) in marks.iter().zip(&statement.binds) {
            out.push_sql(&sql[at..*mark]);
            at = *mark;
            match bind {
                Bind::Int(v) => out.push_bind_param::<BigInt, i64>(v)?,
                Bind::Int32(v) => out.push_bind_param::<Integer, i32>(v)?,
                Bind::Value(ColType::BigInt, Value::Int(v)) => out.push_bind_param::<BigInt, i64>(v)?,
                Bind::Value(ColType::Text, Value::Text(v)) => out.push_bind_param::<Text, str>(v.as_str())?,
                Bind::Value(ColType::Bytes, Value::Bytes(v)) => out.push_bind_param::<Binary, [u8]>(v.as_slice())?,
                Bind::Value(ty, _) | Bind::Unfit(ty) => return Err(mismatch(*ty)),
                Bind::Null(ColType::BigInt) => out.push_bind_param::<Nullable<BigInt>, _>(&NULL_BIGINT)?,
                Bind::Null(ColType::Integer) => out.push_bind_param::<Nullable<Integer>, _>(&NULL_INTEGER)?,
                Bind::Null(ColType::Text) => out.push_bind_param::<Nullable<Text>, _>(&NULL_TEXT)?,
                Bind::Null(ColType::Bytes) => out.push_bind_param::<Nullable<Binary>, _>(&NULL_BYTES)?,
            }
        }
        out.push_sql(&sql[at..]);
        Ok(())
    }
}

impl QueryId for Generated<'_, '_> {
    type QueryId = ();
    // Its text is its identity: cached statements are keyed by it.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Generated<'_, '_> {
    type SqlType = diesel::sql_types::Untyped;
}

sql_conn!(SqliteConn, diesel::sqlite::Sqlite, Dialect::Sqlite);
sql_conn!(AsyncPgConnection, diesel::pg::Pg, Dialect::Postgres, {
    fn exec_all<'c, 'a: 'c>(&'c mut self, statements: Vec<Statement<'a>>) -> BoxFuture<'c, QueryResult<Vec<usize>>> {
        Box::pin(async move {
            // Futures made through a shared reference pipeline on one connection.
            let shared: &AsyncPgConnection = self;
            let sent: Vec<_> = statements.iter().map(|s| Generated(s).execute(&mut &*shared)).collect();
            futures_util::future::try_join_all(sent).await
        })
    }

    fn rows_all<'c, 'a: 'c>(&'c mut self, statements: Vec<Statement<'a>>) -> BoxFuture<'c, QueryResult<Vec<Vec<Row>>>> {
        Box::pin(async move {
            let shared: &AsyncPgConnection = self;
            let sent: Vec<_> = statements.iter().map(|s| Generated(s).load::<DynRow>(&mut &*shared)).collect();
            let loaded = futures_util::future::try_join_all(sent).await?;
            Ok(loaded.into_iter().map(|rows| rows.into_iter().map(|r| r.0).collect()).collect())
        })
    }
});
sql_conn!(AsyncMysqlConnection, diesel::mysql::Mysql, Dialect::Mysql);
