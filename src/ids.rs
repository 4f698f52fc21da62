//! 64-bit ids unique across shards and server nodes, made without asking a database:
//! 41 bits of milliseconds since 2026-01-01, 10 bits of node id, 12 bits of sequence
//! (4,096 ids per millisecond per node). Ids grow with time, so indexes stay append-mostly.
//!
//! Users get single ids. Entities a handler creates (monsters, mail) take ids from a block of
//! [`BLOCK_SIZE`] consecutive ids reserved for their user and kept in the user's state
//! (`id_next`..`id_end`): a handler mints the next one without a clock or any I/O, so replaying
//! a request from the same state mints the same ids, and the ids stay unique everywhere
//! because every block is a part of this id space no one else is given.
//!
//! When a millisecond's 4,096 ids are used up, the generator borrows from the next ones, but
//! never more than [`AHEAD_MS`] ahead of the time it started plus the time elapsed since
//! (a monotonic clock: a wall clock stepped back changes nothing; past that it waits for
//! time to pass, without holding its lock), and a new generator starts [`AHEAD_MS`] ahead
//! of the wall clock. So a process restarted after a crash, at least a millisecond later and
//! on a wall clock that did not step back meanwhile, never hands out ids its predecessor
//! did, with no stored high-water mark. Each running process needs a node id of its own.

use std::ops::Range;
use std::sync::{Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// 2026-01-01T00:00:00Z in ms since the Unix epoch.
const EPOCH_MS: u64 = 1_767_225_600_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
/// The largest node id.
pub const MAX_NODE: u16 = (1 << NODE_BITS) - 1;
/// Ids in one block reserved for a user's entities (a sixteenth of a millisecond's sequence).
pub const BLOCK_SIZE: u64 = 256;
/// How far ahead of the wall clock a generator may run when it borrows milliseconds.
pub const AHEAD_MS: u64 = 1_000;

/// Makes ids for one node.
#[derive(Debug)]
pub struct IdGenerator {
    node: u64,
    /// (last millisecond used, next sequence number in it)
    last: Mutex<(u64, u64)>,
    /// The wall clock when the generator started, and the monotonic instant of it.
    started: (u64, std::time::Instant),
}

/// Milliseconds since [`EPOCH_MS`].
fn clock_ms() -> u64 {
    let unix = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    unix.saturating_sub(EPOCH_MS)
}

/// The generator of node `node` in this process. One per node, so that every part of the
/// server (registration, entity blocks, action logs) draws from the same sequence.
pub fn generator(node: u16) -> &'static IdGenerator {
    static GENERATORS: OnceLock<Mutex<Vec<Option<&'static IdGenerator>>>> = OnceLock::new();
    let node = node.min(MAX_NODE);
    let all = GENERATORS.get_or_init(|| Mutex::new(vec![None; usize::from(MAX_NODE) + 1]));
    let mut all = all.lock().unwrap_or_else(|p| p.into_inner());
    all[usize::from(node)].get_or_insert_with(|| Box::leak(Box::new(IdGenerator::new(node))))
}

impl IdGenerator {
    /// A generator for node `node` (0..=1023). Prefer [`generator`]: two generators of one
    /// node in one process would repeat each other's ids.
    pub fn new(node: u16) -> Self {
        let wall = clock_ms();
        // Past every id a crashed predecessor could have made (it ran at most AHEAD_MS ahead).
        let start = wall + AHEAD_MS;
        Self { node: u64::from(node.min(MAX_NODE)), last: Mutex::new((start, 0)), started: (wall, Instant::now()) }
    }

    /// The start's wall clock plus the time elapsed since, in ms since [`EPOCH_MS`].
    fn steady_ms(&self) -> u64 {
        self.started.0 + self.started.1.elapsed().as_millis() as u64
    }

    /// Takes `count` consecutive sequence numbers (at most 4,096, starting at a multiple of
    /// `align`) in the current or a later millisecond; answers the first id.
    fn take(&self, count: u64, align: u64) -> u64 {
        loop {
            {
                let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
                // If the wall clock steps back, keep counting from the last millisecond used,
                // so ids never repeat.
                let mut ms = clock_ms().max(last.0);
                let mut seq = if ms == last.0 { last.1.next_multiple_of(align) } else { 0 };
                if seq + count > 1 << SEQ_BITS {
                    ms += 1;
                    seq = 0;
                }
                if ms <= self.steady_ms() + AHEAD_MS {
                    *last = (ms, seq + count);
                    return (ms << (NODE_BITS + SEQ_BITS)) | (self.node << SEQ_BITS) | seq;
                }
            }
            // Only a burst of more than 4 million ids a second gets here: wait for time to
            // pass rather than run further ahead, without holding the lock.
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// A new id, larger than every id this generator made before.
    pub fn next_id(&self) -> u64 {
        self.take(1, 1)
    }

    /// A block of [`BLOCK_SIZE`] ids for a user's entities, after every id made before.
    pub fn next_block(&self) -> Range<u64> {
        let first = self.take(BLOCK_SIZE, BLOCK_SIZE);
        first..first + BLOCK_SIZE
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

    #[test]
    fn blocks_and_single_ids_never_overlap() {
        let ids = IdGenerator::new(5);
        let mut seen = HashSet::new();
        for i in 0..2_000 {
            if i % 3 == 0 {
                let block = ids.next_block();
                assert_eq!(block.end - block.start, BLOCK_SIZE);
                assert_eq!(block.start % BLOCK_SIZE, 0, "a block stays within one millisecond");
                for id in block {
                    assert!(seen.insert(id), "id {id} made twice");
                }
            } else {
                assert!(seen.insert(ids.next_id()));
            }
        }
        assert!(seen.iter().all(|id| (id >> SEQ_BITS) & u64::from(MAX_NODE) == 5));
    }

    #[test]
    fn a_restarted_generator_starts_past_its_predecessor_and_never_runs_far_ahead() {
        let first = IdGenerator::new(9);
        let made: Vec<u64> = (0..50_000).map(|_| first.next_id()).collect();
        let ms = |id: u64| id >> (NODE_BITS + SEQ_BITS);
        let newest = made.iter().copied().max().unwrap();
        assert!(ms(newest) <= first.steady_ms() + AHEAD_MS, "at most AHEAD_MS ahead of the clock");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let restarted = IdGenerator::new(9);
        assert!(restarted.next_id() > newest, "a successor never repeats an id");
    }

    #[test]
    fn one_generator_per_node_in_a_process() {
        assert!(std::ptr::eq(generator(7), generator(7)));
        assert!(!std::ptr::eq(generator(7), generator(8)));
    }
}
