//! Register and Login: the two operations served without a session.
//!
//! Register creates an account for a sign-in id (idempotently) and its user on a game
//! shard. Login checks the id, makes a new 256-bit token, and has the user's actor open
//! the session (which ends the previous one) so that login is ordered with the user's
//! other requests. A Login that may register (`register_if_new`) of an id nobody has signs
//! the player up: account, session and profile written once, and the actor started from
//! them on this node.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join;
use summoner_actors::{AskError, BackendError, CallError, Clock, Directory, Kick, OpenSession, Session};
use summoner_proto::api::{Credential, LoginReq, LoginRes, RegisterReq, RegisterRes, credential};

use crate::game::profile::Profile;
use crate::game::state::UserState;
use crate::service::backend::GameBackend;
use crate::service::catalog::Catalog;
use crate::service::notice::NoticeBoard;
use crate::service::oidc::{Providers, TokenError};
use crate::service::tokens::{RandomError, hash_token, new_token, random_key, random_u63};
use crate::storage::{ActionLog, AuthId, DeletionPhase, SignUp, Store, StoreError, UserShards};

/// Longest device or platform user id accepted.
const MAX_ID_CHARS: usize = 128;
/// Longest platform name accepted.
const MAX_PROVIDER_CHARS: usize = 32;
/// The provider name of device ids; platforms may not use it.
pub const DEVICE_PROVIDER: &str = "device";

