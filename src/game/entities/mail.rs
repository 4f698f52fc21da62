//! A mail in the user's mailbox: a reward, a gift, a notice.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::MAIL;

/// One mail; times are 0 when not (yet) reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Minted by whoever sent it (unique everywhere).
    pub id: u64,
    /// What kind of mail it is (`reward`, `gift`, `grant`, ...).
    pub kind: String,
    /// The sending user; 0 for the system or an operator.
    pub sender_id: u64,
    pub title: String,
    pub body: String,
    /// What claiming it gives, as encoded protobuf.
    pub attachments: Vec<u8>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub read_at_ms: i64,
    pub claimed_at_ms: i64,
}

impl Entity for Mail {
    type Key = u64;
    const TABLE: &'static TableDef = &MAIL;

    fn key(&self) -> u64 {
        self.id
    }

    fn columns(&self) -> Vec<Value> {
        vec![
            Value::Text(self.kind.clone()),
            Value::uint(self.sender_id),
            Value::Text(self.title.clone()),
            Value::Text(self.body.clone()),
            Value::Bytes(self.attachments.clone()),
            Value::Int(self.created_at_ms),
            Value::Int(self.expires_at_ms),
            Value::Int(self.read_at_ms),
            Value::Int(self.claimed_at_ms),
        ]
    }

    fn read(id: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self {
            id,
            kind: r.text()?,
            sender_id: r.uint()?,
            title: r.text()?,
            body: r.text()?,
            attachments: r.bytes()?,
            created_at_ms: r.int()?,
            expires_at_ms: r.int()?,
            read_at_ms: r.int()?,
            claimed_at_ms: r.int()?,
        })
    }
}
