//! Platform sign-in by OpenID Connect ID tokens: a token is accepted only when its signature
//! verifies against a key the provider publishes (its JWKS, fetched with a timeout and
//! cached), its issuer and audience are the configured ones, it has not expired, its `nbf`
//! and `iat` are not in the future (within `sign_in.leeway_secs`; `iat` is required), and a
//! token for several audiences names one of ours as its authorized party (`azp`). The account is
//! the token's subject (`sub`): the client's word is never taken for who it is.
//!
//! A cached key serves a sign-in at once; stale keys are read again behind it. A token
//! naming a key id the cache lacks (providers rotate keys) waits for the keys to be read
//! again, the wait and the fetch within the sign-in's bound: one fetch at a time, at most one
//! attempt per [`REFETCH_AFTER`], so made-up key ids or a provider that is down cannot make
//! the server hammer it. While the provider is unreachable, the keys last read keep serving.
//! The `signing_keys` job (`crate::jobs`) reads them ahead, so sign-ins rarely wait.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use summoner_actors::in_flight::{self, Stage};
use tokio::sync::Mutex;

use crate::config::{OidcProviderConfig, SignInConfig};

/// A token naming an unknown key fetches the keys again at most this often.
pub const REFETCH_AFTER: Duration = Duration::from_secs(30);

/// The longest subject kept as an account id (the accounts table's id column holds 191
/// characters on MySQL).
const MAX_SUBJECT: usize = 191;

/// Algorithms accepted (what OpenID providers sign ID tokens with); never `none` or HMAC,
/// whose "key" a client could choose.
const ALGORITHMS: [Algorithm; 6] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::ES256, Algorithm::ES384, Algorithm::PS256];

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// The token is refused (a game-level refusal: the client signs in again).
    #[error("{0}")]
    Refused(String),
    /// The provider's keys could not be read: retry later.
    #[error("{0}")]
    Unavailable(String),
}

#[derive(Clone)]
struct Keys {
    set: Arc<JwkSet>,
    fetched: Instant,
}

/// One provider: where its keys are, what its tokens must say.
pub struct OidcProvider {
    config: OidcProviderConfig,
    http: reqwest::Client,
    /// The bound of a fetch on a sign-in's path.
    path_timeout: Duration,
    cache_for: Duration,
    leeway_secs: u64,
    keys: RwLock<Option<Keys>>,
    /// One fetch at a time; holds when the last one was tried (done or failed).
    fetching: Mutex<Option<Instant>>,
}

/// The claims read from an ID token (the validation checks `iss`, `aud`, `exp` and `nbf`
/// itself; `iat` and `azp` are checked here).
#[derive(Debug, serde::Deserialize)]
struct Claims {
    sub: String,
    /// When the token was issued (seconds since 1970): required, and not in the future.
    iat: Option<i64>,
    aud: Audiences,
    /// The party the token was issued to; required to be ours when `aud` names several.
    azp: Option<String>,
}

/// `aud`: several audiences, or one (whose value the validation checked already).
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum Audiences {
    Many(Vec<String>),
    One(serde::de::IgnoredAny),
}

impl OidcProvider {
    fn new(config: OidcProviderConfig, sign_in: &SignInConfig) -> Result<Self, String> {
        let path_timeout = Duration::from_millis(sign_in.jwks_timeout_ms);
        // Each fetch sets its own bound (a sign-in's, or a job's); connecting is bounded here.
        let http = reqwest::Client::builder()
            .connect_timeout(path_timeout)
            .build()
            .map_err(|e| format!("the HTTP client for {}: {e}", config.provider))?;
        Ok(Self {
            config,
            http,
            path_timeout,
            cache_for: Duration::from_secs(sign_in.jwks_cache_secs),
            leeway_secs: sign_in.leeway_secs,
            keys: RwLock::new(None),
            fetching: Mutex::new(None),
        })
    }

    fn cached(&self) -> Option<Keys> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    async fn fetch(&self, timeout: Duration) -> Result<JwkSet, TokenError> {
        let _stage = in_flight::enter(Stage::Outbound, None);
        let url = &self.config.jwks_url;
        let unavailable =
            |e: String| TokenError::Unavailable(format!("the keys of {} ({url}): {e}", self.config.provider));
        let read = async {
            let reply = self.http.get(url).send().await.map_err(|e| unavailable(e.to_string()))?;
            if !reply.status().is_success() {
                return Err(unavailable(format!("HTTP {}", reply.status())));
            }
            let body = reply.bytes().await.map_err(|e| unavailable(e.to_string()))?;
            serde_json::from_slice(&body).map_err(|e| unavailable(format!("not a JWKS: {e}")))
        };
        tokio::time::timeout(timeout, read)
            .await
            .map_err(|_| unavailable(format!("no answer within {} ms", timeout.as_millis())))?
    }

