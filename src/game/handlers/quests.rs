//! Quests: listing every quest of the game data with the user's progress, and claiming a
//! completed one's reward (at once, or as mail when the quest says so). Progress itself is
//! made by the QuestActor from the events of other operations (`crate::game::quests`).

use summoner_proto::api::{ClaimQuestReq, ClaimQuestRes, ErrorCode, ListQuestsReq, ListQuestsRes};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::{quests, wallet};

/// ListQuests: every quest, as of now.
pub fn list_quests(ctx: &mut HandlerCtx, _req: &ListQuestsReq) -> HandlerResult<ListQuestsRes> {
    let list = ctx
        .data
        .quests()
        .iter()
        .map(|def| {
            let quest = quests::current(ctx.data, def, ctx.user.owned.quests.get(&def.uid), ctx.now_ms);
            quests::info(def, &quest)
        })
        .collect();
    Ok(ListQuestsRes { quests: list })
}

/// ClaimQuest: a completed, unclaimed quest's reward.
pub fn claim_quest(ctx: &mut HandlerCtx, req: &ClaimQuestReq) -> HandlerResult<ClaimQuestRes> {
    let data = ctx.data;
    let Some(def) = data.quest(&req.quest) else {
        return Err(Refusal::new(ErrorCode::UnknownQuest, format!("no quest {:?}", req.quest)));
    };
    let mut quest = quests::current(data, def, ctx.user.owned.quests.get(&def.uid), ctx.now_ms);
    if quest.completed_at_ms == 0 {
        return Err(Refusal::new(
            ErrorCode::QuestNotCompleted,
            format!("{} is at {} of {}", def.uid, quest.progress, def.target),
        ));
    }
    if quest.claimed_at_ms != 0 {
        return Err(Refusal::new(ErrorCode::QuestAlreadyClaimed, format!("{} was claimed already", def.uid)));
    }
    quest.claimed_at_ms = ctx.now_ms;
    ctx.user.owned.quests.put(quest.clone());
    let reward = quests::reward(def);
    let reason = format!("quest:{}", def.uid);
    let mail_id = if def.reward_by_mail {
        wallet::send_mail(ctx, "quest", &def.name_key, vec![reward.clone()])
    } else {
        wallet::grant(ctx, &reward, &reason);
        0
    };
    ctx.log("claim_quest", format!("quest={}", def.uid), format!("mail={mail_id}"));
    Ok(ClaimQuestRes {
        quest: Some(quests::info(def, &quest)),
        reward: Some(reward),
        mail_id,
        user: Some(ctx.user.to_proto(data, ctx.now_ms)),
    })
}
