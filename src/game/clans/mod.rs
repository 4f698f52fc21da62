//! Clan rules: what each clan action may do, decided on the clan's rows as one read saw them
//! and turned into row writes of the clan database, committed only if the clan did not
//! change meanwhile (`crate::storage::ClanCommit`; the backend reads again and decides anew
//! when it did). Seats and one clan per user are held by the database itself: a conditional
//! version, and a unique index on the members' user ids.
//!
//! Pure: the rows in, a [`Decision`] or a refusal out.

use summoner_proto::api::{ClanInfo, ErrorCode};
use summoner_proto::social::{ClanNews, ClanOutcome, delivery::Kind};

use crate::game::context::Refusal;
use crate::game::data::GameData;
use crate::game::inbox::Outgoing;
use crate::storage::ClanRows;
use crate::storage::delivery::CLAN_SOURCE;
use crate::storage::rows::{RowError, RowReader, RowWrite, Value};
use crate::storage::tables::{CLAN_MEMBERS, CLAN_OUTBOX, CLAN_REQUESTS, CLANS};

mod actions;

/// Results a search answers at most.
pub const SEARCH_LIMIT: usize = 20;
/// Characters a clan's name has, at least and at most.
pub const NAME_CHARS: std::ops::RangeInclusive<usize> = 2..=16;

/// A member's role, as stored (`clan_members.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Leader = 0,
    Officer = 1,
    Member = 2,
}

impl Role {
    fn from_stored(v: i64) -> Self {
        match v {
            0 => Role::Leader,
            1 => Role::Officer,
            _ => Role::Member,
        }
    }

    /// As the API names it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Officer => "officer",
            Role::Member => "member",
        }
    }
}

/// A clan's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clan {
    pub id: u64,
    pub name: String,
    pub leader: u64,
    pub created_at_ms: i64,
    pub open: bool,
    pub member_count: u32,
    pub version: i64,
    pub checkin_resets_at_ms: i64,
    pub checkins: u32,
}

/// A member's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub user: u64,
    pub joined_at_ms: i64,
    pub role: Role,
    /// Until when the member's check-in of the day is counted already.
    pub checkin_resets_at_ms: i64,
}

/// A clan with its members and requests to join, as one read saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClanView {
    pub clan: Clan,
    pub members: Vec<Member>,
    /// (user, requested at)
    pub requests: Vec<(u64, i64)>,
}

impl ClanView {
    /// The clan stored in `rows`.
    pub fn from_rows(rows: &ClanRows) -> Result<Self, RowError> {
        let mut r = RowReader::new(&CLANS, &rows.clan)?;
        let clan = Clan {
            id: r.uint()?,
            name: r.text()?,
            leader: r.uint()?,
            created_at_ms: r.int()?,
            open: r.int()? != 0,
            member_count: r.u32()?,
            version: r.int()?,
            checkin_resets_at_ms: r.int()?,
            checkins: r.u32()?,
        };
        let members = rows
            .members
            .iter()
            .map(|row| {
                let mut r = RowReader::new(&CLAN_MEMBERS, row)?;
                r.int()?;
                let (user, joined_at_ms, role) = (r.uint()?, r.int()?, Role::from_stored(r.int()?));
                Ok(Member { user, joined_at_ms, role, checkin_resets_at_ms: r.int()? })
            })
            .collect::<Result<_, RowError>>()?;
        let requests = rows
            .requests
            .iter()
            .map(|row| {
                let mut r = RowReader::new(&CLAN_REQUESTS, row)?;
                r.int()?;
                Ok((r.uint()?, r.int()?))
            })
            .collect::<Result<_, RowError>>()?;
        Ok(Self { clan, members, requests })
    }

    fn member(&self, user: u64) -> Option<&Member> {
        self.members.iter().find(|m| m.user == user)
    }

    /// The clan as lists show it, its day's check-ins as of `now_ms`.
    pub fn info(&self, data: &GameData, now_ms: i64) -> ClanInfo {
        info(&self.clan, data, now_ms)
    }
}

/// A clan as lists show it.
pub fn info(clan: &Clan, data: &GameData, now_ms: i64) -> ClanInfo {
    let today = if now_ms < clan.checkin_resets_at_ms { clan.checkins } else { 0 };
    ClanInfo {
        clan_id: clan.id,
        name: clan.name.clone(),
        leader_id: clan.leader,
        open: clan.open,
        member_count: clan.member_count,
        member_limit: data.social.clan_member_limit,
        created_at_ms: clan.created_at_ms,
        checkins_today: today,
        checkin_goal: data.social.clan_checkin_goal,
    }
}

