//! Register and Login: the two operations served without a session.
//!
//! Register creates an account for a sign-in id (idempotently) and its user on a game
//! shard. Login checks the id, makes a new 256-bit token, and has the user's actor open
//! the session (which ends the previous one) so that login is ordered with the user's
//! other requests.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join;
use summoner_actors::{AskError, Clock, Directory, OpenSession, Session};
use summoner_proto::api::{Credential, LoginReq, LoginRes, RegisterReq, RegisterRes, credential};

use crate::game::backend::GameBackend;
use crate::game::profile::Profile;
use crate::game::state::UserState;
use crate::notice::NoticeBoard;
use crate::storage::{ActionLog, AuthId, StoreError, UserShards};
use crate::tokens::{RandomError, hash_token, new_token, random_u63};

/// Longest device or platform user id accepted.
const MAX_ID_CHARS: usize = 128;
/// Longest platform name accepted.
const MAX_PROVIDER_CHARS: usize = 32;
/// The provider name of device ids; platforms may not use it.
const DEVICE_PROVIDER: &str = "device";

/// Why Register or Login failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The credential is missing or malformed (a game-level refusal).
    #[error("{0}")]
    InvalidCredential(String),
    /// Login with an id nobody registered (a game-level refusal).
    #[error("no account is registered for this credential")]
    NotRegistered,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Actor(#[from] AskError),
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Register and Login, over the store and the user actors.
pub struct Accounts {
    directory: Arc<Directory<GameBackend>>,
    notices: Arc<NoticeBoard>,
    session_ttl_ms: i64,
    request_timeout: Duration,
}

/// Validates a credential and turns it into the key accounts are stored under.
pub fn auth_id(credential: Option<&Credential>) -> Result<AuthId, AccountError> {
    let invalid = |m: &str| Err(AccountError::InvalidCredential(m.to_owned()));
    let valid_id = |id: &str| !id.is_empty() && id.chars().count() <= MAX_ID_CHARS && !id.chars().any(char::is_control);
    match credential.and_then(|c| c.kind.as_ref()) {
        None => invalid("a device id or a platform id is required"),
        Some(credential::Kind::DeviceId(id)) => {
            if !valid_id(id) {
                return invalid("device_id must have 1 to 128 characters and no control characters");
            }
            Ok(AuthId { provider: DEVICE_PROVIDER.into(), id: crate::tokens::device_key(id) })
        }
        Some(credential::Kind::Platform(p)) => {
            let provider_ok = !p.provider.is_empty()
                && p.provider.len() <= MAX_PROVIDER_CHARS
                && p.provider.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
                && p.provider != DEVICE_PROVIDER;
            if !provider_ok {
                return invalid("platform provider must be 1 to 32 of a-z, 0-9, '-', '_' and not \"device\"");
            }
            if !valid_id(&p.id) {
                return invalid("platform id must have 1 to 128 characters and no control characters");
            }
            Ok(AuthId { provider: p.provider.clone(), id: p.id.clone() })
        }
    }
}

impl Accounts {
    /// Accounts over the directory's backend and store; Login shows the notice of `notices`.
    pub fn new(
        directory: Arc<Directory<GameBackend>>,
        notices: Arc<NoticeBoard>,
        session_ttl_ms: i64,
        request_timeout: Duration,
    ) -> Self {
        Self { directory, notices, session_ttl_ms, request_timeout }
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.directory.clock()
    }

    /// Appends an action-log row. The action itself is already durable and answered either
    /// way, so a failure is reported, not returned.
    async fn log(&self, user: u64, shards: UserShards, action: &'static str, params: String, now: i64) {
        let log = ActionLog { user_id: user, action, params, result: "ok".into(), at_ms: now };
        if let Err(e) = self.directory.backend().store().append_logs(shards, vec![log]).await {
            tracing::error!(user.id = user, action, error = %e, "action log not written");
        }
    }

    /// Register: the existing account for this id, or a new one.
    pub async fn register(&self, req: &RegisterReq) -> Result<RegisterRes, AccountError> {
        let auth = auth_id(req.credential.as_ref())?;
        let now = self.clock().now_ms();
        let backend = self.directory.backend();
        let ids = backend.ids().next_block();
        let template = Profile::new_user(&backend.catalog().current(), random_u63()?, ids, now);
        let provider = auth.provider.clone();
        let registered = backend.store().register(auth, template.row(), now).await?;
        if registered.created {
            tracing::info!(user.id = registered.user_id, "account registered");
            self.log(registered.user_id, registered.shards, "register", format!("provider={provider}"), now).await;
        }
        Ok(RegisterRes { user_id: registered.user_id, created: registered.created })
    }

    /// Login: a new session for the registered user, ending the previous one.
    pub async fn login(&self, req: &LoginReq) -> Result<(u64, LoginRes), AccountError> {
        let auth = auth_id(req.credential.as_ref())?;
        let backend = self.directory.backend();
        let user = backend.store().find_account(auth).await?.ok_or(AccountError::NotRegistered)?;
        let token = new_token()?;
        let now = self.clock().now_ms();
        let session = Session {
            id: random_u63()?.max(1),
            token_hash: hash_token(&token),
            expires_at_ms: now + self.session_ttl_ms,
        };
        let expires_at_ms = session.expires_at_ms;
        let opened = self.directory.ask(user, self.request_timeout, || OpenSession::<UserState>::new(session.clone()));
        // Read alongside, so a refresh of the node's copy adds no wait of its own.
        let (opened, notice) = join(opened, self.notices.current()).await;
        let state = opened?;
        self.log(user, state.shards, "login", String::new(), now).await;
        // The session is open: a notice that cannot be read now is shown at the next login.
        let notice = notice.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "notice not read");
            String::new()
        });
        let ttl_secs = u32::try_from(self.session_ttl_ms / 1000).unwrap_or(u32::MAX);
        let res = LoginRes {
            session_token: token.to_vec(),
            expires_at_ms,
            ttl_secs,
            user: Some(state.to_proto(&backend.catalog().current(), now)),
            notice,
        };
        Ok((user, res))
    }
}

#[cfg(test)]
mod tests {
    use summoner_proto::api::PlatformId;

    use super::*;

    fn device(id: &str) -> Credential {
        Credential { kind: Some(credential::Kind::DeviceId(id.into())) }
    }

    fn platform(provider: &str, id: &str) -> Credential {
        Credential { kind: Some(credential::Kind::Platform(PlatformId { provider: provider.into(), id: id.into() })) }
    }

    #[test]
    fn valid_credentials_map_to_provider_and_id() {
        let a = auth_id(Some(&device("abc-123"))).unwrap();
        assert_eq!((a.provider.as_str(), a.id), ("device", crate::tokens::device_key("abc-123")));
        let a = auth_id(Some(&platform("google", "g-1"))).unwrap();
        assert_eq!((a.provider.as_str(), a.id.as_str()), ("google", "g-1"));
    }

    #[test]
    fn malformed_credentials_are_refused() {
        for bad in [
            None,
            Some(Credential { kind: None }),
            Some(device("")),
            Some(device(&"x".repeat(129))),
            Some(device("a\nb")),
            Some(platform("", "x")),
            Some(platform("Google", "x")),
            Some(platform("device", "x")),
            Some(platform("steam", "")),
        ] {
            assert!(matches!(auth_id(bad.as_ref()), Err(AccountError::InvalidCredential(_))), "{bad:?}");
        }
    }
}
