//! What the operators' console reads about players: search (by user id, nickname prefix,
//! device id, platform subject or clan name), a user's history (`service::history`), and
//! the people and rows around a user that the user page shows beside the actor's state
//! (friends' and requesters' profiles, clan and role, deliveries waiting in the outbox).
//!
//! Reads only: nothing here activates an actor or writes a row. Errors are
//! [`OperatorError`]s, turned into statuses by the admin transport.

use std::collections::HashMap;
use std::sync::Arc;

use summoner_actors::{Directory, UserId};

use crate::game::clans::ClanView;
use crate::game::profile::Profile;
use crate::service::accounts::DEVICE_PROVIDER;
use crate::service::backend::GameBackend;
use crate::service::history::{self, History, HistoryQuery};
use crate::service::operators::OperatorError;
use crate::storage::rows::RowReader;
use crate::storage::tables::OUTBOX;
use crate::storage::{AuthId, ProfileRow, Store, StoreError};

/// The most players one search page answers, and history rows one page reads.
pub const MAX_PAGE: usize = 200;
/// The longest search text taken.
pub const MAX_SEARCH_CHARS: usize = 128;
/// Clans a clan-name search looks into at most (their members are the players found).
pub const CLANS_SEARCHED: usize = 100;
/// Clans a clan-name search reads at the same time (they share the clan database's pool
/// with the game's clan requests).
const CLAN_READS_AT_ONCE: usize = 4;
/// Outbox rows a user page lists at most.
const OUTBOX_SHOWN: usize = 50;

/// What a search looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchBy {
    UserId(UserId),
    /// A nickname prefix, whatever its case; `%` and `_` are themselves.
    Nickname(String),
    /// A device id as the client sends it (hashed here as the server stores it).
    Device(String),
    /// A platform's subject, under one provider or under each configured one.
    Subject {
        provider: Option<String>,
        subject: String,
    },
    /// The members of the clans whose name starts with this.
    Clan(String),
}

impl SearchBy {
    /// The search's name, as the query parameter names it.
    pub fn name(&self) -> &'static str {
        match self {
            SearchBy::UserId(_) => "id",
            SearchBy::Nickname(_) => "nickname",
            SearchBy::Device(_) => "device",
            SearchBy::Subject { .. } => "subject",
            SearchBy::Clan(_) => "clan",
        }
    }

    /// Checks the text searched for: something, at most [`MAX_SEARCH_CHARS`] characters, no
    /// control character.
    pub fn checked(self) -> Result<Self, OperatorError> {
        let text = match &self {
            SearchBy::UserId(id) if *id == 0 => return Err(OperatorError::Invalid("user ids are never 0".into())),
            SearchBy::UserId(_) => return Ok(self),
            SearchBy::Nickname(t) | SearchBy::Device(t) | SearchBy::Clan(t) => t,
            SearchBy::Subject { subject, .. } => subject,
        };
        if text.is_empty() || text.chars().count() > MAX_SEARCH_CHARS || text.chars().any(char::is_control) {
            return Err(OperatorError::Invalid(format!(
                "a {} search takes 1 to {MAX_SEARCH_CHARS} characters and no control characters",
                self.name()
            )));
        }
        Ok(self)
    }
}

/// A clan a found player is in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClanSeat {
    pub clan_id: u64,
    pub name: String,
    pub role: &'static str,
    pub joined_at_ms: i64,
}

impl ClanSeat {
    /// The seat of `member` in `clan`.
    fn of(clan: &ClanView, member: &crate::game::clans::Member) -> Self {
        Self {
            clan_id: clan.clan.id,
            name: clan.clan.name.clone(),
            role: member.role.name(),
            joined_at_ms: member.joined_at_ms,
        }
    }
}

/// One player a search found, or one person a user page names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Player {
    pub user_id: UserId,
    pub nickname: String,
    pub level: u32,
    pub game_shard: i16,
    pub created_at_ms: i64,
    /// The profile's last change: when the player last did something that changed it.
    pub updated_at_ms: i64,
    /// Whether an actor serves the player on the node that answered.
    pub live_here: bool,
    /// Set when the search was by clan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clan: Option<ClanSeat>,
}

/// A page of players found, by user id.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Found {
    pub by: &'static str,
    pub players: Vec<Player>,
    /// Pass as `after` for the next page (absent: this was the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<UserId>,
    /// A clan search matched more than [`CLANS_SEARCHED`] clans: only the members of the
    /// first (by name) are found; a longer prefix finds the rest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more_clans: bool,
}

