//! One decision per clan action: what it may do to the clan as one read saw it, as the
//! clan database's row writes and the outcome the actor and the members told see.

use summoner_proto::api::ErrorCode;
use summoner_proto::social::ClanOutcome;

use super::{
    Action, Actor, Clan, ClanView, Decision, NAME_CHARS, Role, info, key, member_row, patch_clan, refuse, set_role,
};
use crate::game::context::Refusal;
use crate::game::data::GameData;
use crate::game::names;
use crate::storage::rows::{RowWrite, Value};
use crate::storage::tables::{CLAN_MEMBERS, CLAN_REQUESTS, CLANS};

/// The clan database's rows `action` changes (its deliveries aside).
pub(super) fn decide_rows(
    data: &GameData,
    me: &Actor,
    target: Option<&ClanView>,
    action: &Action,
    now_ms: i64,
    new_id: u64,
) -> Result<Decision, Refusal> {
    if let Action::Create { name, open } = action {
        return create(data, me, name, *open, now_ms, new_id);
    }
    let Some(view) = target else {
        return Err(match action {
            Action::Join { clan_id } => refuse(ErrorCode::NoSuchClan, format!("no clan {clan_id}")),
            _ => refuse(ErrorCode::NotInClan, "you are in no clan"),
        });
    };
    let on = On { data, me, view, now_ms };
    match action {
        Action::Create { .. } => Err(refuse(ErrorCode::AlreadyInClan, "a clan is founded once")),
        Action::Join { .. } => join(&on),
        Action::Approve { user } => answer(&on, *user, true),
        Action::Reject { user } => answer(&on, *user, false),
        Action::Leave => leave(&on, false),
        Action::Disband => leave(&on, true),
        Action::Depart => depart(&on),
        Action::Kick { user } => kick(&on, *user),
        Action::Promote { user, officer } => promote(&on, *user, *officer),
        Action::Transfer { user } => transfer(&on, *user),
        Action::CheckIn => check_in(&on),
    }
}

/// An action on a clan that exists, as the decisions read it.
struct On<'a> {
    data: &'a GameData,
    me: &'a Actor,
    view: &'a ClanView,
    now_ms: i64,
}

impl On<'_> {
    fn clan(&self) -> &Clan {
        &self.view.clan
    }

    fn my_role(&self) -> Option<Role> {
        self.view.member(self.me.user).map(|m| m.role)
    }

    /// Whether the actor answers requests and removes members (leader or officer).
    fn staff(&self) -> bool {
        matches!(self.my_role(), Some(Role::Leader | Role::Officer))
    }

    /// The outcome: the clan as it is after, the members told, what changed.
    fn outcome(&self, clan: &Clan, told: Vec<u64>, change: &str) -> ClanOutcome {
        ClanOutcome {
            clan: Some(info(clan, self.data, self.now_ms)),
            told,
            change: change.to_owned(),
            ..Default::default()
        }
    }

    /// The decision: `writes`, committed only if the clan's version is still the one read.
    fn done(&self, writes: Vec<RowWrite>, mut outcome: ClanOutcome) -> Result<Decision, Refusal> {
        outcome.clan_id = self.clan().id;
        Ok(Decision { clan_id: self.clan().id, version: Some(self.clan().version), writes, outcome })
    }

    /// The clan with one member more or fewer, and the patch of its count.
    fn counted(&self, delta: i32) -> (Clan, RowWrite) {
        let clan = self.clan();
        let after = Clan { member_count: clan.member_count.saturating_add_signed(delta), ..clan.clone() };
        let patch = patch_clan(clan.id, &[("member_count", Value::Int(i64::from(after.member_count)))]);
        (after, patch)
    }

    fn full(&self) -> Result<(), Refusal> {
        let clan = self.clan();
        if clan.member_count >= self.data.social.clan_member_limit {
            return Err(refuse(ErrorCode::ClanFull, format!("{} has {} members", clan.name, clan.member_count)));
        }
        Ok(())
    }
}