/// Why Register or Login failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The credential is missing or malformed (a game-level refusal).
    #[error("{0}")]
    InvalidCredential(String),
    /// Login with an id nobody registered (a game-level refusal).
    #[error("no account is registered for this credential")]
    NotRegistered,
    /// Login, not asking to cancel it, to an account whose deletion waits out its grace
    /// period until this time (ms since the epoch); no session stays open.
    #[error("this account is to be erased from {0} (ms since the epoch); log in with cancel_deletion to keep it")]
    DeletionPending(i64),
    /// A platform's token was refused, or its provider is not accepted (a refusal).
    #[error("{0}")]
    SignInRefused(String),
    /// A provider's keys could not be read; nothing was done.
    #[error("{0}")]
    ProviderUnavailable(String),
    /// Too many sign-ups wait for their batch; nothing was done.
    #[error("{0}")]
    Overloaded(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Actor(#[from] AskError),
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// Whose session a Login opens.
#[derive(Debug)]
pub enum Account {
    /// A registered user, registered by this login or not (`now`); the session is yet to
    /// open.
    Registered { user: u64, now: bool },
    /// A user this login registered, with the answer (the session open, the actor live).
    SignedUp(u64, Box<LoginRes>),
}

/// Register and Login, over the store and the user actors.
pub struct Accounts {
    directory: Arc<Directory<GameBackend>>,
    store: Arc<dyn Store>,
    catalog: Arc<Catalog>,
    notices: Arc<NoticeBoard>,
    session_ttl_ms: i64,
    request_timeout: Duration,
    providers: Arc<Providers>,
}

/// A credential whose shape is valid, before a platform's token is verified.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// A device id, as the key it is stored under.
    Device(AuthId),
    /// A platform's ID token, to verify.
    Platform { provider: String, id_token: String },
}

/// Longest ID token accepted (providers' are 1–2 KB).
const MAX_ID_TOKEN_BYTES: usize = 8 * 1024;

/// Validates a credential's shape.
pub fn claimed(credential: Option<&Credential>) -> Result<Claimed, AccountError> {
    let invalid = |m: &str| Err(AccountError::InvalidCredential(m.to_owned()));
    let valid_id = |id: &str| !id.is_empty() && id.chars().count() <= MAX_ID_CHARS && !id.chars().any(char::is_control);
    match credential.and_then(|c| c.kind.as_ref()) {
        None => invalid("a device id or a platform id is required"),
        Some(credential::Kind::DeviceId(id)) => {
            if !valid_id(id) {
                return invalid("device_id must have 1 to 128 characters and no control characters");
            }
            Ok(Claimed::Device(AuthId { provider: DEVICE_PROVIDER.into(), id: crate::service::tokens::device_key(id) }))
        }
        Some(credential::Kind::Platform(p)) => {
            let provider_ok = !p.provider.is_empty()
                && p.provider.len() <= MAX_PROVIDER_CHARS
                && p.provider.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
                && p.provider != DEVICE_PROVIDER;
            if !provider_ok {
                return invalid("platform provider must be 1 to 32 of a-z, 0-9, '-', '_' and not \"device\"");
            }
            if p.id_token.is_empty() || p.id_token.len() > MAX_ID_TOKEN_BYTES {
                return invalid("platform sign-in needs the provider's ID token (id_token, at most 8 KiB)");
            }
            Ok(Claimed::Platform { provider: p.provider.clone(), id_token: p.id_token.clone() })
        }
    }
}

/// The key an account is stored under for `credential`: a device id's hash, or a platform's
/// subject, verified by the provider's keys.
pub async fn auth_id(providers: &Providers, credential: Option<&Credential>) -> Result<AuthId, AccountError> {
    match claimed(credential)? {
        Claimed::Device(auth) => Ok(auth),
        Claimed::Platform { provider, id_token } => {
            let Some(verifier) = providers.get(&provider) else {
                return Err(AccountError::SignInRefused(format!("sign-in with {provider:?} is not accepted here")));
            };
            let subject = verifier.verify(&id_token).await.map_err(|e| match e {
                TokenError::Refused(m) => AccountError::SignInRefused(m),
                TokenError::Unavailable(m) => AccountError::ProviderUnavailable(m),
            })?;
            Ok(AuthId { provider, id: subject })
        }
    }
}

impl Accounts {
    /// Accounts over `directory`'s user actors (Login opens the session there) and its
    /// backend's store and game data; Login shows the notice of `notices`.
    pub fn new(
        directory: Arc<Directory<GameBackend>>,
        notices: Arc<NoticeBoard>,
        session_ttl_ms: i64,
        request_timeout: Duration,
        providers: Arc<Providers>,
    ) -> Self {
        let (store, catalog) = (directory.backend().store().clone(), directory.backend().catalog().clone());
        Self { directory, store, catalog, notices, session_ttl_ms, request_timeout, providers }
    }

    async fn auth_id(&self, credential: Option<&Credential>) -> Result<AuthId, AccountError> {
        auth_id(&self.providers, credential).await
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        self.directory.clock()
    }

    /// Appends an action-log row. The action itself is already durable and answered either
    /// way, so a failure is reported, not returned.
    async fn log(&self, user: u64, shards: UserShards, action: &'static str, params: String, now: i64) {
        let log = ActionLog { user_id: user, action, params, result: "ok".into(), at_ms: now };
        if let Err(e) = self.store.append_logs(shards, vec![log]).await {
            tracing::error!(user.id = user, action, error = %e, "action log not written");
        }
    }

    /// Register: the existing account for this id, or a new one.
    pub async fn register(&self, req: &RegisterReq) -> Result<RegisterRes, AccountError> {
        let auth = self.auth_id(req.credential.as_ref()).await?;
        let now = self.clock().now_ms();
        let ids = self.directory.backend().ids().next_block();
        let template = Profile::new_user(&self.catalog.current(), random_u63()?, ids, now).with_rng_key(random_key()?);
        let provider = auth.provider.clone();
        let registered = self.store.register(auth, template.row(), now).await?;
        if registered.created {
            tracing::info!(user.id = registered.user_id, "account registered");
            self.log(registered.user_id, registered.shards, "register", format!("provider={provider}"), now).await;
        }
        Ok(RegisterRes { user_id: registered.user_id, created: registered.created })
    }

    /// Login, once the user is known ([`Self::account_or_sign_up`]): a new session for `user`, ending
    /// the previous one, opened by the user's actor on this node. The account's deletion is
    /// read once, before the session opens: one waiting out its grace period gets no session
    /// unless `cancel_deletion` asks to keep it (then it is cancelled once the session is
    /// open), and one being erased none at all, so a refused Login leaves the session
    /// DeleteAccount ended as it was (a retry of that request still gets its answer). With
    /// no deletion then, none can be due before the session is open (a grace period lasts at
    /// least a minute), and once a session is live no erasure starts: no second read.
    pub async fn open(&self, user: u64, cancel_deletion: bool) -> Result<LoginRes, AccountError> {
        let before = self.store.deletion_of(user).await?;
        match before {
            Some(d) if d.phase == DeletionPhase::Waiting && !cancel_deletion => {
                return Err(AccountError::DeletionPending(d.due_at_ms));
            }
            Some(d) if d.phase >= DeletionPhase::Erasing => return Err(AccountError::NotRegistered),
            _ => {}
        }
        let now = self.clock().now_ms();
        let (token, session) = self.new_session(now)?;
        let expires_at_ms = session.expires_at_ms;
        let opened = self.directory.ask(user, self.request_timeout, || OpenSession::<UserState>::new(session.clone()));
        // Read alongside, so a refresh of the node's copy adds no wait of its own.
        let (opened, notice) = join(opened, self.notices.current()).await;
        let state = match opened {
            Ok(state) => state,
            // An account being erased has no user rows to open a session on any more.
            Err(e) if self.being_erased(user).await => {
                tracing::info!(user.id = user, error = %e, "login refused: the account is being erased");
                return Err(AccountError::NotRegistered);
            }
            Err(e) => return Err(e.into()),
        };
        let deletion_cancelled = match before {
            Some(_) => self.cancel(user).await?,
            None => false,
        };
        self.log(user, state.shards, "login", String::new(), now).await;
        // The session is open: a notice that cannot be read now is shown at the next login.
        let notice = notice.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "notice not read");
            String::new()
        });
        Ok(LoginRes { deletion_cancelled, ..self.answer(user, &state, &token, expires_at_ms, notice, now) })
    }

    /// A new session's token and row, expiring a session's lifetime after `now`.
    fn new_session(&self, now: i64) -> Result<([u8; 32], Session), AccountError> {
        let token = new_token()?;
        let session = Session {
            id: random_u63()?.max(1),
            token_hash: hash_token(&token),
            expires_at_ms: now + self.session_ttl_ms,
            ended_at_ms: None,
            ended_by_seq: 0,
        };
        Ok((token, session))
    }

    /// Login's answer for a session of `user` opened on `state`.
    fn answer(
        &self,
        user: u64,
        state: &UserState,
        token: &[u8; 32],
        expires_at_ms: i64,
        notice: String,
        now: i64,
    ) -> LoginRes {
        LoginRes {
            session_token: token.to_vec(),
            expires_at_ms,
            ttl_secs: u32::try_from(self.session_ttl_ms / 1000).unwrap_or(u32::MAX),
            user: Some(state.to_proto(&self.catalog.current(), now)),
            notice,
            routing_key: routing_key(user),
            deletion_cancelled: false,
            registered: false,
        }
    }

    /// Login's account: the user registered with the request's credential (verified), or,
    /// when nobody is and the request asks to register ([`LoginReq::register_if_new`]), the
    /// user this call signed up, with their session open ([`Self::sign_up`]).
    pub async fn account_or_sign_up(&self, req: &LoginReq) -> Result<Account, AccountError> {
        let auth = self.auth_id(req.credential.as_ref()).await?;
        if let Some(user) = self.store.find_account(auth.clone()).await? {
            return Ok(Account::Registered { user, now: false });
        }
        if !req.register_if_new {
            return Err(AccountError::NotRegistered);
        }
        match self.sign_up(auth.clone()).await? {
            Some(signed_up) => Ok(signed_up),
            // Registered alongside: that account stands, and this login opens a session on it.
            None => {
                let user = self.store.find_account(auth).await?.ok_or(AccountError::NotRegistered)?;
                Ok(Account::Registered { user, now: false })
            }
        }
    }

    /// Registers `auth` with its first session in the same writes, and starts the new user's
    /// actor on this node from what was written: no read of it back, no second write of the
    /// session, no deletion to look for. None when `auth` was registered alongside.
    async fn sign_up(&self, auth: AuthId) -> Result<Option<Account>, AccountError> {
        let backend = self.directory.backend();
        let now = self.clock().now_ms();
        let template = Profile::new_user(&self.catalog.current(), random_u63()?, backend.ids().next_block(), now)
            .with_rng_key(random_key()?);
        let (token, session) = self.new_session(now)?;
        // Both are written with the rows they record: the login's with its session, so a
        // sign-up whose cache entry then fails (answered with an error, the token never
        // sent) has a login on record that the client never got.
        let logs = [("register", format!("provider={}", auth.provider)), ("login", String::new())]
            .map(|(action, params)| ActionLog { user_id: 0, action, params, result: "ok".into(), at_ms: now });
        let sign_up = SignUp {
            auth,
            profile: template.row(),
            session: session.clone(),
            node: backend.node().id,
            logs: logs.to_vec(),
            now_ms: now,
        };
        let signing_up = self.store.sign_up(sign_up).await.map_err(|e| match e {
            StoreError::Overloaded(m) => AccountError::Overloaded(m),
            e => e.into(),
        });
        let Some(signed) = signing_up? else { return Ok(None) };
        let user = signed.user_id;
        tracing::info!(user.id = user, "account registered by a login");
        if !signed.as_sent {
            // A repair wrote a profile row of the statement first: the user's state is what
            // storage holds, read by an activation.
            return Ok(Some(Account::Registered { user, now: true }));
        }
        let refused = |e: BackendError| AccountError::Actor(AskError::Call(CallError::from(e)));
        let loaded = backend.signed_up(&signed, session.clone()).map_err(refused)?;
        // Read alongside, so a refresh of the node's copy adds no wait of its own.
        let (indexed, notice) = join(backend.index_session(&loaded.state, &session, now), self.notices.current()).await;
        indexed.map_err(refused)?;
        let notice = notice.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "notice not read");
            String::new()
        });
        let res = LoginRes {
            registered: true,
            ..self.answer(user, &loaded.state, &token, session.expires_at_ms, notice, now)
        };
        if !self.directory.adopt(user, loaded) {
            // A request of the new user (a second sign-in of the credential, or a client
            // that guessed the id) activated the user first: that actor read the rows just
            // written, session included.
            tracing::warn!(user.id = user, "a new user's actor was live before their sign-up finished");
        }
        Ok(Some(Account::SignedUp(user, Box::new(res))))
    }

    /// Login's session on an existing account ([`Self::open`]); for a login that may
    /// register, once more after writing the user's profile row when the actor could not
    /// start for want of it (a sign-up cut short before its profile row leaves an account
    /// with none to load).
    pub async fn open_for(&self, user: u64, req: &LoginReq) -> Result<LoginRes, AccountError> {
        let failed = match self.open(user, req.cancel_deletion).await {
            Err(AccountError::Actor(e)) if req.register_if_new && !matches!(e, AskError::Call(CallError::Moved(_))) => {
                e
            }
            opened => return opened,
        };
        // No owner row: no profile row on the user's game shard.
        if !matches!(self.store.owner_of(user).await, Ok(None)) {
            return Err(failed.into());
        }
        tracing::warn!(user.id = user, error = %failed, "the account has no profile row; writing it, then logging in again");
        self.register(&RegisterReq { credential: req.credential.clone() }).await?;
        self.open(user, req.cancel_deletion).await
    }

    /// Cancels `user`'s deletion once a session of the user opened (the Login asked to):
    /// whether it did (false: a login alongside did), or, if its erasure started meanwhile,
    /// the refusal, the session ended again first.
    async fn cancel(&self, user: u64) -> Result<bool, AccountError> {
        match self.store.cancel_deletion(user).await? {
            Some(DeletionPhase::Waiting) => {
                tracing::info!(user.id = user, "account deletion cancelled by a login");
                return Ok(true);
            }
            None => return Ok(false),
            Some(_) => {}
        }
        if let Err(e) = self.directory.ask(user, self.request_timeout, || Kick).await {
            tracing::warn!(user.id = user, error = %e, "a session opened on an account being erased not ended");
        }
        Err(AccountError::NotRegistered)
    }

    /// Whether `user`'s account is being erased (a failed read counts as not).
    async fn being_erased(&self, user: u64) -> bool {
        matches!(self.store.deletion_of(user).await, Ok(Some(d)) if d.phase >= DeletionPhase::Erasing)
    }
}

