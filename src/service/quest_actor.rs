//! The QuestActor: user actors send it the events of a request (summoned, battle won, ...)
//! with the user's quest rows those events concern; it matches them against the quests of
//! the game data the request ran on ([`quests::advance`], pure) and answers the quests that
//! moved. Their rows then join the request's commit, and their progress its reply.
//!
//! So one QuestActor does not serialise every user's requests, there is one per worker
//! thread, and a user actor sends its events to the one of its own worker (a user's actor
//! stays on the worker that activated it, so its events always go to the same QuestActor).
//! The message then never crosses threads: a QuestActor on a thread of its own cost a
//! request 24 µs more in `benches/dispatch.rs` (a thread wake-up each way).

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, Context, Handler, Message};
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

/// Where a user actor's quest events are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestActors {
    /// By the QuestActor of the worker thread the user's actor runs on (one per worker,
    /// started when first needed): the message never crosses threads.
    PerWorker,
    /// In the user's actor itself (benchmarks measure the hop with it).
    Inline,
}

thread_local! {
    static WORKER_QUEST_ACTOR: std::cell::RefCell<Option<Addr<QuestActor>>> = const { std::cell::RefCell::new(None) };
}

/// The QuestActor of the current worker thread, started on its arbiter if there is none.
fn worker_actor() -> Addr<QuestActor> {
    WORKER_QUEST_ACTOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        match &*cell {
            Some(addr) if addr.connected() => addr.clone(),
            _ => {
                let addr = QuestActor.start();
                *cell = Some(addr.clone());
                addr
            }
        }
    })
}

impl QuestActors {
    /// Matches `advance`'s events and answers the quests that moved. Called from a user
    /// actor, on its worker's arbiter.
    pub fn advance(self, user: UserId, advance: Advance) -> BoxFuture<'static, Result<Vec<Quest>, BackendError>> {
        if self == Self::Inline {
            let find = |id: &str| advance.stored.iter().find(|q| q.id == id);
            let moved = quests::advance(&advance.data, find, &advance.events, advance.now_ms);
            return Box::pin(std::future::ready(Ok(moved)));
        }
        let sent = worker_actor().send(advance).timeout(ANSWER_WITHIN);
        sent.map(move |answer| answer.map_err(|e| BackendError::new(format!("quest progress of user {user}"), e)))
            .boxed()
    }
}
