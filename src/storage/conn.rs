//! Running generated [`Statement`]s on any backend: [`SqlConn`] is implemented once per
//! connection type (SQLite, PostgreSQL, MySQL), so the batch and load logic above it is
//! written once, generic over the connection; [`DynRow`] decodes a selected row of any table
//! by the type letter of its column aliases (`crate::storage::sql::alias`).

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, QueryableByName};
use diesel::row::{Field, NamedRow};
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
}

/// The dialect of a connection (inside `with_conn!`, where its type has no name).
pub fn dialect_of<C: SqlConn>(_: &C) -> Dialect {
    C::DIALECT
}

fn mismatch(ty: ColType) -> diesel::result::Error {
    diesel::result::Error::SerializationError(format!("a value does not fit its {ty:?} column").into())
}

/// Implements [`SqlConn`] for `$conn` on backend `$db`: the binds are the same code per
/// backend, compiled once for each (a macro, as the three backends' bind bounds differ).
macro_rules! sql_conn {
    ($conn:ty, $db:ty, $dialect:expr) => {
        impl SqlConn for $conn {
            const DIALECT: Dialect = $dialect;

            fn exec<'c, 'a: 'c>(&'c mut self, statement: Statement<'a>) -> BoxFuture<'c, QueryResult<usize>> {
                Box::pin(async move {
                    let query = bound::<$db>(&statement)?;
                    query.execute(self).await
                })
            }

            fn rows<'c, 'a: 'c>(&'c mut self, statement: Statement<'a>) -> BoxFuture<'c, QueryResult<Vec<Row>>> {
                Box::pin(async move {
                    let query = bound::<$db>(&statement)?;
                    let rows: Vec<DynRow> = query.load(self).await?;
                    Ok(rows.into_iter().map(|r| r.0).collect())
                })
            }
        }
    };
}

/// The statement as a diesel query with its parameters bound by their column types.
fn bound<'s, DB>(
    statement: &'s Statement<'_>,
) -> QueryResult<diesel::query_builder::BoxedSqlQuery<'s, DB, diesel::query_builder::SqlQuery>>
where
    DB: Backend
        + diesel::sql_types::HasSqlType<BigInt>
        + diesel::sql_types::HasSqlType<Integer>
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<Binary>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
    i32: diesel::serialize::ToSql<Integer, DB>,
    str: diesel::serialize::ToSql<Text, DB>,
    [u8]: diesel::serialize::ToSql<Binary, DB>,
    Option<i64>: diesel::serialize::ToSql<Nullable<BigInt>, DB>,
    Option<i32>: diesel::serialize::ToSql<Nullable<Integer>, DB>,
    Option<&'s str>: diesel::serialize::ToSql<Nullable<Text>, DB>,
    Option<&'s [u8]>: diesel::serialize::ToSql<Nullable<Binary>, DB>,
{
    let mut query = diesel::sql_query(statement.sql.as_str()).into_boxed::<DB>();
    for bind in &statement.binds {
        query = match *bind {
            Bind::Int(v) => query.bind::<BigInt, _>(v),
            Bind::Value(ColType::BigInt, Value::Int(v)) => query.bind::<BigInt, _>(*v),
            Bind::Value(ColType::Integer, Value::Int(v)) => {
                query.bind::<Integer, _>(i32::try_from(*v).map_err(|_| mismatch(ColType::Integer))?)
            }
            Bind::Value(ColType::Text, Value::Text(v)) => query.bind::<Text, _>(v.as_str()),
            Bind::Value(ColType::Bytes, Value::Bytes(v)) => query.bind::<Binary, _>(v.as_slice()),
            Bind::Value(ty, _) => return Err(mismatch(ty)),
            Bind::Null(ColType::BigInt) => query.bind::<Nullable<BigInt>, _>(None::<i64>),
            Bind::Null(ColType::Integer) => query.bind::<Nullable<Integer>, _>(None::<i32>),
            Bind::Null(ColType::Text) => query.bind::<Nullable<Text>, _>(None::<&str>),
            Bind::Null(ColType::Bytes) => query.bind::<Nullable<Binary>, _>(None::<&[u8]>),
        };
    }
    Ok(query)
}

sql_conn!(SqliteConn, diesel::sqlite::Sqlite, Dialect::Sqlite);
sql_conn!(AsyncPgConnection, diesel::pg::Pg, Dialect::Postgres);
sql_conn!(AsyncMysqlConnection, diesel::mysql::Mysql, Dialect::Mysql);