/// Founding: a valid name, no clan yet, the gold; the founder leads.
fn create(data: &GameData, me: &Actor, name: &str, open: bool, now_ms: i64, new_id: u64) -> Result<Decision, Refusal> {
    let rules = &data.social;
    let chars = name.chars().count();
    if !NAME_CHARS.contains(&chars) {
        return Err(refuse(ErrorCode::InvalidArgument, "a clan's name has 2 to 16 characters"));
    }
    if let Err(problem) = names::check(name) {
        return Err(refuse(ErrorCode::InvalidArgument, format!("clan name refused: {problem}")));
    }
    if me.in_clan {
        return Err(refuse(ErrorCode::AlreadyInClan, "leave your clan first"));
    }
    if me.gold < rules.clan_create_gold {
        let message = format!("founding a clan costs {} gold; you have {}", rules.clan_create_gold, me.gold);
        return Err(refuse(ErrorCode::NotEnoughGold, message));
    }
    let clan = Clan {
        id: new_id,
        name: name.to_owned(),
        leader: me.user,
        created_at_ms: now_ms,
        open,
        member_count: 1,
        version: 0,
        checkin_resets_at_ms: 0,
        checkins: 0,
    };
    let row = vec![
        Value::uint(clan.id),
        Value::Text(clan.name.clone()),
        Value::uint(clan.leader),
        Value::Int(now_ms),
        Value::Int(i64::from(clan.open)),
        Value::Int(1),
        Value::Int(0),
        Value::Int(0),
        Value::Int(0),
    ];
    let writes = vec![
        RowWrite::Insert(&CLANS, row),
        RowWrite::Insert(&CLAN_MEMBERS, member_row(new_id, me.user, now_ms, Role::Leader)),
    ];
    let outcome =
        ClanOutcome { clan: Some(info(&clan, data, now_ms)), joined: true, clan_id: new_id, ..Default::default() };
    Ok(Decision { clan_id: new_id, version: None, writes, outcome })
}

/// Joining an open clan with a free seat, or asking to join a closed one.
fn join(on: &On) -> Result<Decision, Refusal> {
    let (clan, me) = (on.clan(), on.me);
    if me.in_clan {
        return Err(refuse(ErrorCode::AlreadyInClan, "leave your clan first"));
    }
    on.full()?;
    if !clan.open {
        if on.view.requests.iter().any(|(u, _)| *u == me.user) {
            return on.done(Vec::new(), on.outcome(clan, Vec::new(), "requested"));
        }
        if on.view.requests.len() >= on.data.social.clan_member_limit as usize {
            return Err(refuse(
                ErrorCode::ClanFull,
                format!("{} has as many requests waiting as it has seats", clan.name),
            ));
        }
        let row = vec![Value::uint(clan.id), Value::uint(me.user), Value::Int(on.now_ms)];
        return on.done(vec![RowWrite::Insert(&CLAN_REQUESTS, row)], on.outcome(clan, Vec::new(), "requested"));
    }
    let (after, count) = on.counted(1);
    let writes = vec![RowWrite::Insert(&CLAN_MEMBERS, member_row(clan.id, me.user, on.now_ms, Role::Member)), count];
    let mut out = on.outcome(&after, Vec::new(), "joined");
    out.joined = true;
    on.done(writes, out)
}

/// A leader's or officer's answer to a request to join: approved (a seat free) or rejected.
fn answer(on: &On, user: u64, approve: bool) -> Result<Decision, Refusal> {
    let clan = on.clan();
    if !on.staff() {
        return Err(refuse(ErrorCode::ClanRoleRequired, "only the leader and officers answer requests"));
    }
    if !on.view.requests.iter().any(|(u, _)| *u == user) {
        return Err(refuse(ErrorCode::NotAClanMember, format!("user {user} has not asked to join")));
    }
    let mut writes = vec![RowWrite::Delete(&CLAN_REQUESTS, key(clan.id, user))];
    if !approve {
        return on.done(writes, on.outcome(clan, vec![user], "rejected"));
    }
    on.full()?;
    let (after, count) = on.counted(1);
    writes.push(RowWrite::Insert(&CLAN_MEMBERS, member_row(clan.id, user, on.now_ms, Role::Member)));
    writes.push(count);
    on.done(writes, on.outcome(&after, vec![user], "approved"))
}