/// A delivery the user sent that waits in their game shard's outbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Waiting {
    pub delivery_id: u64,
    pub receiver_id: UserId,
    pub kind: String,
    pub created_at_ms: i64,
}

/// What the user page shows of a user beyond their state.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Surroundings {
    /// The profiles of the people the state names (friends, requests), by user id.
    pub people: HashMap<UserId, Player>,
    pub clan: Option<ClanSeat>,
    pub outbox: Vec<Waiting>,
}

/// The console's reads, handed to the admin transport at wiring time.
#[derive(Clone)]
pub struct Console {
    directory: Arc<Directory<GameBackend>>,
    /// The platforms' names a subject is looked up under when no provider is named.
    providers: Arc<Vec<String>>,
}

fn unavailable(e: StoreError) -> OperatorError {
    OperatorError::Unavailable(format!("storage: {e}"))
}

impl Console {
    /// Reads over `directory`'s store and game data; `providers` are the configured sign-in
    /// platforms.
    pub fn new(directory: Arc<Directory<GameBackend>>, providers: Vec<String>) -> Self {
        Self { directory, providers: Arc::new(providers) }
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.directory.backend().store()
    }

    fn player(&self, (profile, game_shard): &(Profile, i16)) -> Player {
        Player {
            user_id: profile.user_id,
            nickname: profile.nickname.clone(),
            level: profile.level,
            game_shard: *game_shard,
            created_at_ms: profile.created_at_ms,
            updated_at_ms: profile.updated_at_ms,
            live_here: self.directory.live(profile.user_id).is_some(),
            clan: None,
        }
    }

