//! What a user owns besides the profile: one map per kind of entity (monsters, friends,
//! quests, mail, stages, counters, teams, open battles, friend requests, deliveries received),
//! each kind stored in its own table keyed by
//! `(user_id, entity id)`.
//!
//! A request works on [`Overlays`] of these maps: reads fall through to the user's state, and
//! only what the handler inserts, changes or removes is recorded, so making the draft and
//! finding what changed cost what the request touches, never what the user owns. The
//! recorded changes become row writes (insert, upsert, delete) and, once they are durable,
//! are applied to the state.
//!
//! The kinds are listed once, in [`entity_kinds!`]; a new kind is a line there, its entity
//! file, its table definition (`crate::storage::tables`) and its migrations.

mod battle;
mod counter;
mod friend;
mod friend_request;
mod mail;
mod monster;
mod overlay;
mod quest;
mod received;
mod stage;
mod team;

use std::collections::BTreeMap;
use std::fmt;

pub use battle::Battle;
pub use counter::Counter;
pub use friend::Friend;
pub use friend_request::FriendRequest;
pub use mail::Mail;
pub use monster::Monster;
pub use overlay::{Change, Overlay};
pub use quest::Quest;
pub use received::Received;
pub use stage::Stage;
pub use team::Team;

use crate::storage::rows::{Row, RowError, RowReader, RowWrite, TableDef, Value};
use crate::storage::tables::{INBOX, MAIL};

/// The tables whose rows others than the user's actor add (an operator's grant mail,
/// deliveries from other users): what the actor reads again when told of them.
pub static OUTSIDE_WRITTEN: &[&TableDef] = &[&MAIL, &INBOX];
/// What a courier writes of a user: deliveries in the inbox.
pub static DELIVERED: &[&TableDef] = &[&INBOX];

/// An entity id: a minted number (monsters, mail, friends' user ids) or a game-data id
/// (quests, stages, counters).
pub trait EntityKey: Ord + Clone + fmt::Debug + Send + Sync + 'static {
    /// As stored.
    fn value(&self) -> Value;
    /// Read back from its column.
    fn read(reader: &mut RowReader<'_>) -> Result<Self, RowError>;
}

impl EntityKey for u64 {
    fn value(&self) -> Value {
        Value::uint(*self)
    }
    fn read(reader: &mut RowReader<'_>) -> Result<Self, RowError> {
        reader.uint()
    }
}

impl EntityKey for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn read(reader: &mut RowReader<'_>) -> Result<Self, RowError> {
        reader.text()
    }
}

/// One kind of thing a user owns, and its table.
pub trait Entity: Clone + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// Its id among the user's entities of this kind.
    type Key: EntityKey;
    /// Where it is stored: `user_id`, the key, then [`Entity::columns`].
    const TABLE: &'static TableDef;

    fn key(&self) -> Self::Key;

    /// The values of the table's columns after the key, in order.
    fn columns(&self) -> Vec<Value>;

    /// Reads the columns after the key (the key is `key`).
    fn read(key: Self::Key, columns: &mut RowReader<'_>) -> Result<Self, RowError>;

    /// Whether it belongs in the state. A kind whose rows outlive their use as records (a
    /// delivery applied) says no for those: they are neither loaded nor kept once written.
    fn is_live(&self) -> bool {
        true
    }

    /// The row of this entity of `user`.
    fn row(&self, user: u64) -> Row {
        let mut row = vec![Value::uint(user), self.key().value()];
        row.extend(self.columns());
        row
    }

    /// The entity stored in `row`.
    fn from_row(row: &Row) -> Result<Self, RowError> {
        let mut reader = RowReader::new(Self::TABLE, row)?;
        reader.int()?; // user_id
        let key = Self::Key::read(&mut reader)?;
        Self::read(key, &mut reader)
    }
}

/// The user's entities of one kind, by key.
pub type Entities<E> = BTreeMap<<E as Entity>::Key, E>;

/// The live entities stored in `rows`.
pub fn load_entities<E: Entity>(rows: &[Row]) -> Result<Entities<E>, RowError> {
    let entities = rows.iter().map(|row| E::from_row(row));
    entities.filter(|e| e.as_ref().map_or(true, E::is_live)).map(|e| e.map(|e| (e.key(), e))).collect()
}

/// The row writes that make `changes` of one kind of entity of `user` durable.
pub fn rows_of<E: Entity>(user: u64, changes: &[(E::Key, Change<E>)], out: &mut Vec<RowWrite>) {
    for (key, change) in changes {
        out.push(match change {
            Change::Inserted(e) => RowWrite::Insert(E::TABLE, e.row(user)),
            Change::Updated(e) => RowWrite::Update(E::TABLE, e.row(user)),
            Change::Deleted => RowWrite::Delete(E::TABLE, vec![Value::uint(user), key.value()]),
        });
    }
}

fn apply<E: Entity>(map: &mut Entities<E>, changes: Vec<(E::Key, Change<E>)>) {
    for (key, change) in changes {
        match change {
            Change::Inserted(e) | Change::Updated(e) if e.is_live() => {
                map.insert(key, e);
            }
            Change::Inserted(_) | Change::Updated(_) => {
                map.remove(&key);
            }
            Change::Deleted => {
                map.remove(&key);
            }
        }
    }
}

