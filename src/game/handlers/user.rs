//! Reading and editing the user's own profile.

use summoner_proto::api::{ErrorCode, GetUserReq, GetUserRes, SetNicknameReq, SetNicknameRes};

use crate::game::context::{HandlerCtx, HandlerResult, Refusal};
use crate::game::names;

/// GetUser: the profile as of now.
pub fn get_user(ctx: &mut HandlerCtx, _req: &GetUserReq) -> HandlerResult<GetUserRes> {
    Ok(GetUserRes { user: Some(ctx.user.to_proto(ctx.data, ctx.now_ms)) })
}

/// SetNickname: trimmed and composed ([`names::nfc`]), within the length limits, by the name
/// rule ([`names::check`]).
pub fn set_nickname(ctx: &mut HandlerCtx, req: &SetNicknameReq) -> HandlerResult<SetNicknameRes> {
    let nickname = names::nfc(req.nickname.trim());
    let nickname = nickname.as_str();
    let chars = nickname.chars().count();
    let rules = &ctx.data.nickname;
    if chars < rules.min_chars || chars > rules.max_chars {
        return Err(Refusal::new(
            ErrorCode::InvalidArgument,
            format!("nickname must have {} to {} characters", rules.min_chars, rules.max_chars),
        ));
    }
    if let Err(problem) = names::check(nickname) {
        return Err(Refusal::new(ErrorCode::InvalidArgument, format!("nickname refused: {problem}")));
    }
    let previous = std::mem::replace(&mut ctx.user.profile.nickname, nickname.to_owned());
    ctx.log("set_nickname", format!("nickname={nickname:?}"), format!("was={previous:?}"));
    Ok(SetNicknameRes { user: Some(ctx.user.to_proto(ctx.data, ctx.now_ms)) })
}
