//! A player for handler tests: a user's state driven through the dispatcher, with quest
//! progress merged as the QuestActor would, deltas applied as a commit would, the action-log
//! rows kept, and deliveries to other players held until [`deliver`] moves them. No
//! database, no actors.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost::Message;
use summoner_actors::replay::{self, Decision, LastAnswer};
use summoner_proto::api::{ErrorCode, Request, Response, request::Payload as Q, response::Payload as A};

use crate::game::data::GameData;
use crate::game::dispatch::{LOGIN_COUNTER, dispatch};
use crate::game::entities::Counter;
use crate::game::entities::{Entity, Received};
use crate::game::profile::Profile;
use crate::game::quests;
use crate::game::reads::Fetched;
use crate::game::starter::STARTER_COUNTER;
use crate::game::state::UserState;
use crate::storage::ActionLog;
use crate::storage::rows::{Row, RowWrite};
use crate::storage::tables::OUTBOX;
use summoner_proto::api::FriendSnapshot;

/// Moves every committed outbox row of `players` into its receiver's inbox, as the delivery
/// actors do (the receiver applies it at its next request). Answers how many moved.
pub fn deliver(players: &mut [&mut Player]) -> usize {
    let rows: Vec<Row> = players.iter_mut().flat_map(|p| std::mem::take(&mut p.outbox)).collect();
    let count = rows.len();
    for row in rows {
        let (receiver, inbox) = crate::storage::delivery::inbox_row(&row).expect("an outbox row");
        let received = Received::from_row(&inbox).expect("an inbox row");
        let to = players.iter_mut().find(|p| p.state.user_id() == receiver).expect("the receiver plays");
        to.state.owned.inbox.insert(received.id, received);
    }
    count
}

/// 2027-01-15 12:00 UTC: a weekday in the middle of a month.
pub const START_MS: i64 = 1_800_000_000_000;

pub struct Player {
    pub data: Arc<GameData>,
    pub state: UserState,
    pub now: i64,
    pub seq: u64,
    /// Every action-log row committed so far.
    pub logs: Vec<ActionLog>,
    /// The row writes of the last committed request.
    pub last_rows: usize,
    /// The last answer, as the user's actor keeps it for retries.
    pub last: Option<LastAnswer>,
    /// Outbox rows committed and not yet delivered ([`deliver`]).
    pub outbox: Vec<Row>,
    /// What the actor's fetch step read for the next request (taken by it).
    pub fetched: Option<Fetched>,
    /// The snapshot the last committed request published for friends, if it published one.
    pub published: Option<FriendSnapshot>,
    next_block: u64,
}

impl Default for Player {
    fn default() -> Self {
        Self::new()
    }
}

impl Player {
    /// A new user with the game data's starting gold and gems.
    pub fn new() -> Self {
        let data = Arc::new(GameData::embedded().expect("embedded game data"));
        let mut profile = Profile::new_user(&data, 42, 1 << 20..(1 << 20) + 256, START_MS);
        profile.user_id = 9;
        let mut state = UserState::new(profile);
        // Seen today already (the first request of a day records the login).
        let seen = Counter { name: LOGIN_COUNTER.into(), value: 1, resets_at_ms: data.reset.next_reset(START_MS) };
        state.owned.counters.insert(seen.name.clone(), seen);
        // Given the starter box already: tests count the monsters they grant themselves.
        let boxed = Counter { name: STARTER_COUNTER.into(), value: 1, resets_at_ms: 0 };
        state.owned.counters.insert(boxed.name.clone(), boxed);
        Self {
            data,
            state,
            now: START_MS,
            seq: 0,
            logs: Vec::new(),
            last_rows: 0,
            last: None,
            outbox: Vec::new(),
            fetched: None,
            published: None,
            next_block: 1 << 21,
        }
    }

    /// A new user with id `id` (on game shard `id % 2`), its ids apart from other players'.
    pub fn with_id(id: u64) -> Self {
        let mut p = Self::new();
        p.state.profile.user_id = id;
        p.state.shards.game = (id % 2) as i16;
        let first = (id + 1) << 24;
        (p.state.profile.id_next, p.state.profile.id_end) = (first, first + 256);
        p.next_block = first + (1 << 20);
        p
    }

