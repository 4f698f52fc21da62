//! What a user has to spend and receive: gold and gems (profile columns), stamina, items
//! (counters named by the item's id), and monsters given as rewards; counters that start over
//! at the daily reset; and system mail carrying rewards.
//!
//! Every change of a currency or an item goes through here and appends an action-log row
//! `currency` with `name=… delta=… reason=…` and `balance=…` after it, so a balance can be
//! rebuilt from the log (`docs/ECONOMY.md`). Balances never go below zero: spending more than
//! there is is refused with the currency's own code and changes nothing.

use prost::Message;
use summoner_proto::api::{self, ErrorCode, MailAttachments};
use summoner_proto::gamedata::Currency;

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::entities::{Counter, Mail, Monster};
use crate::game::monsters;

/// The action-log action of every balance change.
pub const CURRENCY_LOG: &str = "currency";

/// A reward as handlers pass it around: what (`gold`, `gems`, `stamina`, an item or a
/// monster id) and how many.
pub type Reward = api::Reward;

/// A reward of `amount` of `what`.
pub fn reward(what: &str, amount: u64) -> Reward {
    Reward { what: what.to_owned(), amount: u32::try_from(amount).unwrap_or(u32::MAX) }
}

/// The name a currency has in logs and rewards.
pub fn currency_name(currency: Currency) -> &'static str {
    match currency {
        Currency::Gems => "gems",
        Currency::FriendPoints => FRIEND_POINTS,
        _ => "gold",
    }
}

/// Friendship points: a currency kept in a counter of this name (no profile column).
pub const FRIEND_POINTS: &str = "friend_points";

/// The user's balance of `currency`.
pub fn balance(ctx: &HandlerCtx, currency: Currency) -> u64 {
    match currency {
        Currency::Gems => ctx.user.profile.gems,
        Currency::FriendPoints => counter(ctx, FRIEND_POINTS).max(0) as u64,
        _ => ctx.user.profile.gold,
    }
}

fn set_balance(ctx: &mut HandlerCtx, currency: Currency, value: u64) {
    match currency {
        Currency::Gems => ctx.user.profile.gems = value,
        Currency::FriendPoints => set_counter(ctx, FRIEND_POINTS, i64::try_from(value).unwrap_or(i64::MAX), 0),
        _ => ctx.user.profile.gold = value,
    }
}

/// Takes `amount` of `currency`, or refuses with NOT_ENOUGH_GOLD / NOT_ENOUGH_GEMS /
/// NOT_ENOUGH_FRIEND_POINTS.
pub fn spend(ctx: &mut HandlerCtx, currency: Currency, amount: u64, reason: &str) -> HandlerResult<()> {
    let code = match currency {
        Currency::Gems => ErrorCode::NotEnoughGems,
        Currency::FriendPoints => ErrorCode::NotEnoughFriendPoints,
        _ => ErrorCode::NotEnoughGold,
    };
    let balance = balance(ctx, currency);
    if balance < amount {
        return Err(Refusal::new(
            code,
            format!("{reason} costs {amount} {}; you have {balance}", currency_name(currency)),
        ));
    }
    let after = balance - amount;
    if amount > 0 {
        set_balance(ctx, currency, after);
        log_change(ctx, currency_name(currency), -i128::from(amount), after, reason);
    }
    Ok(())
}

/// Adds `amount` of `currency` (saturating at the largest balance a column holds).
pub fn earn(ctx: &mut HandlerCtx, currency: Currency, amount: u64, reason: &str) {
    let before = balance(ctx, currency);
    let after = before.saturating_add(amount).min(i64::MAX as u64);
    let delta = i128::from(after) - i128::from(before);
    if delta != 0 {
        set_balance(ctx, currency, after);
        log_change(ctx, currency_name(currency), delta, after, reason);
    }
}

fn log_change(ctx: &mut HandlerCtx, name: &str, delta: i128, after: u64, reason: &str) {
    ctx.log(CURRENCY_LOG, format!("name={name} delta={delta} reason={reason}"), format!("balance={after}"));
}

/// How many of item `uid` the user holds.
pub fn items(ctx: &HandlerCtx, uid: &str) -> u64 {
    ctx.user.owned.counters.get(uid).map_or(0, |c| c.value.max(0) as u64)
}

