//! Rows as storage sees them: typed values in the column order of a table's definition
//! ([`crate::storage::tables`]), and the changes a commit makes to them ([`RowWrite`]).
//!
//! Storage knows tables and rows, never game types: the game layer turns its entities into
//! rows and back (`crate::game::entities`). A row lists the key columns first, then the
//! other columns, in the order the [`TableDef`] gives.

use std::fmt;

/// A column's type, as every backend stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// 64-bit signed integer (`BIGINT`). Unsigned game values are stored as their bit pattern.
    BigInt,
    /// 32-bit signed integer (`INTEGER`), for the columns that were created so.
    Integer,
    /// UTF-8 text.
    Text,
    /// Bytes (`BYTEA`, `BLOB`, `MEDIUMBLOB`).
    Bytes,
}

/// One column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
}

/// A column named `name` of type `ty` (for the table definitions).
pub const fn col(name: &'static str, ty: ColType) -> Column {
    Column { name, ty }
}

/// A table: its name, key and columns, for every backend at once. SQL is generated from this
/// (`crate::storage::sql`); only the migrations are written per backend.
#[derive(Debug, PartialEq, Eq)]
pub struct TableDef {
    pub name: &'static str,
    /// The primary key; a user's tables start with `user_id`.
    pub key: &'static [Column],
    /// The other columns. Every one is `NOT NULL` (a patch uses NULL for "left as it is").
    pub columns: &'static [Column],
    /// Writes stamp the row with the writer's owner epoch (column `owner_epoch`).
    pub stamped: bool,
    /// The condition (SQL on the table's own columns, no binds) of the rows a user's state
    /// holds; the others are records, read by views (history, exports) but not when a
    /// user's rows are loaded. None: every row is state.
    pub live: Option<&'static str>,
}

impl TableDef {
    /// Key columns, then the other columns.
    pub fn all(&self) -> impl Iterator<Item = &'static Column> + '_ {
        self.key.iter().chain(self.columns.iter())
    }

    /// Columns in a row of this table.
    pub fn width(&self) -> usize {
        self.key.len() + self.columns.len()
    }

    /// The index in `columns` (not counting the key) of the column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

impl fmt::Display for TableDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    /// An unsigned value, stored as its two's-complement bit pattern (lossless both ways).
    pub fn uint(v: u64) -> Self {
        Value::Int(v as i64)
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Int(_) => "integer",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
        }
    }

    /// Whether this value can be stored in a column of type `ty`.
    pub fn fits(&self, ty: ColType) -> bool {
        match (self, ty) {
            (Value::Int(_), ColType::BigInt) => true,
            (Value::Int(v), ColType::Integer) => i32::try_from(*v).is_ok(),
            (Value::Text(_), ColType::Text) => true,
            (Value::Bytes(_), ColType::Bytes) => true,
            _ => false,
        }
    }
}

/// Key values, then column values, in the order of the table's definition.
pub type Row = Vec<Value>;