/// A clan read from a search's row.
pub fn from_row(row: &crate::storage::rows::Row) -> Result<Clan, RowError> {
    let rows = ClanRows { clan: row.clone(), members: Vec::new(), requests: Vec::new() };
    ClanView::from_rows(&rows).map(|v| v.clan)
}

/// Whether `prefix` can be searched for: 1 to 16 characters once trimmed, by the name rule
/// ([`crate::game::names::check`]).
pub fn searchable(prefix: &str) -> bool {
    let prefix = crate::game::names::nfc(prefix.trim());
    (1..=*NAME_CHARS.end()).contains(&prefix.chars().count()) && crate::game::names::check(&prefix).is_ok()
}

/// A clan action a request makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        name: String,
        open: bool,
    },
    Join {
        clan_id: u64,
    },
    Approve {
        user: u64,
    },
    Reject {
        user: u64,
    },
    Leave,
    Kick {
        user: u64,
    },
    Promote {
        user: u64,
        officer: bool,
    },
    Transfer {
        user: u64,
    },
    Disband,
    /// Leaving for good, whatever the role (the account is being erased): a leader hands the
    /// lead on first, or disbands a clan they are alone in.
    Depart,
    /// The member's daily check-in, counted toward the clan's reward.
    CheckIn,
}

impl Action {
    /// Its name, as the action's record keeps it.
    pub fn kind(&self) -> String {
        match self {
            Action::Create { .. } => "create",
            Action::Join { .. } => "join",
            Action::Approve { .. } => "approve",
            Action::Reject { .. } => "reject",
            Action::Leave => "leave",
            Action::Kick { .. } => "kick",
            Action::Promote { .. } => "promote",
            Action::Transfer { .. } => "transfer",
            Action::Disband => "disband",
            Action::Depart => "depart",
            Action::CheckIn => "check_in",
        }
        .to_owned()
    }
}

/// A decided action: the writes (committed only if the clan's version is still `version`;
/// None: they create it) and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub clan_id: u64,
    pub version: Option<i64>,
    pub writes: Vec<RowWrite>,
    pub outcome: ClanOutcome,
}

/// Who acts: their id, gold, and whether they are in a clan (as read).
pub struct Actor {
    pub user: u64,
    pub gold: u64,
    pub in_clan: bool,
}

pub(super) fn refuse(code: ErrorCode, message: impl Into<String>) -> Refusal {
    Refusal::new(code, message)
}

pub(super) fn member_row(clan: u64, user: u64, at: i64, role: Role) -> Vec<Value> {
    vec![Value::uint(clan), Value::uint(user), Value::Int(at), Value::Int(role as i64), Value::Int(0)]
}

pub(super) fn key(clan: u64, user: u64) -> Vec<Value> {
    vec![Value::uint(clan), Value::uint(user)]
}

/// A patch of the clan row's columns `set` (by name).
pub(super) fn patch_clan(clan: u64, set: &[(&str, Value)]) -> RowWrite {
    let set = set.iter().filter_map(|(name, v)| CLANS.column(name).map(|i| (i, v.clone()))).collect();
    RowWrite::Patch { table: &CLANS, key: vec![Value::uint(clan)], set }
}

pub(super) fn set_role(clan: u64, user: u64, role: Role) -> RowWrite {
    let set = vec![(CLAN_MEMBERS.column("role").unwrap_or(1), Value::Int(role as i64))];
    RowWrite::Patch { table: &CLAN_MEMBERS, key: key(clan, user), set }
}

/// Decides `action` by `me` on `target` (the clan it is about: the one to join, else the
/// actor's own), `new_id` the id a new clan takes.
pub fn decide(
    data: &GameData,
    me: &Actor,
    target: Option<&ClanView>,
    action: &Action,
    now_ms: i64,
    mint: &mut dyn FnMut() -> u64,
) -> Result<Decision, Refusal> {
    let mut decision = actions::decide_rows(data, me, target, action, now_ms, mint())?;
    decision.outcome.action = action.kind();
    // What the action does to others goes with it, in the clan database's outbox: delivered
    // however the actor's own request ends.
    let change = decision.outcome.change.clone();
    let gems = if change == "reward" { data.social.clan_checkin_gems } else { 0 };
    let news = ClanNews { clan_id: decision.outcome.clan_id, change, gems };
    for user in decision.outcome.told.clone() {
        let sent = Outgoing { id: mint(), receiver: user, delivery: Kind::ClanNews(news.clone()) };
        decision.writes.push(RowWrite::Insert(&CLAN_OUTBOX, sent.row(me.user, CLAN_SOURCE, now_ms)));
    }
    Ok(decision)
}