/// Declares the kinds of entities a user owns: the maps of the state ([`Owned`]), their
/// overlays for a request ([`Overlays`]), the changes a request made ([`OwnedChanges`]) and
/// the tables an activation loads ([`TABLES`]).
macro_rules! entity_kinds {
    ($($field:ident: $kind:ty),* $(,)?) => {
        /// Everything a user owns besides the profile, one map per kind.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Owned {
            $(pub $field: Entities<$kind>,)*
        }

        /// A request's view of [`Owned`]: reads fall through, changes are recorded.
        pub struct Overlays<'s> {
            $(pub $field: Overlay<'s, $kind>,)*
        }

        /// What one request changed of [`Owned`].
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct OwnedChanges {
            $(pub $field: Vec<(<$kind as Entity>::Key, Change<$kind>)>,)*
        }

        /// The tables of the kinds, in declaration order (what an activation loads).
        pub static TABLES: &[&TableDef] = &[$(<$kind as Entity>::TABLE,)*];

        impl Owned {
            /// Overlays for one request.
            pub fn overlays(&self) -> Overlays<'_> {
                Overlays { $($field: Overlay::new(&self.$field),)* }
            }

            /// The entities stored in `tables` (rows of [`TABLES`], in order).
            pub fn from_tables(tables: &[Vec<Row>]) -> Result<Self, RowError> {
                let mut tables = tables.iter();
                Ok(Self { $($field: load_entities::<$kind>(tables.next().map_or(&[], Vec::as_slice))?,)* })
            }

            /// Applies a request's changes once they are durable.
            pub fn apply(&mut self, changes: OwnedChanges) {
                $(apply(&mut self.$field, changes.$field);)*
            }
        }

        impl Overlays<'_> {
            /// What the request changed.
            pub fn finish(self) -> OwnedChanges {
                OwnedChanges { $($field: self.$field.into_changes(),)* }
            }
        }

        impl OwnedChanges {
            /// Whether nothing changed.
            pub fn is_empty(&self) -> bool {
                true $(&& self.$field.is_empty())*
            }

            /// The row writes that make these changes of `user` durable.
            pub fn rows(&self, user: u64, out: &mut Vec<RowWrite>) {
                $(rows_of(user, &self.$field, out);)*
            }
        }
    };
}

entity_kinds! {
    monsters: Monster,
    friends: Friend,
    quests: Quest,
    mail: Mail,
    stages: Stage,
    counters: Counter,
    teams: Team,
    battles: Battle,
    friend_requests: FriendRequest,
    inbox: Received,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<E: Entity>(entity: E) {
        let user = u64::MAX - 7;
        let row = entity.row(user);
        assert!(RowWrite::Insert(E::TABLE, row.clone()).check().is_ok(), "{} row does not fit its table", E::TABLE);
        assert_eq!(E::from_row(&row).expect("reads back"), entity);
    }

    #[test]
    fn every_kind_of_entity_matches_its_table_and_reads_back() {
        round_trip(Monster {
            id: u64::MAX - 1,
            template: "mon.slime.water.1".into(),
            level: 70,
            exp: u64::MAX,
            grade: 3,
            locked: true,
            acquired_at_ms: -5,
        });
        round_trip(Friend { id: 12, since_ms: 1_800_000_000_000, shard: 3 });
        round_trip(FriendRequest { other: u64::MAX, outgoing: true, other_shard: -1, sent_at_ms: 9 });
        round_trip(Received {
            id: u64::MAX - 2,
            sender: 7,
            sender_shard: 2,
            kind: "gift".into(),
            body: vec![1, 2],
            sent_at_ms: 3,
            applied_at_ms: 4,
        });
        round_trip(Quest {
            id: "quest.daily.login".into(),
            progress: 3,
            completed_at_ms: 1,
            claimed_at_ms: 2,
            resets_at_ms: 3,
        });
        round_trip(Mail {
            id: 99,
            kind: "gift".into(),
            sender_id: u64::MAX,
            title: "t".into(),
            body: "b".into(),
            attachments: vec![0, 255],
            created_at_ms: 1,
            expires_at_ms: 2,
            read_at_ms: 3,
            claimed_at_ms: 4,
        });
        round_trip(Stage {
            key: "stage.01.01:hard".into(),
            stars: 3,
            clears: 9,
            first_cleared_at_ms: 5,
            best_time_ms: 6,
        });
        round_trip(Counter { name: "shop.stamina.small".into(), value: -1, resets_at_ms: 7 });
        round_trip(Team { slot: 3, members: vec![u64::MAX >> 1, 1, 2] });
        round_trip(Team { slot: 1, members: Vec::new() });
        round_trip(Battle {
            token: u64::MAX >> 1,
            stage: "stage.01.01:hell".into(),
            team_slot: 2,
            members: vec![1, u64::MAX >> 1],
            power: 12_345,
            enemy_power: 9_999,
            started_at_ms: 1,
            expires_at_ms: 2,
            lineup: "{}".into(),
        });
    }

    #[test]
    fn a_request_s_changes_become_inserts_updates_and_deletes_and_apply_to_the_state() {
        let mut owned = Owned::default();
        for id in 1..=3 {
            owned.friends.insert(id, Friend::new(id, 1, 0));
        }
        let mut overlays = owned.overlays();
        overlays.friends.insert(Friend::new(4, 1, 4));
        overlays.friends.get_mut(&2).expect("friend 2").since_ms = 2;
        overlays.friends.remove(&3);
        let changes = overlays.finish();
        let mut rows = Vec::new();
        changes.rows(10, &mut rows);
        let kinds: Vec<&str> = rows
            .iter()
            .map(|w| match w {
                RowWrite::Insert(..) => "insert",
                RowWrite::Update(..) => "update",
                RowWrite::Delete(..) => "delete",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["update", "delete", "insert"]);
        assert!(rows.iter().all(|w| w.check().is_ok() && w.table().name == "friends"));
        owned.apply(changes);
        let ids: Vec<(u64, i64)> = owned.friends.values().map(|f| (f.id, f.since_ms)).collect();
        assert_eq!(ids, [(1, 0), (2, 2), (4, 4)]);
    }
}
