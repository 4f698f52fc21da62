//! 64-bit ids unique across shards and server nodes, made without asking a database:
//! 41 bits of milliseconds since 2026-01-01, 10 bits of node id, 12 bits of sequence
//! (4,096 ids per millisecond per node). Ids grow with time, so indexes stay append-mostly.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// 2026-01-01T00:00:00Z in ms since the Unix epoch.
const EPOCH_MS: u64 = 1_767_225_600_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
/// The largest node id.
pub const MAX_NODE: u16 = (1 << NODE_BITS) - 1;

/// Makes ids for one node.
#[derive(Debug)]
pub struct IdGenerator {
    node: u64,
    /// (last millisecond used, next sequence number in it)
    last: Mutex<(u64, u64)>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl IdGenerator {
    /// A generator for node `node` (0..=1023).
    pub fn new(node: u16) -> Self {
        Self { node: u64::from(node.min(MAX_NODE)), last: Mutex::new((0, 0)) }
    }

    /// A new id, larger than every id this generator made before.
    pub fn next_id(&self) -> u64 {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        // If the wall clock steps back, keep counting from the last millisecond used, so
        // ids never repeat.
        let mut ms = now_ms().saturating_sub(EPOCH_MS).max(last.0);
        if ms == last.0 {
            if last.1 >= 1 << SEQ_BITS {
                ms += 1;
                *last = (ms, 0);
            }
        } else {
            *last = (ms, 0);
        }
        let seq = last.1;
        last.1 += 1;
        (ms << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | seq
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_increasing_even_past_4096_per_millisecond() {
        let ids = IdGenerator::new(3);
        let made: Vec<u64> = (0..20_000).map(|_| ids.next_id()).collect();
        assert!(made.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(made.iter().collect::<HashSet<_>>().len(), made.len());
        assert!(made.iter().all(|id| (id >> SEQ_BITS) & u64::from(MAX_NODE) == 3));
        assert!(made.iter().all(|&id| id < i64::MAX as u64), "ids fit a signed 64-bit column");
    }

    #[test]
    fn nodes_never_collide() {
        let a = IdGenerator::new(1);
        let b = IdGenerator::new(2);
        let ids: HashSet<u64> = (0..5_000).flat_map(|_| [a.next_id(), b.next_id()]).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
