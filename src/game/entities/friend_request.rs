//! A pending friend request, as each side keeps it: sent (outgoing) or received.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::FRIEND_REQUESTS;

/// A pending request between the user and `other`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRequest {
    pub other: u64,
    /// Sent by the user (true) or received from `other`.
    pub outgoing: bool,
    /// `other`'s game shard (-1 until known: a request sent learns it from the answer).
    pub other_shard: i16,
    pub sent_at_ms: i64,
}

impl Entity for FriendRequest {
    type Key = u64;
    const TABLE: &'static TableDef = &FRIEND_REQUESTS;

    fn key(&self) -> u64 {
        self.other
    }

    fn columns(&self) -> Vec<Value> {
        vec![Value::Int(i64::from(self.outgoing)), Value::Int(i64::from(self.other_shard)), Value::Int(self.sent_at_ms)]
    }

    fn read(other: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self { other, outgoing: r.int()? != 0, other_shard: r.i16()?, sent_at_ms: r.int()? })
    }
}
