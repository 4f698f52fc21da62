//! The mailbox: system rewards (quests, check-ins, operators' grants) and, later, players'
//! gifts. Listing shows what can still be claimed; claiming gives the attachments once.

use summoner_proto::api::{ClaimMailReq, ClaimMailRes, ErrorCode, ListMailReq, ListMailRes, MailInfo};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::entities::Mail;
use crate::game::wallet;

fn claimable(mail: &Mail, now_ms: i64) -> bool {
    mail.claimed_at_ms == 0 && (mail.expires_at_ms == 0 || now_ms < mail.expires_at_ms)
}

fn info(mail: &Mail) -> MailInfo {
    MailInfo {
        id: mail.id,
        kind: mail.kind.clone(),
        sender_id: mail.sender_id,
        title: mail.title.clone(),
        body: mail.body.clone(),
        rewards: wallet::attachments(mail),
        created_at_ms: mail.created_at_ms,
        expires_at_ms: mail.expires_at_ms,
    }
}

/// ListMail: claimable mail, newest first.
pub fn list_mail(ctx: &mut HandlerCtx, _req: &ListMailReq) -> HandlerResult<ListMailRes> {
    let mut mail: Vec<&Mail> = ctx.user.owned.mail.iter().filter(|m| claimable(m, ctx.now_ms)).collect();
    mail.sort_by_key(|m| std::cmp::Reverse((m.created_at_ms, m.id)));
    Ok(ListMailRes { mail: mail.into_iter().map(info).collect() })
}

/// ClaimMail: one mail, or all claimable (as many as one request can give: see
/// [`HandlerCtx::mint_room`]).
pub fn claim_mail(ctx: &mut HandlerCtx, req: &ClaimMailReq) -> HandlerResult<ClaimMailRes> {
    let now = ctx.now_ms;
    let ids: Vec<u64> = if req.all {
        // Monsters given mint ids, at most so many per request: the mail beyond waits for the
        // next claim.
        let mut room = ctx.mint_room();
        let mut ids = Vec::new();
        for mail in ctx.user.owned.mail.iter().filter(|m| claimable(m, now)) {
            let monsters =
                wallet::attachments(mail).iter().filter(|r| ctx.data.monster(&r.what).is_some()).count() as u64;
            if monsters > room {
                break;
            }
            room -= monsters;
            ids.push(mail.id);
        }
        if ids.is_empty() {
            return Err(Refusal::new(ErrorCode::NothingToClaim, "no mail can be claimed"));
        }
        ids
    } else {
        let Some(mail) = ctx.user.owned.mail.get(&req.mail_id) else {
            return Err(Refusal::new(ErrorCode::NoSuchMail, format!("no mail {}", req.mail_id)));
        };
        if mail.claimed_at_ms != 0 {
            return Err(Refusal::new(ErrorCode::MailAlreadyClaimed, format!("mail {} was claimed already", mail.id)));
        }
        if !claimable(mail, now) {
            return Err(Refusal::new(ErrorCode::MailExpired, format!("mail {} expired", mail.id)));
        }
        vec![mail.id]
    };
    let mut rewards = Vec::new();
    for id in &ids {
        let Some(mail) = ctx.user.owned.mail.get_mut(id) else { continue };
        mail.claimed_at_ms = now;
        if mail.read_at_ms == 0 {
            mail.read_at_ms = now;
        }
        let attached = wallet::attachments(mail);
        let reason = format!("mail:{id}");
        for reward in &attached {
            wallet::grant(ctx, reward, &reason);
        }
        ctx.log("claim_mail", format!("id={id}"), format!("rewards={}", attached.len()));
        rewards.extend(attached);
    }
    Ok(ClaimMailRes { claimed: ids, rewards, user: Some(ctx.user.to_proto(ctx.data, now)) })
}