    /// What friends see of this player (for another player's fetch step).
    pub fn snapshot(&self) -> FriendSnapshot {
        crate::game::friends::snapshot_of(&self.data, &self.state.profile, &self.state.owned, self.now)
    }

    /// A user with `gold` and `gems`.
    pub fn rich(gold: u64, gems: u64) -> Self {
        let mut p = Self::new();
        p.state.profile.gold = gold;
        p.state.profile.gems = gems;
        p
    }

    /// Sends one request and commits what it changed.
    pub fn call(&mut self, payload: Q) -> Response {
        self.seq += 1;
        let request = Request { seq: self.seq, session_token: Vec::new(), payload: Some(payload) };
        let block = self.next_block;
        let fetched = self.fetched.take();
        let mut handled =
            dispatch(&self.data, &self.state, &request, fetched.as_ref(), self.now, true, &|| block..block + 256);
        if let Some((_, effects)) = &mut handled.change {
            self.next_block += 256;
            effects.data = Some(self.data.clone());
            let stored: BTreeMap<String, _> = self.state.owned.quests.clone();
            let moved = quests::advance(&self.data, |id| stored.get(id), &effects.events, self.now);
            quests::merge(&self.state, &mut handled, moved);
        }
        self.published = None;
        if let Some((delta, effects)) = handled.change {
            self.published = effects.snapshot.clone();
            self.last_rows = effects.durable.rows.len();
            self.outbox.extend(effects.durable.rows.iter().filter_map(|w| match w {
                RowWrite::Insert(table, row) if std::ptr::eq(*table, &OUTBOX) => Some(row.clone()),
                _ => None,
            }));
            self.logs.extend(effects.durable.logs);
            self.state.apply(delta);
        } else {
            self.last_rows = 0;
        }
        self.last = Some(LastAnswer { seq: self.seq, bytes: handled.response.encode_to_vec() });
        handled.response
    }

    /// The same request again, with its seq, as a client retries it: the actor's replay rule
    /// answers the kept bytes, and nothing runs (checked: the state is unchanged).
    pub fn retry_last(&mut self) -> Response {
        let before = self.state.clone();
        let seq = self.seq;
        let bytes = match replay::decide(self.last.as_ref(), seq) {
            Decision::Replay(bytes) => bytes.to_vec(),
            _ => panic!("a retry of the last seq is replayed"),
        };
        assert_eq!(self.state, before);
        Response::decode(bytes.as_slice()).expect("the kept answer decodes")
    }

    /// Sends a request that must succeed; answers its payload.
    pub fn ok(&mut self, payload: Q) -> A {
        let response = self.call(payload);
        assert_eq!(response.error, ErrorCode::Ok as i32, "refused: {}", response.message);
        response.payload.expect("a payload")
    }

    /// Sends a request that must be refused with `code` and change nothing of the state.
    pub fn refused(&mut self, payload: Q, code: ErrorCode) -> Response {
        let before = self.state.clone();
        let response = self.call(payload);
        assert_eq!(
            ErrorCode::try_from(response.error).ok(),
            Some(code),
            "expected {code:?}, got {}: {}",
            response.error,
            response.message
        );
        // A suspicious refusal counts itself (the day's bound on logging them); nothing else.
        let game = |owned: &crate::game::entities::Owned| {
            let mut owned = owned.clone();
            owned.counters.remove("suspicious.day");
            owned
        };
        assert_eq!(game(&self.state.owned), game(&before.owned), "a refusal changed what the user owns");
        assert_eq!(self.state.profile, before.profile, "a refusal changed the profile");
        response
    }

    /// Gives the user `count` level-1 monsters of `template`; answers their ids.
    pub fn grant(&mut self, template: &str, count: u32) -> Vec<u64> {
        let req = summoner_proto::api::DebugGrantMonstersReq { template: template.into(), count };
        match self.ok(Q::DebugGrantMonsters(req)) {
            A::DebugGrantMonsters(res) => res.monster_ids,
            other => panic!("not a grant answer: {other:?}"),
        }
    }

    /// Sends a request with what the fetch step would have read for it.
    pub fn call_with(&mut self, payload: Q, fetched: Fetched) -> Response {
        self.fetched = Some(fetched);
        self.call(payload)
    }

    /// Action-log rows of `action`.
    pub fn logged(&self, action: &str) -> Vec<&ActionLog> {
        self.logs.iter().filter(|l| l.action == action).collect()
    }
}
