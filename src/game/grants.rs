//! Operators' grants: mail with rewards written into a user's mailbox from outside the
//! user's actor (`POST /admin/users/{id}/mail`), whether the user is playing or not.
//!
//! A grant is named by the operator (`grant_id`), and its mail id is derived from that name
//! and the user, so sending the same grant again writes nothing new (the row is inserted only
//! if absent): a retried grant is never doubled, even after the mail was claimed. Derived ids
//! have bit 62 set; ids minted by `crate::ids` stay below 2^62 until about 2060.

use prost::Message;
use sha2::{Digest, Sha256};
use summoner_proto::api::{MailAttachments, Reward};

use crate::game::data::GameData;
use crate::game::entities::{Entity, Mail};
use crate::storage::rows::RowWrite;

/// Longest grant name.
pub const MAX_GRANT_ID: usize = 128;

/// The mail kind of operators' grants. Their rows are never deleted (the expired-mail job
/// spares them): a late retry of a grant must find its mail to stay once-only.
pub const GRANT_KIND: &str = "grant";
/// Most rewards in one grant.
pub const MAX_REWARDS: usize = 20;
const DERIVED: u64 = 1 << 62;

/// What an operator grants.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The operator's name for this grant: the same name to the same user is one mail.
    pub grant_id: String,
    pub title: String,
    #[serde(default)]
    pub body: String,
    pub rewards: Vec<GrantReward>,
    /// Days until the mail expires (1 to 3650).
    pub expires_in_days: u32,
}

/// One reward of a grant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantReward {
    /// `gold`, `gems`, `stamina`, an item id or a monster id.
    pub what: String,
    pub amount: u32,
}

/// The mail id of grant `grant_id` to `user`.
pub fn mail_id(user: u64, grant_id: &str) -> u64 {
    let digest = Sha256::digest(format!("{user}:{grant_id}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(bytes) & (DERIVED - 1)) | DERIVED
}

/// Checks a grant against the game data and makes its mail row for `user`; the error says
/// what is wrong.
pub fn mail_row(data: &GameData, user: u64, grant: &Grant, now_ms: i64) -> Result<(u64, RowWrite), String> {
    let name = grant.grant_id.trim();
    if name.is_empty() || name.len() > MAX_GRANT_ID {
        return Err(format!("grant_id must be 1 to {MAX_GRANT_ID} bytes"));
    }
    if grant.title.trim().is_empty() || grant.title.chars().count() > 200 || grant.body.chars().count() > 2000 {
        return Err("title must be 1 to 200 characters, body at most 2000".into());
    }
    if grant.rewards.is_empty() || grant.rewards.len() > MAX_REWARDS {
        return Err(format!("a grant has 1 to {MAX_REWARDS} rewards"));
    }
    for reward in &grant.rewards {
        if !data.is_reward(&reward.what) {
            return Err(format!("{:?} is not gold, gems, stamina, an item or a monster", reward.what));
        }
        let most = if data.monster(&reward.what).is_some() { 1 } else { 1_000_000_000 };
        if !(1..=most).contains(&reward.amount) {
            return Err(format!("the amount of {} must be 1 to {most}", reward.what));
        }
    }
    if !(1..=3650).contains(&grant.expires_in_days) {
        return Err("expires_in_days must be 1 to 3650".into());
    }
    let rewards = grant.rewards.iter().map(|r| Reward { what: r.what.clone(), amount: r.amount }).collect();
    let mail = Mail {
        id: mail_id(user, name),
        kind: GRANT_KIND.into(),
        sender_id: 0,
        title: grant.title.clone(),
        body: grant.body.clone(),
        attachments: MailAttachments { rewards }.encode_to_vec(),
        created_at_ms: now_ms,
        expires_at_ms: now_ms + i64::from(grant.expires_in_days) * 86_400_000,
        read_at_ms: 0,
        claimed_at_ms: 0,
    };
    Ok((mail.id, RowWrite::InsertNew(Mail::TABLE, mail.row(user))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            grant_id: "xmas-2026".into(),
            title: "Merry Christmas".into(),
            body: String::new(),
            rewards: vec![GrantReward { what: "gems".into(), amount: 100 }],
            expires_in_days: 7,
        }
    }

    #[test]
    fn the_same_grant_to_the_same_user_is_the_same_mail() {
        let data = GameData::embedded().expect("game data");
        let (a, row) = mail_row(&data, 5, &grant(), 1).expect("valid");
        let (b, _) = mail_row(&data, 5, &grant(), 2).expect("valid");
        let (c, _) = mail_row(&data, 6, &grant(), 1).expect("valid");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!((DERIVED..1 << 63).contains(&a));
        assert!(matches!(row, RowWrite::InsertNew(t, _) if t.name == "mail") && row.check().is_ok());
    }

    #[test]
    fn bad_grants_are_refused_with_the_reason() {
        let data = GameData::embedded().expect("game data");
        let refused = |g: Grant| mail_row(&data, 5, &g, 1).expect_err("refused");
        assert!(refused(Grant { grant_id: " ".into(), ..grant() }).contains("grant_id"));
        assert!(refused(Grant { rewards: vec![], ..grant() }).contains("rewards"));
        let bad = GrantReward { what: "diamonds".into(), amount: 1 };
        assert!(refused(Grant { rewards: vec![bad], ..grant() }).contains("diamonds"));
        let two = GrantReward { what: "mon.slime.water.1".into(), amount: 2 };
        assert!(refused(Grant { rewards: vec![two], ..grant() }).contains("amount"));
        assert!(refused(Grant { expires_in_days: 0, ..grant() }).contains("expires"));
    }
}
