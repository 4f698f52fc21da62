//! A delivery from another user waiting in the user's inbox: copied there by the sender's
//! shard's delivery courier, applied by the user's own actor, which marks it applied in the
//! same commit (`crate::game::inbox`). An applied row is a record, not state: it is left out
//! when the inbox is loaded, and leaves the state once applied.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::INBOX;

/// One delivery, as the inbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The delivery id (the sender's outbox row's).
    pub id: u64,
    pub sender: u64,
    pub sender_shard: i16,
    /// The variant of the encoded body, for people reading the table.
    pub kind: String,
    /// A `summoner.social.Delivery`, encoded.
    pub body: Vec<u8>,
    pub sent_at_ms: i64,
    /// When the user's actor applied it (0: waiting).
    pub applied_at_ms: i64,
}

impl Entity for Received {
    type Key = u64;
    const TABLE: &'static TableDef = &INBOX;

    fn key(&self) -> u64 {
        self.id
    }

    fn columns(&self) -> Vec<Value> {
        vec![
            Value::uint(self.sender),
            Value::Int(i64::from(self.sender_shard)),
            Value::Text(self.kind.clone()),
            Value::Bytes(self.body.clone()),
            Value::Int(self.sent_at_ms),
            Value::Int(self.applied_at_ms),
        ]
    }

    fn is_live(&self) -> bool {
        self.applied_at_ms == 0
    }

    fn read(id: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self {
            id,
            sender: r.uint()?,
            sender_shard: r.i16()?,
            kind: r.text()?,
            body: r.bytes()?,
            sent_at_ms: r.int()?,
            applied_at_ms: r.int()?,
        })
    }
}