/// The refusal for an action whose commit met a unique key another row holds (`what`: the
/// database's message, which names the table or constraint).
pub fn taken(action: &Action, what: &str) -> Refusal {
    let on_members = what.contains("clan_members");
    match action {
        Action::Create { name, .. } if !on_members => {
            refuse(ErrorCode::ClanNameTaken, format!("another clan is named {name:?}"))
        }
        Action::Approve { user } => {
            refuse(ErrorCode::AlreadyInClan, format!("user {user} joined another clan; reject their request"))
        }
        _ => refuse(ErrorCode::AlreadyInClan, "you are in a clan already"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> GameData {
        GameData::embedded().expect("embedded game data")
    }

    /// A clan led by 1, with officer 2, members 3 and 4 (joined in that order, days before the
    /// tests' time), and a request from 9.
    fn clan(open: bool) -> ClanView {
        let joined = |user: u64| user as i64 - 10 * 86_400_000;
        let member = |user, role| Member { user, joined_at_ms: joined(user), role, checkin_resets_at_ms: 0 };
        ClanView {
            clan: Clan {
                id: 500,
                name: "Wolves".into(),
                leader: 1,
                created_at_ms: 0,
                open,
                member_count: 4,
                version: 7,
                checkin_resets_at_ms: 0,
                checkins: 0,
            },
            members: vec![
                member(1, Role::Leader),
                member(2, Role::Officer),
                member(3, Role::Member),
                member(4, Role::Member),
            ],
            requests: vec![(9, 5)],
        }
    }

    fn act(view: &ClanView, user: u64, action: Action) -> Result<Decision, Refusal> {
        let data = data();
        let me = Actor { user, gold: 0, in_clan: view.members.iter().any(|m| m.user == user) };
        let mut next = 77;
        decide(&data, &me, Some(view), &action, 1_000, &mut || {
            next += 1;
            next
        })
    }

    fn code(r: Result<Decision, Refusal>) -> ErrorCode {
        r.err().map_or(ErrorCode::Ok, |e| e.code)
    }

    #[test]
    fn roles_decide_who_answers_kicks_promotes_and_leads() {
        let view = clan(false);
        assert_eq!(code(act(&view, 3, Action::Approve { user: 9 })), ErrorCode::ClanRoleRequired);
        let approved = act(&view, 2, Action::Approve { user: 9 }).expect("an officer approves");
        assert_eq!((approved.version, approved.outcome.told.clone()), (Some(7), vec![9]));
        assert_eq!(approved.outcome.clan.expect("the clan").member_count, 5);
        assert_eq!(code(act(&view, 2, Action::Approve { user: 8 })), ErrorCode::NotAClanMember);
        assert_eq!(code(act(&view, 2, Action::Kick { user: 3 })), ErrorCode::Ok, "an officer removes a member");
        assert_eq!(code(act(&view, 2, Action::Kick { user: 1 })), ErrorCode::ClanRoleRequired, "not the leader");
        assert_eq!(code(act(&view, 3, Action::Kick { user: 4 })), ErrorCode::ClanRoleRequired, "members do not kick");
        assert_eq!(code(act(&view, 2, Action::Promote { user: 3, officer: true })), ErrorCode::ClanRoleRequired);
        assert_eq!(code(act(&view, 1, Action::Promote { user: 3, officer: true })), ErrorCode::Ok);
        assert_eq!(code(act(&view, 1, Action::Transfer { user: 1 })), ErrorCode::NotAClanMember);
        let handed = act(&view, 1, Action::Transfer { user: 3 }).expect("the leader hands over");
        assert_eq!(handed.outcome.clan.expect("the clan").leader_id, 3);
        assert_eq!(code(act(&view, 1, Action::Leave)), ErrorCode::ClanRoleRequired, "the leader hands over first");
        assert_eq!(code(act(&view, 2, Action::Disband)), ErrorCode::ClanRoleRequired);
        let ended = act(&view, 1, Action::Disband).expect("the leader disbands");
        assert_eq!(ended.outcome.told, vec![2, 3, 4]);
        assert!(ended.outcome.clan.is_none());
    }

    /// A departing leader hands the lead to the officer who joined first (else the earliest
    /// member) and leaves in the same change; a member just leaves; a leader alone disbands.
    #[test]
    fn a_departing_leader_hands_the_clan_on_or_disbands_it() {
        let mut view = clan(false);
        // Member 3 joined before officer 2: the officer still comes first.
        view.members[2].joined_at_ms = i64::MIN / 2;
        let departed = act(&view, 1, Action::Depart).expect("the leader departs");
        let after = departed.outcome.clan.clone().expect("the clan goes on");
        assert_eq!((after.leader_id, after.member_count), (2, 3));
        assert_eq!(departed.outcome.told, vec![2], "the heir is told");
        assert!(departed.writes.contains(&RowWrite::Delete(&CLAN_MEMBERS, key(500, 1))));
        view.members[1].role = Role::Member;
        let departed = act(&view, 1, Action::Depart).expect("the leader departs");
        assert_eq!(departed.outcome.clan.expect("the clan").leader_id, 3, "no officer: the earliest member");
        let member = act(&view, 4, Action::Depart).expect("a member departs");
        assert_eq!(member.outcome.clan.expect("the clan").member_count, 3);
        view.members.truncate(1);
        view.clan.member_count = 1;
        let ended = act(&view, 1, Action::Depart).expect("a leader alone departs");
        assert!(ended.outcome.clan.is_none(), "the clan is disbanded");
        assert_eq!(code(act(&view, 9, Action::Depart)), ErrorCode::NotInClan);
    }

    #[test]
    fn joining_takes_a_seat_or_asks_and_a_full_clan_takes_no_one() {
        let data = data();
        let open = clan(true);
        let outsider = Actor { user: 20, gold: 0, in_clan: false };
        let joined =
            decide(&data, &outsider, Some(&open), &Action::Join { clan_id: 500 }, 1_000, &mut || 0).expect("joins");
        assert!(joined.outcome.joined);
        let asked = decide(&data, &outsider, Some(&clan(false)), &Action::Join { clan_id: 500 }, 1_000, &mut || 0)
            .expect("asks");
        assert!(!asked.outcome.joined && asked.writes.len() == 1);
        let mut full = clan(true);
        full.clan.member_count = data.social.clan_member_limit;
        let refused = decide(&data, &outsider, Some(&full), &Action::Join { clan_id: 500 }, 1_000, &mut || 0);
        assert_eq!(code(refused), ErrorCode::ClanFull);
        let member = Actor { user: 3, gold: 0, in_clan: true };
        assert_eq!(
            code(decide(&data, &member, Some(&open), &Action::Join { clan_id: 500 }, 1_000, &mut || 0)),
            ErrorCode::AlreadyInClan
        );
    }

    #[test]
    fn founding_needs_a_name_the_gold_and_no_clan() {
        let data = data();
        let found = |gold, name: &str| {
            let me = Actor { user: 20, gold, in_clan: false };
            decide(&data, &me, None, &Action::Create { name: name.into(), open: true }, 1_000, &mut || 900)
        };
        assert_eq!(code(found(0, "Wolves")), ErrorCode::NotEnoughGold);
        assert_eq!(code(found(u64::MAX, "W")), ErrorCode::InvalidArgument);
        let made = found(u64::MAX, "Wolves").expect("founded");
        assert_eq!((made.clan_id, made.version), (900, None));
        assert_eq!(made.outcome.clan.expect("the clan").leader_id, 20);
    }

    #[test]
    fn the_day_s_check_ins_reach_the_goal_once() {
        let data = data();
        let mut view = clan(true);
        view.clan.checkin_resets_at_ms = 10_000;
        view.clan.checkins = data.social.clan_checkin_goal - 1;
        let reached = act(&view, 3, Action::CheckIn).expect("counted");
        assert!(reached.outcome.reached_goal);
        assert_eq!(reached.outcome.told, vec![1, 2, 3, 4], "every member is rewarded");
        // One who joined after the day's reset (the act's time is 1 s past the epoch) is not.
        let mut hopped = view.clone();
        hopped.members[3].joined_at_ms = 500;
        let reached = act(&hopped, 3, Action::CheckIn).expect("counted");
        assert_eq!(reached.outcome.told, vec![1, 2, 3], "a member since the reset only");
        view.clan.checkins = data.social.clan_checkin_goal;
        assert!(!act(&view, 4, Action::CheckIn).expect("counted").outcome.reached_goal);
        view.clan.checkin_resets_at_ms = 500; // yesterday's count
        assert_eq!(act(&view, 4, Action::CheckIn).expect("counted").outcome.checkins, 1);
        // A member counted today is not counted again.
        view.members[3].checkin_resets_at_ms = 10_000;
        let again = act(&view, 4, Action::CheckIn).expect("answered");
        assert!(again.writes.is_empty() && !again.outcome.reached_goal);
    }
}

#[cfg(test)]
mod properties {
    use futures_util::FutureExt;
    use proptest::prelude::*;

    use super::*;
    use crate::storage::memory::MemoryStore;
    use crate::storage::{ClanCommit, Store};

    /// Runs a future of the in-memory store (it answers at once).
    fn now<T>(f: futures_util::future::BoxFuture<'static, T>) -> T {
        f.now_or_never().expect("the in-memory store answers at once")
    }

    fn view(store: &MemoryStore, id: u64) -> Option<ClanView> {
        now(store.clan(id)).expect("read").map(|rows| ClanView::from_rows(&rows).expect("rows read back"))
    }

    fn action(kind: u8, other: u64, clans: &[u64]) -> Action {
        let pick = || clans.get(other as usize % clans.len().max(1)).copied().unwrap_or(0);
        match kind {
            0 => Action::Create { name: format!("clan{}", other % 4), open: other.is_multiple_of(2) },
            1 | 2 => Action::Join { clan_id: pick() },
            3 => Action::Approve { user: other },
            4 => Action::Reject { user: other },
            5 => Action::Leave,
            6 => Action::Kick { user: other },
            7 => Action::Promote { user: other, officer: other.is_multiple_of(2) },
            8 => Action::Transfer { user: other },
            _ => Action::Disband,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Random clan actions of twelve users, some decided on a read and committed only
        /// after others committed (as concurrent requests are): every clan stays within its
        /// limit with its count right and one leader, and nobody is in two clans.
        #[test]
        fn clans_stay_within_their_limits_whatever_interleaves(
            steps in prop::collection::vec((0..12u64, 0..10u8, 0..12u64, any::<bool>()), 1..160)
        ) {
            let mut data = GameData::embedded().expect("game data");
            data.social.clan_member_limit = 3;
            let store = MemoryStore::new();
            let (mut clans, mut waiting, mut next_id): (Vec<u64>, Vec<Decision>, u64) = (Vec::new(), Vec::new(), 1_000);
            for (user, kind, other, later) in steps {
                let action = action(kind, other, &clans);
                let mine = now(store.clan_of(user)).expect("read");
                let target = match &action {
                    Action::Join { clan_id } => view(&store, *clan_id),
                    Action::Create { .. } => None,
                    _ => mine.and_then(|id| view(&store, id)),
                };
                let me = Actor { user, gold: u64::MAX, in_clan: mine.is_some() };
                let mut mint = || {
                    next_id += 1;
                    next_id
                };
                let Ok(decision) = decide(&data, &me, target.as_ref(), &action, 1_000, &mut mint) else { continue };
                if decision.version.is_none() {
                    clans.push(decision.clan_id);
                }
                waiting.push(decision);
                // Commit now, or let it wait behind the next one (decided on a stale read).
                if !later || waiting.len() > 2 {
                    let decision = waiting.remove(0);
                    let op = vec![Value::uint(user), Value::uint(0), Value::uint(next_id), Value::Bytes(Vec::new()), Value::Int(0)];
                    let commit = ClanCommit { clan_id: decision.clan_id, version: decision.version, writes: decision.writes, op };
                    let _ = now(store.clan_commit(commit));
                }
                let mut seen = std::collections::HashSet::new();
                for id in &clans {
                    let Some(v) = view(&store, *id) else { continue };
                    prop_assert!(v.clan.member_count as usize == v.members.len(), "clan {id}: count {} for {} members", v.clan.member_count, v.members.len());
                    prop_assert!(v.clan.member_count <= data.social.clan_member_limit);
                    let leaders: Vec<u64> = v.members.iter().filter(|m| m.role == Role::Leader).map(|m| m.user).collect();
                    prop_assert_eq!(leaders, vec![v.clan.leader]);
                    for m in &v.members {
                        prop_assert!(seen.insert(m.user), "user {} in two clans", m.user);
                    }
                }
            }
        }
    }
}