    /// The profiles of `users` (one query per game shard), by user id; users with none are
    /// left out.
    pub async fn people(&self, users: Vec<UserId>) -> Result<HashMap<UserId, Player>, OperatorError> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self.store().load_profiles(users).await.map_err(unavailable)?;
        Ok(profiles(&rows).iter().map(|p| (p.0.user_id, self.player(p))).collect())
    }

    /// A page of players found `by`, with a user id above `after`, at most `limit`
    /// (1 to [`MAX_PAGE`]), by user id.
    pub async fn search(&self, by: SearchBy, after: UserId, limit: usize) -> Result<Found, OperatorError> {
        let by = by.checked()?;
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(OperatorError::Invalid(format!("limit must be 1 to {MAX_PAGE}")));
        }
        if after > i64::MAX as u64 {
            return Err(OperatorError::Invalid(format!("after={after} is past every user id")));
        }
        let name = by.name();
        let store = self.store();
        let (mut more_clans, mut clan_next) = (false, None);
        let mut players: Vec<Player> = match by {
            SearchBy::UserId(user) => self.people(vec![user]).await?.into_values().collect(),
            SearchBy::Nickname(prefix) => {
                let found = store.search_nicknames(prefix, after, limit + 1).await.map_err(unavailable)?;
                let found = found.iter().filter_map(|f| Profile::from_row(&f.row).ok().map(|p| (p, f.game_shard)));
                found.map(|p| self.player(&p)).collect()
            }
            SearchBy::Device(device) => {
                let key = crate::service::tokens::device_key(&device);
                let user = store.find_account(AuthId { provider: DEVICE_PROVIDER.into(), id: key }).await;
                self.people(user.map_err(unavailable)?.into_iter().collect()).await?.into_values().collect()
            }
            SearchBy::Subject { provider, subject } => {
                let providers = match provider {
                    Some(p) => vec![p],
                    None if self.providers.is_empty() => {
                        return Err(OperatorError::Invalid(
                            "no sign-in platform is configured: name the subject's provider=".into(),
                        ));
                    }
                    None => self.providers.as_ref().clone(),
                };
                let mut users = Vec::new();
                for provider in providers {
                    let found = store.find_account(AuthId { provider, id: subject.clone() }).await;
                    users.extend(found.map_err(unavailable)?);
                }
                self.people(users).await?.into_values().collect()
            }
            SearchBy::Clan(prefix) => {
                let (members, more, next) = self.clan_members(prefix, after, limit).await?;
                (more_clans, clan_next) = (more, next);
                members
            }
        };
        players.retain(|p| p.user_id > after);
        players.sort_by_key(|p| p.user_id);
        let next_after = (players.len() > limit).then(|| players[limit - 1].user_id).or(clan_next);
        players.truncate(limit);
        Ok(Found { by: name, players, next_after, more_clans })
    }

    /// The members of the clans whose name starts with `prefix` with a user id above
    /// `after`, at most `limit` by user id, each with their seat; whether more clans matched
    /// than were read; and the `after` of the next page, if any. Clans are read a few at a
    /// time; profiles only for the page.
    async fn clan_members(
        &self,
        prefix: String,
        after: UserId,
        limit: usize,
    ) -> Result<(Vec<Player>, bool, Option<UserId>), OperatorError> {
        use futures_util::{StreamExt as _, TryStreamExt as _};
        let store = self.store();
        let clans = store.search_clans(prefix, CLANS_SEARCHED + 1).await.map_err(unavailable)?;
        let more = clans.len() > CLANS_SEARCHED;
        let ids = clans
            .iter()
            .take(CLANS_SEARCHED)
            .map(|row| crate::game::clans::from_row(row).map(|c| c.id))
            .collect::<Result<Vec<u64>, _>>()
            .map_err(|e| OperatorError::Unavailable(e.to_string()))?;
        let read: Vec<Option<crate::storage::ClanRows>> =
            futures_util::stream::iter(ids.into_iter().map(|id| store.clan(id)))
                .buffered(CLAN_READS_AT_ONCE)
                .try_collect()
                .await
                .map_err(unavailable)?;
        let mut seats: std::collections::BTreeMap<UserId, ClanSeat> = std::collections::BTreeMap::new();
        for rows in read.into_iter().flatten() {
            let view = ClanView::from_rows(&rows).map_err(|e| OperatorError::Unavailable(e.to_string()))?;
            for m in view.members.iter().filter(|m| m.user > after) {
                seats.insert(m.user, ClanSeat::of(&view, m));
            }
        }
        // The page is decided on the members, not on the profiles found: a member whose
        // profile is gone (an erasure between its steps) leaves a gap, not the end.
        let next = (seats.len() > limit).then(|| seats.keys().nth(limit - 1).copied()).flatten();
        let page: Vec<(UserId, ClanSeat)> = seats.into_iter().take(limit).collect();
        let mut people = self.people(page.iter().map(|(user, _)| *user).collect()).await?;
        let members =
            page.into_iter().filter_map(|(user, seat)| people.remove(&user).map(|p| Player { clan: Some(seat), ..p }));
        Ok((members.collect(), more, next))
    }

    /// The clan `user` is in, with their role.
    pub async fn clan_of(&self, user: UserId) -> Result<Option<ClanSeat>, OperatorError> {
        let store = self.store();
        let Some(id) = store.clan_of(user).await.map_err(unavailable)? else { return Ok(None) };
        let Some(rows) = store.clan(id).await.map_err(unavailable)? else { return Ok(None) };
        let view = ClanView::from_rows(&rows).map_err(|e| OperatorError::Unavailable(e.to_string()))?;
        Ok(view.members.iter().find(|m| m.user == user).map(|m| ClanSeat::of(&view, m)))
    }

    /// A page of `query.user`'s history, newest first (`service::history`).
    pub async fn history(&self, query: HistoryQuery) -> Result<History, OperatorError> {
        history::history(self.store(), self.directory.backend().catalog(), query).await
    }

    /// What the user page shows beside `user`'s state: the profiles of `people` (their
    /// friends and requests), their clan, and the deliveries they sent that wait.
    pub async fn surroundings(&self, user: UserId, people: Vec<UserId>) -> Result<Surroundings, OperatorError> {
        let rows = match self.store().outbox_of(user, OUTBOX_SHOWN).await {
            Ok(rows) => rows,
            Err(StoreError::NotFound(_)) => return Err(OperatorError::NoSuchUser(user)),
            Err(e) => return Err(unavailable(e)),
        };
        let outbox = rows.iter().filter_map(|row| waiting(row).ok()).collect();
        Ok(Surroundings { people: self.people(people).await?, clan: self.clan_of(user).await?, outbox })
    }
}

/// The profiles of `rows`, each with its game shard.
fn profiles(rows: &[ProfileRow]) -> Vec<(Profile, i16)> {
    rows.iter().filter_map(|r| Profile::from_row(&r.row).ok().map(|p| (p, r.shards.game))).collect()
}

fn waiting(row: &crate::storage::rows::Row) -> Result<Waiting, crate::storage::rows::RowError> {
    let mut r = RowReader::new(&OUTBOX, row)?;
    let delivery_id = r.uint()?;
    let (_sender, _sender_shard) = (r.uint()?, r.int()?);
    let (receiver_id, kind) = (r.uint()?, r.text()?);
    let _body = r.bytes()?;
    Ok(Waiting { delivery_id, receiver_id, kind, created_at_ms: r.int()? })
}