/// Takes `count` of item `uid`, or refuses with NOT_ENOUGH_ITEMS.
pub fn spend_items(ctx: &mut HandlerCtx, uid: &str, count: u64, reason: &str) -> HandlerResult<()> {
    let have = items(ctx, uid);
    if have < count {
        return Err(Refusal::new(ErrorCode::NotEnoughItems, format!("{reason} needs {count} {uid}; you have {have}")));
    }
    set_items(ctx, uid, have - count);
    if count > 0 {
        log_change(ctx, uid, -i128::from(count), have - count, reason);
    }
    Ok(())
}

fn set_items(ctx: &mut HandlerCtx, uid: &str, count: u64) {
    let value = i64::try_from(count).unwrap_or(i64::MAX);
    ctx.user.owned.counters.put(Counter { name: uid.to_owned(), value, resets_at_ms: 0 });
}

/// Gives `reward`; a monster reward mints a monster (the box limit does not stop rewards).
/// Returns the monster given, if any.
pub fn grant(ctx: &mut HandlerCtx, reward: &Reward, reason: &str) -> Option<Monster> {
    let amount = u64::from(reward.amount);
    match reward.what.as_str() {
        "gold" => earn(ctx, Currency::Gold, amount, reason),
        "gems" => earn(ctx, Currency::Gems, amount, reason),
        FRIEND_POINTS => earn(ctx, Currency::FriendPoints, amount, reason),
        "stamina" => {
            let (data, now) = (ctx.data, ctx.now_ms);
            ctx.user.profile.add_stamina(data, u32::try_from(amount).unwrap_or(u32::MAX), now);
        }
        what if ctx.data.is_item(what) => {
            let after = items(ctx, what).saturating_add(amount);
            set_items(ctx, what, after);
            log_change(ctx, what, i128::from(amount), after, reason);
        }
        what if ctx.data.monster(what).is_some() => {
            let monster = monsters::mint(ctx, what);
            ctx.log("monster_gained", format!("template={what} reason={reason}"), format!("id={}", monster.id));
            return Some(monster);
        }
        // A reward of a version whose item or monster is gone: given as nothing, and logged.
        what => ctx.log("reward_lost", format!("what={what} amount={amount} reason={reason}"), String::new()),
    }
    None
}

/// The value of a counter that starts over at its reset time (0 once that time passed).
pub fn counter(ctx: &HandlerCtx, name: &str) -> i64 {
    match ctx.user.owned.counters.get(name) {
        Some(c) if c.resets_at_ms == 0 || ctx.now_ms < c.resets_at_ms => c.value,
        _ => 0,
    }
}

/// Sets a counter that starts over at `resets_at_ms` (0: never).
pub fn set_counter(ctx: &mut HandlerCtx, name: &str, value: i64, resets_at_ms: i64) {
    ctx.user.owned.counters.put(Counter { name: name.to_owned(), value, resets_at_ms });
}

/// Sends the user a system mail with `rewards`, expiring after the game data's mail expiry.
/// Returns its id.
pub fn send_mail(ctx: &mut HandlerCtx, kind: &str, title: &str, rewards: Vec<Reward>) -> u64 {
    let id = ctx.mint_id();
    let attachments = MailAttachments { rewards }.encode_to_vec();
    let (now, expiry) = (ctx.now_ms, ctx.data.mail_expire_ms);
    ctx.user.owned.mail.insert(Mail {
        id,
        kind: kind.to_owned(),
        sender_id: 0,
        title: title.to_owned(),
        body: String::new(),
        attachments,
        created_at_ms: now,
        expires_at_ms: now.saturating_add(expiry),
        read_at_ms: 0,
        claimed_at_ms: 0,
    });
    ctx.log("mail_sent", format!("kind={kind} title={title:?}"), format!("id={id}"));
    id
}

/// The rewards a stored mail carries (none when its attachments do not decode).
pub fn attachments(mail: &Mail) -> Vec<Reward> {
    MailAttachments::decode(mail.attachments.as_slice()).map(|a| a.rewards).unwrap_or_default()
}
