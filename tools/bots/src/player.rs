//! One bot: its account and session, its ledger, and its calls, sent and retried the way a
//! real client does (PROTOCOL.md): a 500 or a timeout again with the same seq, 429 and 503
//! after their `Retry-After`, a 401 by logging in again.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use summoner_proto::api::{
    ErrorCode, GetUserReq, ListFriendRequestsReq, ListFriendsReq, ListMailReq, ListMonstersReq, ListQuestsReq,
    Response, request::Payload as Q, response::Payload as R,
};

use crate::ledger::{Difference, Ledger, Observed};
use crate::stats::{Outcome, Stats};
use crate::turns::{Facts, Knowledge};
use summoner_client::{Client, ClientError, device};

/// Sends of one request at most before it counts as an error (the first included).
const MOST_SENDS: u32 = 8;
/// The longest wait a `Retry-After` may impose.
const MOST_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Readings of a user's state at the end, at most, while deliveries still arrive.
const MOST_READINGS: usize = 5;
/// Times a reading of the start is asked for before the bot gives up knowing its base.
const START_READINGS: usize = 3;
/// A page of ListMonsters at the end (the protocol's largest).
const PAGE: u32 = 100;

/// What every bot of a swarm shares.
pub struct Shared {
    pub facts: Facts,
    pub stats: Arc<Stats>,
    pub http: reqwest::Client,
    pub timeout: Duration,
}

/// How a bot's check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The server's state equals the ledger (no differences) or not.
    Compared(Vec<Difference>),
    /// The bot could not know what the server acknowledged (an answer it never got) or
    /// could not read its state: it proves nothing either way.
    Unverifiable(String),
}

/// One bot.
pub struct Bot {
    pub index: usize,
    pub device_id: String,
    pub(crate) client: Client,
    pub ledger: Ledger,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) known: Knowledge,
    pub(crate) shared: Arc<Shared>,
    /// Whether calls count in the run's figures (the final reading does not).
    recording: bool,
    /// Why this bot's ledger cannot be trusted, if it cannot.
    pub unverifiable: Option<String>,
    /// Whether it logged in and played (a bot that could not is left out of the check).
    pub started: bool,
}