    /// Fetches the keys and keeps them (the caller holds `fetching`).
    async fn fetch_and_keep(&self, timeout: Duration, last: &mut Option<Instant>) -> Result<(), TokenError> {
        *last = Some(Instant::now());
        let set = self.fetch(timeout).await?;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) =
            Some(Keys { set: Arc::new(set), fetched: Instant::now() });
        Ok(())
    }

    /// Reads the keys again now, within `timeout` (a scheduled job's), waiting for a fetch
    /// in progress first.
    pub async fn refresh(&self, timeout: Duration) -> Result<(), TokenError> {
        let mut last = self.fetching.lock().await;
        self.fetch_and_keep(timeout, &mut last).await
    }

    /// On a sign-in's path: reads the keys again unless a fetch was tried moments ago
    /// ([`REFETCH_AFTER`]: a provider that is down, or made-up key ids, are not hammered)
    /// or finished while this caller waited for it. The wait for another's fetch and this
    /// one's own fetch share one bound, the sign-in's (`sign_in.jwks_timeout_ms`).
    async fn refresh_on_path(&self) {
        let asked = Instant::now();
        let refreshed = async {
            let mut last = self.fetching.lock().await;
            if last.is_some_and(|at| at >= asked || at.elapsed() < REFETCH_AFTER) {
                return;
            }
            if let Err(e) = self.fetch_and_keep(self.path_timeout, &mut last).await {
                tracing::warn!(provider = %self.config.provider, error = %e, "the provider's keys could not be read");
            }
        };
        let _ = tokio::time::timeout(self.path_timeout, refreshed).await;
    }

    /// Reads stale keys again behind the sign-in that found them stale, unless a fetch is
    /// under way or was tried moments ago.
    fn refresh_behind(self: &Arc<Self>) {
        let Ok(last) = self.fetching.try_lock() else { return };
        if last.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
            return;
        }
        drop(last);
        let provider = self.clone();
        tokio::spawn(async move { provider.refresh_on_path().await });
    }

    /// The key `kid` names. A cached key serves at once, even stale (it is read again
    /// behind the sign-in); a key the cache lacks (or no keys yet) waits for the provider's
    /// keys to be read again, within the sign-in's bound. Refused only when keys read in
    /// the last [`REFETCH_AFTER`] lack it; otherwise the provider could not be asked, and
    /// the answer is retryable.
    async fn key(self: &Arc<Self>, kid: &str) -> Result<DecodingKey, TokenError> {
        let found = |keys: &Option<Keys>| keys.as_ref().and_then(|k| k.set.find(kid).cloned());
        let cached = self.cached();
        let jwk = match found(&cached) {
            Some(jwk) => {
                if cached.as_ref().is_some_and(|k| k.fetched.elapsed() >= self.cache_for) {
                    self.refresh_behind();
                }
                jwk
            }
            None => {
                self.refresh_on_path().await;
                let keys = self.cached();
                match (found(&keys), keys) {
                    (Some(jwk), _) => jwk,
                    (None, Some(keys)) if keys.fetched.elapsed() < REFETCH_AFTER => {
                        return Err(TokenError::Refused(format!(
                            "the token is signed with a key {kid:?} the provider does not publish"
                        )));
                    }
                    (None, _) => {
                        return Err(TokenError::Unavailable(format!(
                            "the keys of {} could not be read; try again later",
                            self.config.provider
                        )));
                    }
                }
            }
        };
        DecodingKey::from_jwk(&jwk)
            .map_err(|e| TokenError::Refused(format!("the provider's key {kid:?} is unusable: {e}")))
    }

    /// The subject of `token`, if the provider signed it for one of our audiences and it
    /// has not expired.
    pub async fn verify(self: &Arc<Self>, token: &str) -> Result<String, TokenError> {
        let refused = |m: String| TokenError::Refused(m);
        let header = decode_header(token).map_err(|e| refused(format!("not an ID token: {e}")))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(refused(format!("tokens signed with {:?} are not accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| refused("the token names no key (kid)".into()))?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&self.config.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway_secs;
        let data = decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            refused(match e.kind() {
                ErrorKind::InvalidSignature => "the token's signature does not verify".into(),
                ErrorKind::ExpiredSignature => "the token has expired".into(),
                ErrorKind::InvalidAudience => "the token was issued for another audience".into(),
                ErrorKind::InvalidIssuer => "the token was issued by another issuer".into(),
                ErrorKind::ImmatureSignature => "the token is not valid yet".into(),
                other => format!("the token is not valid: {other:?}"),
            })
        })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        check_issued(&data.claims, &self.config.audiences, now, self.leeway_secs).map_err(refused)?;
        let subject = data.claims.sub;
        if subject.is_empty() || subject.len() > MAX_SUBJECT || subject.chars().any(char::is_control) {
            return Err(refused("the token's subject is not a usable id".into()));
        }
        Ok(subject)
    }
}

