//! The shop and the daily check-in: items for gold or gems within per-day and per-account
//! limits (counters that start over at the daily reset, or never), and a monthly calendar of
//! check-in rewards delivered as mail.

use summoner_proto::api::{BuyItemReq, BuyItemRes, CheckInReq, CheckInRes, ErrorCode};
use summoner_proto::gamedata::Currency;

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::effects::GameEvent;
use crate::game::wallet;

/// The counter of today's check-in, and of this month's.
/// The counter marking the day's check-in.
pub const CHECKED_IN_TODAY: &str = "check_in.day";
const CHECK_INS_THIS_MONTH: &str = "check_in.month";
/// The string key of a check-in mail's title.
const CHECK_IN_TITLE: &str = "name.mail.check_in";

/// BuyItem: one purchase of a shop item.
pub fn buy_item(ctx: &mut HandlerCtx, req: &BuyItemReq) -> HandlerResult<BuyItemRes> {
    let data = ctx.data;
    let Some(item) = data.shop_item(&req.item) else {
        return Err(Refusal::new(ErrorCode::UnknownItem, format!("the shop sells no {:?}", req.item)));
    };
    let (daily, total) = (format!("shop.day.{}", item.uid), format!("shop.total.{}", item.uid));
    let today = wallet::counter(ctx, &daily);
    let ever = wallet::counter(ctx, &total);
    if item.daily_limit > 0 && today >= i64::from(item.daily_limit) {
        return Err(Refusal::new(
            ErrorCode::PurchaseLimitReached,
            format!("{} can be bought {} times a day", item.uid, item.daily_limit),
        ));
    }
    if item.account_limit > 0 && ever >= i64::from(item.account_limit) {
        return Err(Refusal::new(
            ErrorCode::PurchaseLimitReached,
            format!("{} can be bought {} times in all", item.uid, item.account_limit),
        ));
    }
    let currency = Currency::try_from(item.price_currency).unwrap_or(Currency::Gems);
    let reason = format!("shop:{}", item.uid);
    wallet::spend(ctx, currency, u64::from(item.price), &reason)?;
    let reward = wallet::reward(&item.reward, u64::from(item.reward_amount));
    wallet::grant(ctx, &reward, &reason);
    let next_reset = data.reset.next_reset(ctx.now_ms);
    wallet::set_counter(ctx, &daily, today + 1, next_reset);
    wallet::set_counter(ctx, &total, ever + 1, 0);
    ctx.events.push(GameEvent::Purchased);
    ctx.log("buy_item", format!("item={}", item.uid), format!("today={} total={}", today + 1, ever + 1));
    Ok(BuyItemRes {
        reward: Some(reward),
        bought_today: (today + 1) as u32,
        bought_total: (ever + 1) as u32,
        user: Some(ctx.user.to_proto(data, ctx.now_ms)),
    })
}

/// CheckIn: once per game day; the Nth check-in of the month mails the calendar's Nth reward
/// (past the calendar's last day, the last day's).
pub fn check_in(ctx: &mut HandlerCtx, _req: &CheckInReq) -> HandlerResult<CheckInRes> {
    let data = ctx.data;
    let now = ctx.now_ms;
    let next_day = data.reset.next_reset(now);
    if wallet::counter(ctx, CHECKED_IN_TODAY) > 0 {
        return Err(Refusal::new(ErrorCode::AlreadyCheckedIn, "you checked in today already"));
    }
    let days = data.check_in_days();
    let nth = wallet::counter(ctx, CHECK_INS_THIS_MONTH) + 1;
    let Some(day) = days.get((nth - 1) as usize).or(days.last()) else {
        return Err(Refusal::new(ErrorCode::OperationDisabled, "the game data has no check-in calendar"));
    };
    let reward = day.reward.as_ref().map_or_else(Default::default, |r| wallet::reward(&r.what, u64::from(r.amount)));
    wallet::set_counter(ctx, CHECKED_IN_TODAY, 1, next_day);
    wallet::set_counter(ctx, CHECK_INS_THIS_MONTH, nth, data.reset.next_month(now));
    let mail_id = wallet::send_mail(ctx, "check_in", CHECK_IN_TITLE, vec![reward.clone()]);
    ctx.events.push(GameEvent::CheckedIn);
    ctx.log("check_in", format!("day={nth}"), format!("mail={mail_id}"));
    let (clan_checkins, clan_checkin_goal) = super::clans::checked_in(ctx);
    Ok(CheckInRes {
        day: nth as u32,
        reward: Some(reward),
        mail_id,
        next_at_ms: next_day,
        clan_checkins,
        clan_checkin_goal,
    })
}
