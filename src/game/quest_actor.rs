//! The QuestActor: user actors send it the events of a request (summoned, battle won, ...)
//! with the user's quest rows those events concern; it matches them against the quests of
//! the game data the request ran on ([`quests::advance`], pure) and answers the quests that
//! moved. Their rows then join the request's commit, and their progress its reply.
//!
//! So one QuestActor does not serialise every user's requests, there is one per worker
//! thread, each on its own arbiter, and a user's events always go to the same one
//! (`user % count`).

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, Arbiter, Context, Handler, Message};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use summoner_actors::{BackendError, UserId};

use crate::game::data::GameData;
use crate::game::effects::GameEvent;
use crate::game::entities::Quest;
use crate::game::quests;

/// How long a user actor waits for quest progress before the request fails (retryable).
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// Requests queued for one QuestActor at most; a sender waits for room.
const MAILBOX: usize = 1024;

/// One request's events, and the user's stored rows of the quests they concern.
pub struct Advance {
    pub data: Arc<GameData>,
    pub stored: Vec<Quest>,
    pub events: Vec<GameEvent>,
    pub now_ms: i64,
}

impl Message for Advance {
    type Result = Vec<Quest>;
}

/// Matches events against quests.
pub struct QuestActor;

impl Actor for QuestActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(MAILBOX);
    }
}

impl Handler<Advance> for QuestActor {
    type Result = Vec<Quest>;

    fn handle(&mut self, msg: Advance, _ctx: &mut Context<Self>) -> Vec<Quest> {
        let find = |id: &str| msg.stored.iter().find(|q| q.id == id);
        quests::advance(&msg.data, find, &msg.events, msg.now_ms)
    }
}

/// The QuestActors of this process.
pub struct QuestActors {
    actors: Vec<Addr<QuestActor>>,
    /// Kept so the arbiters' threads live as long as the server.
    _arbiters: Vec<Arbiter>,
}

impl QuestActors {
    /// Starts `count` QuestActors (at least one), each on an arbiter of its own. Needs a
    /// running actix system.
    pub fn start(count: usize) -> Self {
        let arbiters: Vec<Arbiter> = (0..count.max(1)).map(|_| Arbiter::new()).collect();
        let actors = arbiters.iter().map(|a| QuestActor::start_in_arbiter(&a.handle(), |_| QuestActor)).collect();
        Self { actors, _arbiters: arbiters }
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    /// Whether there are none (never: `start` makes at least one).
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// Sends `advance` to the user's QuestActor and answers the quests that moved.
    pub fn advance(&self, user: UserId, advance: Advance) -> BoxFuture<'static, Result<Vec<Quest>, BackendError>> {
        let actor = &self.actors[(user % self.actors.len() as u64) as usize];
        let sent = actor.send(advance).timeout(ANSWER_WITHIN);
        sent.map(move |answer| answer.map_err(|e| BackendError::new(format!("quest progress of user {user}"), e)))
            .boxed()
    }
}