/// The checks of an ID token's claims the library leaves to us: `iat` present and not in
/// the future (beyond `leeway_secs`), and when `aud` names several audiences, `azp` one of
/// ours (OpenID Connect Core 1.0, 3.1.3.7).
fn check_issued(claims: &Claims, ours: &[String], now: i64, leeway_secs: u64) -> Result<(), String> {
    let Some(iat) = claims.iat else {
        return Err("the token does not say when it was issued (iat)".into());
    };
    if iat > now.saturating_add_unsigned(leeway_secs) {
        return Err("the token was issued in the future (iat)".into());
    }
    if let Audiences::Many(audiences) = &claims.aud
        && audiences.len() > 1
        && !claims.azp.as_ref().is_some_and(|azp| ours.contains(azp))
    {
        return Err("the token names several audiences and no authorized party (azp) of ours".into());
    }
    Ok(())
}

/// Every configured provider, by name.
#[derive(Default)]
pub struct Providers(HashMap<String, Arc<OidcProvider>>);

impl Providers {
    /// The providers of `config`.
    pub fn new(config: &SignInConfig) -> Result<Self, String> {
        let mut providers = HashMap::new();
        for provider in &config.oidc {
            providers.insert(provider.provider.clone(), Arc::new(OidcProvider::new(provider.clone(), config)?));
        }
        Ok(Self(providers))
    }

    /// The provider named `name`, if configured.
    pub fn get(&self, name: &str) -> Option<&Arc<OidcProvider>> {
        self.0.get(name)
    }

    /// No provider is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads every provider's keys again, each within `timeout`; answers how many were
    /// read, or which could not be (after trying all).
    pub async fn refresh_all(&self, timeout: Duration) -> Result<u64, String> {
        let mut read = 0;
        let mut failed = Vec::new();
        for provider in self.0.values() {
            match provider.refresh(timeout).await {
                Ok(()) => read += 1,
                Err(e) => failed.push(e.to_string()),
            }
        }
        if failed.is_empty() { Ok(read) } else { Err(failed.join("; ")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iat: Option<i64>, aud: Audiences, azp: Option<&str>) -> Claims {
        Claims { sub: "player".into(), iat, aud, azp: azp.map(str::to_owned) }
    }

    #[test]
    fn a_token_must_say_when_it_was_issued_and_not_in_the_future() {
        let ours = ["game".to_owned()];
        let one = || Audiences::One(serde::de::IgnoredAny);
        assert_eq!(check_issued(&claims(Some(1_000), one(), None), &ours, 1_000, 60), Ok(()));
        assert_eq!(check_issued(&claims(Some(1_060), one(), None), &ours, 1_000, 60), Ok(()), "within the leeway");
        assert!(check_issued(&claims(Some(1_061), one(), None), &ours, 1_000, 60).is_err_and(|e| e.contains("future")));
        assert!(check_issued(&claims(None, one(), None), &ours, 1_000, 60).is_err_and(|e| e.contains("iat")));
    }

    #[test]
    fn several_audiences_need_an_authorized_party_of_ours() {
        let ours = ["game".to_owned(), "game-web".to_owned()];
        let many = || Audiences::Many(vec!["game".into(), "analytics".into()]);
        assert!(check_issued(&claims(Some(0), many(), None), &ours, 0, 60).is_err_and(|e| e.contains("azp")));
        assert!(check_issued(&claims(Some(0), many(), Some("analytics")), &ours, 0, 60).is_err());
        assert_eq!(check_issued(&claims(Some(0), many(), Some("game-web")), &ours, 0, 60), Ok(()));
        let single = Audiences::Many(vec!["game".into()]);
        assert_eq!(check_issued(&claims(Some(0), single, None), &ours, 0, 60), Ok(()), "one audience needs no azp");
    }
}
