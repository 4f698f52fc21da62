//! [`Overlay`]: a request's copy-on-write view of one kind of the user's entities. It
//! borrows the user's map and records only what the request inserts, changes or removes.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;

use super::{Entities, Entity};

/// What a request did to one entity.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<E> {
    /// New: stored with an insert.
    Inserted(E),
    /// Existed and changed: stored whole over the stored row.
    Updated(E),
    /// Existed and is gone.
    Deleted,
}

/// One kind of entities as a request sees it.
pub struct Overlay<'s, E: Entity> {
    base: &'s Entities<E>,
    changes: BTreeMap<E::Key, Change<E>>,
    /// How many entities the request added minus how many it removed.
    grown: isize,
}

impl<'s, E: Entity> Overlay<'s, E> {
    /// A view of `base` with no changes yet.
    pub fn new(base: &'s Entities<E>) -> Self {
        Self { base, changes: BTreeMap::new(), grown: 0 }
    }

    /// The entity with `key` (or a borrowed form of it, such as `&str`), as the request left it.
    pub fn get<Q>(&self, key: &Q) -> Option<&E>
    where
        E::Key: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.changes.get(key) {
            Some(Change::Inserted(e) | Change::Updated(e)) => Some(e),
            Some(Change::Deleted) => None,
            None => self.base.get(key),
        }
    }

    /// Whether an entity with `key` exists.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        E::Key: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.get(key).is_some()
    }

    /// The entity with `key`, to change (copied from the state on first use).
    pub fn get_mut(&mut self, key: &E::Key) -> Option<&mut E> {
        if !self.changes.contains_key(key) {
            let existing = self.base.get(key)?.clone();
            self.changes.insert(key.clone(), Change::Updated(existing));
        }
        match self.changes.get_mut(key) {
            Some(Change::Inserted(e) | Change::Updated(e)) => Some(e),
            Some(Change::Deleted) | None => None,
        }
    }

    /// Adds `entity`; false (and nothing changes) if one with its key exists.
    pub fn insert(&mut self, entity: E) -> bool {
        let key = entity.key();
        if self.contains(&key) {
            return false;
        }
        // A key the state holds (removed earlier in this request) is stored over.
        let change = if self.base.contains_key(&key) { Change::Updated(entity) } else { Change::Inserted(entity) };
        self.changes.insert(key, change);
        self.grown += 1;
        true
    }

    /// Stores `entity`, replacing the one with its key if there is one.
    pub fn put(&mut self, entity: E) {
        let key = entity.key();
        match self.get_mut(&key) {
            Some(existing) => *existing = entity,
            None => {
                self.insert(entity);
            }
        }
    }

    /// Removes the entity with `key`; answers it, or None if there was none.
    pub fn remove(&mut self, key: &E::Key) -> Option<E> {
        let removed = self.get(key)?.clone();
        if self.base.contains_key(key) {
            self.changes.insert(key.clone(), Change::Deleted);
        } else {
            // Inserted by this request: it never reaches storage.
            self.changes.remove(key);
        }
        self.grown -= 1;
        Some(removed)
    }

    /// How many entities there are now.
    pub fn len(&self) -> usize {
        self.base.len().saturating_add_signed(self.grown)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entity as the request left it, in key order.
    pub fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        Merged { base: self.base.iter().peekable(), changes: self.changes.iter().peekable() }
    }

    /// What the request changed, dropping updates that left an entity as it was.
    pub fn into_changes(self) -> Vec<(E::Key, Change<E>)> {
        let base = self.base;
        self.changes
            .into_iter()
            .filter(|(key, change)| !matches!(change, Change::Updated(e) if base.get(key) == Some(e)))
            .collect()
    }
}

/// The state's entities with a request's changes laid over them, in key order.
struct Merged<'a, E: Entity, B, C>
where
    B: Iterator<Item = (&'a E::Key, &'a E)>,
    C: Iterator<Item = (&'a E::Key, &'a Change<E>)>,
{
    base: Peekable<B>,
    changes: Peekable<C>,
}

impl<'a, E: Entity, B, C> Iterator for Merged<'a, E, B, C>
where
    B: Iterator<Item = (&'a E::Key, &'a E)>,
    C: Iterator<Item = (&'a E::Key, &'a Change<E>)>,
{
    type Item = &'a E;

    fn next(&mut self) -> Option<&'a E> {
        loop {
            let order = match (self.base.peek(), self.changes.peek()) {
                (None, None) => return None,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((b, _)), Some((c, _))) => b.cmp(c),
            };
            if order == Ordering::Less {
                return self.base.next().map(|(_, e)| e);
            }
            if order == Ordering::Equal {
                self.base.next();
            }
            match self.changes.next() {
                Some((_, Change::Inserted(e) | Change::Updated(e))) => return Some(e),
                Some((_, Change::Deleted)) | None => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::entities::Friend;

    fn friends(ids: &[u64]) -> Entities<Friend> {
        ids.iter().map(|&id| (id, Friend::new(id, 1, id as i64))).collect()
    }

    #[test]
    fn reads_fall_through_and_changes_are_recorded_apart() {
        let base = friends(&[1, 2, 3]);
        let mut o = Overlay::new(&base);
        assert_eq!(o.get(&2).map(|f| f.since_ms), Some(2));
        o.get_mut(&2).unwrap().since_ms = 20;
        assert!(o.insert(Friend::new(4, 1, 4)));
        assert!(!o.insert(Friend::new(1, 1, 9)), "an existing key is not inserted over");
        assert_eq!(o.remove(&3).map(|f| f.id), Some(3));
        assert_eq!(o.len(), 3);
        assert_eq!(o.iter().map(|f| (f.id, f.since_ms)).collect::<Vec<_>>(), [(1, 1), (2, 20), (4, 4)]);
        assert_eq!(base[&2].since_ms, 2, "the state is untouched");
        let changes = o.into_changes();
        assert_eq!(
            changes,
            vec![
                (2, Change::Updated(Friend::new(2, 1, 20))),
                (3, Change::Deleted),
                (4, Change::Inserted(Friend::new(4, 1, 4))),
            ]
        );
    }

    #[test]
    fn unchanged_updates_and_inserted_then_removed_entities_write_nothing() {
        let base = friends(&[1]);
        let mut o = Overlay::new(&base);
        o.get_mut(&1); // looked at, left as it was
        assert!(o.insert(Friend::new(5, 1, 5)));
        assert!(o.remove(&5).is_some());
        assert!(o.into_changes().is_empty());
    }

    #[test]
    fn removing_then_inserting_a_stored_key_stores_over_it() {
        let base = friends(&[1]);
        let mut o = Overlay::new(&base);
        o.remove(&1);
        assert!(!o.contains(&1));
        assert!(o.insert(Friend::new(1, 1, 7)));
        assert_eq!(o.into_changes(), vec![(1, Change::Updated(Friend::new(1, 1, 7)))]);
    }
}