/// Leaving (not the leader while others stay), or disbanding (the leader; also the last
/// leader leaving): every member and request removed with the clan.
fn leave(on: &On, disband: bool) -> Result<Decision, Refusal> {
    let (clan, me, view) = (on.clan(), on.me, on.view);
    let Some(role) = on.my_role() else { return Err(refuse(ErrorCode::NotInClan, "you are in no clan")) };
    if disband || (role == Role::Leader && clan.member_count <= 1) {
        if role != Role::Leader {
            return Err(refuse(ErrorCode::ClanRoleRequired, "only the leader disbands the clan"));
        }
        let mut writes: Vec<RowWrite> =
            view.members.iter().map(|m| RowWrite::Delete(&CLAN_MEMBERS, key(clan.id, m.user))).collect();
        writes.extend(view.requests.iter().map(|(u, _)| RowWrite::Delete(&CLAN_REQUESTS, key(clan.id, *u))));
        writes.push(RowWrite::Delete(&CLANS, vec![Value::uint(clan.id)]));
        let told = view.members.iter().map(|m| m.user).filter(|u| *u != me.user).collect();
        return on.done(writes, ClanOutcome { told, change: "disbanded".into(), ..Default::default() });
    }
    if role == Role::Leader {
        return Err(refuse(ErrorCode::ClanRoleRequired, "hand the lead to a member before leaving"));
    }
    let (after, count) = on.counted(-1);
    on.done(vec![RowWrite::Delete(&CLAN_MEMBERS, key(clan.id, me.user)), count], on.outcome(&after, Vec::new(), "left"))
}

/// Leaving for good: a leader hands the lead to the officer who joined first, else to the
/// member who did, and leaves (the heir is told); a leader alone disbands.
fn depart(on: &On) -> Result<Decision, Refusal> {
    let (clan, me) = (on.clan(), on.me);
    if on.my_role() != Some(Role::Leader) {
        return leave(on, false);
    }
    let others = on.view.members.iter().filter(|m| m.user != me.user);
    let Some(heir) = others.min_by_key(|m| (m.role, m.joined_at_ms, m.user)) else { return leave(on, true) };
    let member_count = clan.member_count.saturating_sub(1);
    let after = Clan { leader: heir.user, member_count, ..clan.clone() };
    let set = [("leader_id", Value::uint(heir.user)), ("member_count", Value::Int(i64::from(member_count)))];
    let writes = vec![
        set_role(clan.id, heir.user, Role::Leader),
        patch_clan(clan.id, &set),
        RowWrite::Delete(&CLAN_MEMBERS, key(clan.id, me.user)),
    ];
    on.done(writes, on.outcome(&after, vec![heir.user], "leader"))
}

/// Removing a member of a lower role.
fn kick(on: &On, user: u64) -> Result<Decision, Refusal> {
    let Some(target_role) = on.view.member(user).map(|m| m.role) else {
        return Err(refuse(ErrorCode::NotAClanMember, format!("user {user} is not in your clan")));
    };
    if !on.staff() || on.my_role().is_some_and(|r| r >= target_role) {
        return Err(refuse(ErrorCode::ClanRoleRequired, "you may remove only members of a lower role"));
    }
    let (after, count) = on.counted(-1);
    let writes = vec![RowWrite::Delete(&CLAN_MEMBERS, key(on.clan().id, user)), count];
    on.done(writes, on.outcome(&after, vec![user], "kicked"))
}

