//! The queue of one shard's persistence actor, as plain data: bounded by count, first in
//! first out, and every job carries its caller's deadline. A job still queued when its
//! deadline passes is dropped when the next batch is taken, so it is committed or cleanly
//! dropped before any later job of the same user, never left to land after one.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// One queued job and whom it belongs to.
#[derive(Debug)]
pub struct Queued<T> {
    pub user: i64,
    /// After this the caller no longer waits: the job is dropped unless a batch took it.
    pub deadline: Instant,
    /// When it was queued.
    pub queued_at: Instant,
    pub item: T,
}

/// A FIFO of at most `capacity` jobs.
#[derive(Debug)]
pub struct Queue<T> {
    items: VecDeque<Queued<T>>,
    capacity: usize,
    /// Queued jobs per user, so "has this user anything queued" is O(1).
    per_user: HashMap<i64, usize>,
}

impl<T> Queue<T> {
    /// An empty queue that holds at most `capacity` jobs.
    pub fn new(capacity: usize) -> Self {
        Self { items: VecDeque::new(), capacity: capacity.max(1), per_user: HashMap::new() }
    }

    /// Queues `job`, or gives it back when the queue is full.
    pub fn push(&mut self, job: Queued<T>) -> Result<(), Queued<T>> {
        if self.items.len() >= self.capacity {
            return Err(job);
        }
        *self.per_user.entry(job.user).or_default() += 1;
        self.items.push_back(job);
        Ok(())
    }

    /// Jobs queued.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// When the oldest job queued was queued.
    pub fn oldest(&self) -> Option<Instant> {
        self.items.front().map(|job| job.queued_at)
    }

    /// Whether `user` has a job queued.
    pub fn has_user(&self, user: i64) -> bool {
        self.per_user.contains_key(&user)
    }

    /// Takes up to `max` jobs, oldest first, for the next batch; the jobs whose deadline
    /// passed before `now` are taken out too and returned apart, to be answered as dropped.
    pub fn take(&mut self, max: usize, now: Instant) -> (Vec<Queued<T>>, Vec<Queued<T>>) {
        let (mut batch, mut expired) = (Vec::new(), Vec::new());
        while batch.len() < max.max(1) {
            let Some(job) = self.items.pop_front() else { break };
            if let Some(n) = self.per_user.get_mut(&job.user) {
                *n -= 1;
                if *n == 0 {
                    self.per_user.remove(&job.user);
                }
            }
            if job.deadline < now { expired.push(job) } else { batch.push(job) }
        }
        (batch, expired)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn job(user: i64, deadline: Instant, item: u32) -> Queued<u32> {
        Queued { user, deadline, queued_at: Instant::now(), item }
    }

    #[test]
    fn the_queue_is_bounded_by_count() {
        let later = Instant::now() + Duration::from_secs(60);
        let mut q = Queue::new(2);
        assert!(q.push(job(1, later, 1)).is_ok());
        assert!(q.push(job(2, later, 2)).is_ok());
        let refused = q.push(job(3, later, 3)).expect_err("full");
        assert_eq!(refused.item, 3);
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn expired_jobs_are_dropped_in_order_and_the_rest_taken_oldest_first() {
        let now = Instant::now();
        let (past, later) = (now - Duration::from_millis(1), now + Duration::from_secs(60));
        let mut q = Queue::new(10);
        for (user, deadline, item) in [(1, past, 1), (2, later, 2), (1, later, 3), (3, later, 4)] {
            q.push(job(user, deadline, item)).unwrap();
        }
        assert!(q.has_user(1));
        let (batch, expired) = q.take(2, now);
        assert_eq!(expired.iter().map(|j| j.item).collect::<Vec<_>>(), [1]);
        assert_eq!(batch.iter().map(|j| j.item).collect::<Vec<_>>(), [2, 3]);
        assert!(!q.has_user(1) && !q.has_user(2));
        assert!(q.has_user(3));
        let (batch, expired) = q.take(10, now);
        assert_eq!((batch.len(), expired.len()), (1, 0));
        assert!(q.is_empty());
    }
}