impl Bot {
    /// A bot of `endpoint` with the account `device_id`; `seed` makes its choices
    /// reproducible.
    pub fn new(index: usize, device_id: String, endpoint: &str, seed: u64, shared: Arc<Shared>) -> Self {
        Self {
            index,
            device_id,
            client: Client::with_endpoint(shared.http.clone(), endpoint),
            ledger: Ledger::default(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            known: Knowledge::default(),
            shared,
            recording: true,
            unverifiable: None,
            started: false,
        }
    }

    /// Signs in (registering the account on its first run, finding it on a later one) and
    /// reads what it holds. Returns whether the bot can play.
    pub async fn start(&mut self) -> bool {
        if !self.login(true).await {
            return false;
        }
        self.shared.stats.bots_up.fetch_add(1, Ordering::Relaxed);
        // The ledger's base: what the account holds now (the first request also gives the
        // starter box). A bot that cannot read it plays, but proves nothing at the end.
        // Readings change nothing: one refused by an overloaded server is asked again.
        let mut complete = false;
        for _ in 0..START_READINGS {
            if self.read_all_monsters(true).await.is_some() {
                complete = true;
                break;
            }
        }
        for payload in [
            Q::ListQuests(ListQuestsReq {}),
            Q::ListMail(ListMailReq {}),
            Q::ListFriendRequests(ListFriendRequestsReq {}),
            Q::ListFriends(ListFriendsReq {}),
        ] {
            let mut read = false;
            for _ in 0..START_READINGS {
                if self.act_adopting(payload.clone()).await.is_some() {
                    read = true;
                    break;
                }
            }
            complete &= read;
        }
        if !complete {
            self.untrusted("what its account held at the start could not be read".into());
        }
        self.started = true;
        true
    }

    /// Logs in; `first`: the sign-in of the bot's start (in one call, registering the
    /// account if it has none), whose profile is the ledger's base.
    async fn login(&mut self, first: bool) -> bool {
        let intended = Instant::now();
        for _ in 0..MOST_SENDS {
            let login = if first {
                self.client.sign_in(device(&self.device_id)).await
            } else {
                self.client.login(device(&self.device_id)).await
            };
            match login {
                Ok(a) if a.is_ok() => {
                    self.record("login", intended, Outcome::Ok);
                    if first {
                        if let Some(R::Login(login)) = &a.response.payload {
                            self.ledger.user_id = login.user.as_ref().map_or(0, |u| u.user_id);
                        }
                        self.ledger.adopt(&Q::Login(Default::default()), &a.response);
                    } else {
                        self.ledger.apply(&Q::Login(Default::default()), &a.response);
                    }
                    return true;
                }
                Ok(a) if a.status >= 500 || a.status == 429 => {
                    self.shared.stats.resend(a.status, a.response.error);
                    self.pause(a.retry_after).await;
                }
                Ok(a) => {
                    self.record("login", intended, Outcome::Error { status: a.status, code: a.response.error });
                    return false;
                }
                Err(_) => {
                    self.shared.stats.resend(0, ErrorCode::Unavailable as i32);
                    self.pause(None).await;
                }
            }
        }
        self.record("login", intended, Outcome::Error { status: 0, code: ErrorCode::Unavailable as i32 });
        false
    }

    /// Sends `payload` as the next request (meant to go at `intended`), retrying as a real
    /// client does, and applies the answer to the ledger and the bot's knowledge. Returns
    /// the answer if the request succeeded.
    pub async fn act(&mut self, payload: Q, intended: Instant) -> Option<Response> {
        self.act_as(payload, intended, false).await
    }

    /// [`Self::act`] now, for a reading of the start, which the ledger takes whole.
    async fn act_adopting(&mut self, payload: Q) -> Option<Response> {
        self.act_as(payload, Instant::now(), true).await
    }

    async fn act_as(&mut self, payload: Q, intended: Instant, adopt: bool) -> Option<Response> {
        let operation = operation_name(&payload);
        let (outcome, response) = self.call(&payload).await;
        self.record(operation, intended, outcome);
        let response = response?;
        if adopt {
            self.ledger.adopt(&payload, &response);
        } else {
            self.ledger.apply(&payload, &response);
        }
        self.known.learn(&self.shared.facts, &payload, &response);
        (outcome == Outcome::Ok).then_some(response)
    }

    /// The exchange itself: the outcome and the answer that settled it (a refusal's answer
    /// too: its extras count).
    async fn call(&mut self, payload: &Q) -> (Outcome, Option<Response>) {
        let mut seq = self.client.last_seq() + 1;
        self.client.resume_at(seq);
        let mut logged_in_again = false;
        // Whether a send may have been applied without this bot seeing its answer (no
        // answer, or a 500): only the same seq in the same session settles it.
        let mut maybe_applied = false;
        let mut last = Outcome::Error { status: 0, code: ErrorCode::Internal as i32 };
        for send in 0..MOST_SENDS {
            if send > 0
                && let Outcome::Error { status, code } = last
            {
                self.shared.stats.resend(status, code);
            }
            let sent = tokio::time::timeout(self.shared.timeout, self.client.send(seq, payload.clone())).await;
            let answer = match sent {
                Ok(Ok(answer)) => answer,
                Ok(Err(ClientError::Http(e))) if e.is_connect() => {
                    // Not sent at all: nothing can have been applied.
                    last = Outcome::Error { status: 0, code: ErrorCode::Unavailable as i32 };
                    self.backoff(send).await;
                    continue;
                }
                Ok(Err(_)) | Err(_) => {
                    // No answer: the request may or may not have been applied; the same seq
                    // again gets it applied once, or its stored answer.
                    last = Outcome::Error { status: 0, code: ErrorCode::Internal as i32 };
                    maybe_applied = true;
                    self.backoff(send).await;
                    continue;
                }
            };
            let code = answer.response.error;
            last = Outcome::Error { status: answer.status, code };
            match (answer.status, answer.code()) {
                (200, ErrorCode::Ok) => return (Outcome::Ok, Some(answer.response)),
                (200, ErrorCode::DuplicateRequest | ErrorCode::StaleRequest) => {
                    // The answer of that seq is gone: what it did is unknown to this bot.
                    self.untrusted(format!("seq {seq} answered {:?} without its answer", answer.code()));
                    return (last, None);
                }
                (200, ErrorCode::InvalidArgument) => return (last, Some(answer.response)),
                (200, _) => return (Outcome::Refused { code }, Some(answer.response)),
                (401, _) if maybe_applied => {
                    // A new session cannot ask for that seq's answer: sending it again could
                    // apply it twice, so this bot no longer knows what the server holds.
                    self.untrusted(format!("seq {seq} went unanswered and then the session ended"));
                    return (last, None);
                }
                (401, _) if !logged_in_again => {
                    logged_in_again = true;
                    if !self.login(false).await {
                        return (last, None);
                    }
                    seq = 1;
                    self.client.resume_at(seq);
                }
                (429 | 503, _) => self.pause(answer.retry_after).await,
                (500..=599, _) => {
                    maybe_applied = true;
                    self.backoff(send).await;
                }
                _ => return (last, None),
            }
        }
        if maybe_applied {
            self.untrusted(format!("seq {seq} was never answered after {MOST_SENDS} sends"));
        }
        (last, None)
    }

    /// Notes that this bot's ledger can no longer be trusted (the first reason is kept).
    fn untrusted(&mut self, why: String) {
        self.unverifiable.get_or_insert(why);
    }

    async fn backoff(&self, send: u32) {
        tokio::time::sleep(Duration::from_millis(50u64 << send.min(6))).await;
    }

    async fn pause(&self, retry_after: Option<u32>) {
        let wait = Duration::from_secs(u64::from(retry_after.unwrap_or(1))).min(MOST_RETRY_AFTER);
        tokio::time::sleep(wait).await;
    }

    fn record(&self, operation: &'static str, intended: Instant, outcome: Outcome) {
        if self.recording {
            self.shared.stats.record(operation, intended, outcome);
        }
    }

    /// Reads every page of monsters; `adopt`: the ledger takes them (only when starting),
    /// else only the answers' extras reach it.
    async fn read_all_monsters(&mut self, adopt: bool) -> Option<(Vec<Response>, bool)> {
        let (mut offset, mut pages, mut moved) = (0, Vec::new(), false);
        loop {
            let payload = Q::ListMonsters(ListMonstersReq { offset, limit: PAGE });
            let response = if adopt { self.act_adopting(payload).await? } else { self.read(payload).await? };
            moved |= Ledger::moves(&response);
            let next = match &response.payload {
                Some(R::ListMonsters(page)) => page.next_offset,
                _ => 0,
            };
            pages.push(response);
            if next == 0 {
                return Some((pages, moved));
            }
            offset = next;
        }
    }

    /// A request of the final reading: not recorded, only its extras reach the ledger.
    async fn read(&mut self, payload: Q) -> Option<Response> {
        let (outcome, response) = self.call(&payload).await;
        let response = response?;
        self.ledger.apply_extras(&response.extra);
        (outcome == Outcome::Ok).then_some(response)
    }

    /// Lets deliveries waiting for this user apply: asks for the profile until an answer
    /// brings none (only the answers' extras reach the ledger). Deliveries still on their
    /// way then arrive during the final reading, which starts over when one does.
    pub async fn drain(&mut self) {
        self.recording = false;
        for _ in 0..20 {
            let Some(response) = self.read(Q::GetUser(GetUserReq {})).await else {
                return;
            };
            if !Ledger::moves(&response) {
                return;
            }
        }
    }

    /// Reads the user's state from the server and compares it with the ledger.
    pub async fn check(&mut self) -> Checked {
        self.recording = false;
        if let Some(why) = &self.unverifiable {
            return Checked::Unverifiable(why.clone());
        }
        for _ in 0..MOST_READINGS {
            let Some((observed, moved)) = self.observe().await else {
                return Checked::Unverifiable("its state could not be read".into());
            };
            if moved {
                // Something arrived while reading: take the new profile and read again.
                self.drain().await;
                continue;
            }
            let now_ms = observed.1;
            return Checked::Compared(self.ledger.compare(&observed.0, now_ms));
        }
        Checked::Unverifiable("deliveries kept arriving while its state was read".into())
    }

    async fn observe(&mut self) -> Option<((Observed, i64), bool)> {
        let mut observed = Observed::default();
        let user = self.read(Q::GetUser(GetUserReq {})).await?;
        let mut moved = Ledger::moves(&user);
        let now_ms = user.server_time_ms;
        if let Some(R::GetUser(u)) = user.payload {
            observed.user = u.user.unwrap_or_default();
        }
        let (pages, pages_moved) = self.read_all_monsters(false).await?;
        moved |= pages_moved;
        for page in pages {
            if let Some(R::ListMonsters(p)) = page.payload {
                observed.monsters.extend(p.monsters);
            }
        }
        let mail = self.read(Q::ListMail(ListMailReq {})).await?;
        moved |= Ledger::moves(&mail);
        if let Some(R::ListMail(m)) = mail.payload {
            observed.mail = m.mail.iter().map(|m| m.id).collect();
        }
        let quests = self.read(Q::ListQuests(ListQuestsReq {})).await?;
        moved |= Ledger::moves(&quests);
        if let Some(R::ListQuests(q)) = quests.payload {
            observed.quests = q.quests;
        }
        let friends = self.read(Q::ListFriends(ListFriendsReq {})).await?;
        moved |= Ledger::moves(&friends);
        if let Some(R::ListFriends(f)) = friends.payload {
            observed.friends = f.friends.iter().map(|f| f.user_id).collect();
        }
        Some(((observed, now_ms), moved))
    }
}

/// The labels of the shapes [`operation_name`] tells apart, with their operation's field.
pub const SHAPES: &[(&str, &str)] = &[
    ("summon_x10", "summon"),
    ("friend_dungeon_start", "visit_friend_dungeon"),
    ("friend_dungeon_finish", "visit_friend_dungeon"),
];

/// The label reports give a request: its operation's field in `Request.payload`
/// (`proto/api.proto`), with the two shapes of a summon and of a dungeon visit told apart.
pub fn operation_name(payload: &Q) -> &'static str {
    match payload {
        Q::Summon(s) if s.count == 10 => "summon_x10",
        Q::VisitFriendDungeon(v) if v.battle_token == 0 => "friend_dungeon_start",
        Q::VisitFriendDungeon(_) => "friend_dungeon_finish",
        other => other.operation().field,
    }
}