/// The leader makes a member an officer, or an officer a member again.
fn promote(on: &On, user: u64, officer: bool) -> Result<Decision, Refusal> {
    let clan = on.clan();
    if on.my_role() != Some(Role::Leader) {
        return Err(refuse(ErrorCode::ClanRoleRequired, "only the leader promotes"));
    }
    let Some(target) = on.view.member(user).filter(|m| m.role != Role::Leader) else {
        return Err(refuse(ErrorCode::NotAClanMember, format!("user {user} is not a member of your clan")));
    };
    let role = if officer { Role::Officer } else { Role::Member };
    if target.role == role {
        return on.done(Vec::new(), on.outcome(clan, Vec::new(), role.name()));
    }
    let change = if officer { "promoted" } else { "demoted" };
    on.done(vec![set_role(clan.id, user, role)], on.outcome(clan, vec![user], change))
}

/// The leader hands the lead to another member and becomes an officer.
fn transfer(on: &On, user: u64) -> Result<Decision, Refusal> {
    let (clan, me) = (on.clan(), on.me);
    if on.my_role() != Some(Role::Leader) {
        return Err(refuse(ErrorCode::ClanRoleRequired, "only the leader hands the lead over"));
    }
    if user == me.user || on.view.member(user).is_none() {
        return Err(refuse(ErrorCode::NotAClanMember, format!("user {user} is not another member of your clan")));
    }
    let after = Clan { leader: user, ..clan.clone() };
    let writes = vec![
        set_role(clan.id, user, Role::Leader),
        set_role(clan.id, me.user, Role::Officer),
        patch_clan(clan.id, &[("leader_id", Value::uint(user))]),
    ];
    on.done(writes, on.outcome(&after, vec![user], "leader"))
}

/// A member's check-in, counted once a game day; the one that reaches the day's goal
/// rewards every member who was one when the day began.
fn check_in(on: &On) -> Result<Decision, Refusal> {
    let (clan, now_ms, rules) = (on.clan(), on.now_ms, &on.data.social);
    let Some(member) = on.view.member(on.me.user) else {
        return Err(refuse(ErrorCode::NotInClan, "you are in no clan"));
    };
    let stored = if now_ms < clan.checkin_resets_at_ms { clan.checkins } else { 0 };
    if now_ms < member.checkin_resets_at_ms {
        // Counted already today (a check-in made again from another session).
        let mut out = on.outcome(clan, Vec::new(), "counted");
        out.checkins = stored;
        return on.done(Vec::new(), out);
    }
    // The day the count belongs to never moves back (a check-in decided just before the
    // reset and committed after one of the new day counts for the new day).
    let resets = on.data.reset.next_reset(now_ms).max(clan.checkin_resets_at_ms);
    let after = Clan { checkins: stored + 1, checkin_resets_at_ms: resets, ..clan.clone() };
    let reached = after.checkins == rules.clan_checkin_goal;
    let mark = vec![(CLAN_MEMBERS.column("checkin_resets_at_ms").unwrap_or(2), Value::Int(resets))];
    let writes = vec![
        patch_clan(
            clan.id,
            &[("checkins", Value::Int(i64::from(after.checkins))), ("checkin_resets_at_ms", Value::Int(resets))],
        ),
        RowWrite::Patch { table: &CLAN_MEMBERS, key: key(clan.id, on.me.user), set: mark },
    ];
    // Only members of the clan since the day began share its reward: hopping from a clan that
    // was rewarded today into one about to be pays nothing more.
    let day_began = on.data.reset.last_reset(now_ms);
    let told = if reached {
        on.view.members.iter().filter(|m| m.joined_at_ms < day_began).map(|m| m.user).collect()
    } else {
        Vec::new()
    };
    let mut out = on.outcome(&after, told, if reached { "reward" } else { "checked_in" });
    (out.checkins, out.reached_goal) = (after.checkins, reached);
    on.done(writes, out)
}