/// The routing key Login answers: what a load balancer hashes so that a user's requests
/// reach one node.
pub fn routing_key(user: u64) -> String {
    user.to_string()
}

#[cfg(test)]
mod tests {
    use summoner_proto::api::PlatformId;

    use super::*;

    fn device(id: &str) -> Credential {
        Credential { kind: Some(credential::Kind::DeviceId(id.into())) }
    }

    fn platform(provider: &str, id_token: &str) -> Credential {
        let id = PlatformId { provider: provider.into(), id_token: id_token.into(), ..Default::default() };
        Credential { kind: Some(credential::Kind::Platform(id)) }
    }

    #[test]
    fn valid_credentials_are_a_device_key_or_a_token_to_verify() {
        let device_key = crate::service::tokens::device_key("abc-123");
        let expected = Claimed::Device(AuthId { provider: "device".into(), id: device_key });
        assert_eq!(claimed(Some(&device("abc-123"))).unwrap(), expected);
        let expected = Claimed::Platform { provider: "google".into(), id_token: "a.b.c".into() };
        assert_eq!(claimed(Some(&platform("google", "a.b.c"))).unwrap(), expected);
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
            Some(platform("steam", &"x".repeat(8 * 1024 + 1))),
        ] {
            assert!(matches!(claimed(bad.as_ref()), Err(AccountError::InvalidCredential(_))), "{bad:?}");
        }
    }
}
