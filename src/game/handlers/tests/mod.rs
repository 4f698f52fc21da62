//! Handler unit tests: every operation and every refusal, on a [`Player`] without a database.

mod battle;
mod dungeon;
mod economy;
mod monsters;
mod properties;
mod social;
mod summon;

pub use summoner_proto::api::request::Payload as Q;
pub use summoner_proto::api::response::Payload as A;

pub use crate::game::testkit::Player;

/// Unwraps a response payload of the expected kind.
macro_rules! answer {
    ($value:expr, $variant:ident) => {
        match $value {
            A::$variant(res) => res,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}
pub(crate) use answer;

/// SetNickname keeps to the name rule: no hidden characters, something visible.
#[test]
fn nicknames_that_hide_or_show_nothing_are_refused_and_change_nothing() {
    use summoner_proto::api::{ErrorCode, SetNicknameReq};

    let mut player = Player::new();
    let renamed = answer!(player.ok(Q::SetNickname(SetNicknameReq { nickname: " Tourist ".into() })), SetNickname);
    assert_eq!(renamed.user.map(|u| u.nickname).as_deref(), Some("Tourist"), "trimmed");
    for hidden in ["evil\u{202e}gnp", "\u{200b}\u{200b}\u{200b}", "ab\u{378}", "ab\u{e000}", "\u{301}\u{301}"] {
        let refused =
            player.refused(Q::SetNickname(SetNicknameReq { nickname: hidden.into() }), ErrorCode::InvalidArgument);
        assert!(refused.message.contains("nickname refused"), "{hidden:?}: {}", refused.message);
    }
    assert_eq!(player.state.profile.nickname, "Tourist", "a refused nickname changes nothing");
    let composed = answer!(player.ok(Q::SetNickname(SetNicknameReq { nickname: "Zoe\u{308}".into() })), SetNickname);
    assert_eq!(composed.user.map(|u| u.nickname).as_deref(), Some("Zo\u{eb}"), "stored composed (NFC)");
}