/// One change to one row, as a commit applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowWrite {
    /// A new row (fails if the key exists).
    Insert(&'static TableDef, Row),
    /// A new row, unless one with its key exists (then that one stays as it is): a write
    /// that may be sent twice, such as an operator's grant.
    InsertNew(&'static TableDef, Row),
    /// The whole row, inserted or replacing the one with its key.
    Upsert(&'static TableDef, Row),
    /// The whole row, over the existing one with its key (fails if there is none).
    Update(&'static TableDef, Row),
    /// Sets the listed columns of the existing row with key `key` (index in `columns`,
    /// value; fails if there is no such row); the others keep what they hold, whoever wrote
    /// them.
    Patch { table: &'static TableDef, key: Vec<Value>, set: Vec<(usize, Value)> },
    /// Removes the row with key `key`.
    Delete(&'static TableDef, Vec<Value>),
    /// Removes every row whose first key column holds the value: on a user's table, every
    /// row of that user (an account's erasure).
    DeleteOwned(&'static TableDef, Value),
}

impl RowWrite {
    /// The table it writes.
    pub fn table(&self) -> &'static TableDef {
        match self {
            RowWrite::Insert(t, _)
            | RowWrite::InsertNew(t, _)
            | RowWrite::Upsert(t, _)
            | RowWrite::Update(t, _)
            | RowWrite::Delete(t, _)
            | RowWrite::DeleteOwned(t, _) => t,
            RowWrite::Patch { table, .. } => table,
        }
    }

    /// The key of the row it writes.
    pub fn key(&self) -> &[Value] {
        match self {
            RowWrite::Insert(t, row)
            | RowWrite::InsertNew(t, row)
            | RowWrite::Upsert(t, row)
            | RowWrite::Update(t, row) => &row[..t.key.len().min(row.len())],
            RowWrite::Patch { key, .. } | RowWrite::Delete(_, key) => key,
            RowWrite::DeleteOwned(_, owner) => std::slice::from_ref(owner),
        }
    }

    /// Checks the write against its table: row width, value types, column indexes.
    pub fn check(&self) -> Result<(), RowError> {
        let table = self.table();
        let check_key = |key: &[Value]| -> Result<(), RowError> {
            if key.len() != table.key.len() {
                return Err(RowError::new(table, format!("key of {} values, expected {}", key.len(), table.key.len())));
            }
            for (value, column) in key.iter().zip(table.key) {
                if !value.fits(column.ty) {
                    return Err(RowError::mismatch(table, column, value));
                }
            }
            Ok(())
        };
        match self {
            RowWrite::Insert(_, row)
            | RowWrite::InsertNew(_, row)
            | RowWrite::Upsert(_, row)
            | RowWrite::Update(_, row) => {
                if row.len() != table.width() {
                    return Err(RowError::new(
                        table,
                        format!("row of {} values, expected {}", row.len(), table.width()),
                    ));
                }
                for (value, column) in row.iter().zip(table.all()) {
                    if !value.fits(column.ty) {
                        return Err(RowError::mismatch(table, column, value));
                    }
                }
                Ok(())
            }
            RowWrite::Patch { key, set, .. } => {
                check_key(key)?;
                if set.is_empty() {
                    return Err(RowError::new(table, "a patch sets no column"));
                }
                for (index, value) in set {
                    let Some(column) = table.columns.get(*index) else {
                        return Err(RowError::new(table, format!("no column {index}")));
                    };
                    if !value.fits(column.ty) {
                        return Err(RowError::mismatch(table, column, value));
                    }
                }
                Ok(())
            }
            RowWrite::Delete(_, key) => check_key(key),
            RowWrite::DeleteOwned(_, owner) => match table.key.first() {
                Some(column) if owner.fits(column.ty) => Ok(()),
                Some(column) => Err(RowError::mismatch(table, column, owner)),
                None => Err(RowError::new(table, "a table without a key has no owner column")),
            },
        }
    }
}

/// A row that does not match its table, or a stored value the reader did not expect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("table {table}: {message}")]
pub struct RowError {
    pub table: &'static str,
    pub message: String,
}

impl RowError {
    /// An error about `table`.
    pub fn new(table: &TableDef, message: impl Into<String>) -> Self {
        Self { table: table.name, message: message.into() }
    }

    fn mismatch(table: &TableDef, column: &Column, value: &Value) -> Self {
        Self::new(table, format!("column {} ({:?}) cannot hold a {} value", column.name, column.ty, value.kind()))
    }
}

/// Reads a row's values in order, checking each one's type (what entity conversions use).
pub struct RowReader<'r> {
    table: &'static TableDef,
    values: std::slice::Iter<'r, Value>,
}

impl<'r> RowReader<'r> {
    /// A reader of `row`, a row of `table`.
    pub fn new(table: &'static TableDef, row: &'r [Value]) -> Result<Self, RowError> {
        if row.len() != table.width() {
            return Err(RowError::new(table, format!("row of {} values, expected {}", row.len(), table.width())));
        }
        Ok(Self { table, values: row.iter() })
    }

    fn next(&mut self) -> Result<&'r Value, RowError> {
        self.values.next().ok_or_else(|| RowError::new(self.table, "row read past its end"))
    }

    /// The next value, an integer.
    pub fn int(&mut self) -> Result<i64, RowError> {
        match self.next()? {
            Value::Int(v) => Ok(*v),
            other => Err(RowError::new(self.table, format!("expected an integer, found {}", other.kind()))),
        }
    }

    /// The next value, an unsigned integer stored as its bit pattern.
    pub fn uint(&mut self) -> Result<u64, RowError> {
        self.int().map(|v| v as u64)
    }

    /// The next value, a 32-bit unsigned integer.
    pub fn u32(&mut self) -> Result<u32, RowError> {
        let v = self.int()?;
        u32::try_from(v).map_err(|_| RowError::new(self.table, format!("{v} is out of range")))
    }

    /// The next value, a 16-bit signed integer (shard numbers).
    pub fn i16(&mut self) -> Result<i16, RowError> {
        let v = self.int()?;
        i16::try_from(v).map_err(|_| RowError::new(self.table, format!("{v} is out of range")))
    }

    /// The next value, text.
    pub fn text(&mut self) -> Result<String, RowError> {
        match self.next()? {
            Value::Text(v) => Ok(v.clone()),
            other => Err(RowError::new(self.table, format!("expected text, found {}", other.kind()))),
        }
    }

    /// The next value, bytes.
    pub fn bytes(&mut self) -> Result<Vec<u8>, RowError> {
        match self.next()? {
            Value::Bytes(v) => Ok(v.clone()),
            other => Err(RowError::new(self.table, format!("expected bytes, found {}", other.kind()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tables;

    #[test]
    fn writes_are_checked_against_their_table() {
        let good = RowWrite::Delete(&tables::TEAMS, vec![Value::Int(1), Value::Int(2)]);
        assert!(good.check().is_ok());
        let short = RowWrite::Delete(&tables::TEAMS, vec![Value::Int(1)]);
        assert!(short.check().is_err());
        let empty = RowWrite::Patch { table: &tables::USERS, key: vec![Value::Int(1)], set: Vec::new() };
        assert!(empty.check().is_err(), "an empty patch would be malformed SQL");
        let typed = RowWrite::Patch {
            table: &tables::USERS,
            key: vec![Value::Int(1)],
            set: vec![(tables::USERS.column("nickname").unwrap(), Value::Int(3))],
        };
        assert!(typed.check().is_err());
        let narrow = RowWrite::Patch {
            table: &tables::USERS,
            key: vec![Value::Int(1)],
            set: vec![(tables::USERS.column("level").unwrap(), Value::Int(i64::from(i32::MAX) + 1))],
        };
        assert!(narrow.check().is_err(), "an INTEGER column refuses a value past 32 bits");
    }

    #[test]
    fn a_reader_checks_width_and_types() {
        let row = vec![Value::Int(1), Value::Int(2), Value::Int(3)];
        assert!(RowReader::new(&tables::TEAMS, &row).is_ok());
        assert!(RowReader::new(&tables::TEAMS, &row[..2]).is_err());
        let mut reader = RowReader::new(&tables::TEAMS, &row).unwrap();
        assert_eq!(reader.int().unwrap(), 1);
        assert!(reader.text().is_err());
    }
}
