//! Platform sign-in by OpenID Connect ID tokens: a token is accepted only when its signature
//! verifies against a key the provider publishes (its JWKS, fetched with a timeout and
//! cached), and its issuer, audience and expiry are the configured ones. The account is
//! the token's subject (`sub`): the client's word is never taken for who it is.
//!
//! Keys are read again when a token names a key id the cache does not hold (providers
//! rotate keys), at most once per [`REFETCH_AFTER`], so made-up key ids cannot make the
//! server hammer the provider.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use summoner_actors::in_flight::{self, Stage};
use tokio::sync::Mutex;

use crate::config::{OidcProviderConfig, SignInConfig};

/// A token naming an unknown key fetches the keys again at most this often.
pub const REFETCH_AFTER: Duration = Duration::from_secs(30);

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

struct Keys {
    set: JwkSet,
    fetched: Instant,
}

/// One provider: where its keys are, what its tokens must say.
pub struct OidcProvider {
    config: OidcProviderConfig,
    http: reqwest::Client,
    cache_for: Duration,
    leeway_secs: u64,
    keys: Mutex<Option<Keys>>,
}

/// The claims read from an ID token (the validation checks `iss`, `aud` and `exp` itself).
#[derive(Debug, serde::Deserialize)]
struct Claims {
    sub: String,
}

impl OidcProvider {
    fn new(config: OidcProviderConfig, sign_in: &SignInConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(sign_in.jwks_timeout_ms))
            .connect_timeout(Duration::from_millis(sign_in.jwks_timeout_ms))
            .build()
            .map_err(|e| format!("the HTTP client for {}: {e}", config.provider))?;
        Ok(Self {
            config,
            http,
            cache_for: Duration::from_secs(sign_in.jwks_cache_secs),
            leeway_secs: sign_in.leeway_secs,
            keys: Mutex::new(None),
        })
    }

    async fn fetch(&self) -> Result<JwkSet, TokenError> {
        let _stage = in_flight::enter(Stage::Outbound, None);
        let url = &self.config.jwks_url;
        let unavailable =
            |e: String| TokenError::Unavailable(format!("the keys of {} ({url}): {e}", self.config.provider));
        let reply = self.http.get(url).send().await.map_err(|e| unavailable(e.to_string()))?;
        if !reply.status().is_success() {
            return Err(unavailable(format!("HTTP {}", reply.status())));
        }
        let body = reply.bytes().await.map_err(|e| unavailable(e.to_string()))?;
        serde_json::from_slice(&body).map_err(|e| unavailable(format!("not a JWKS: {e}")))
    }

    /// The key `kid` names, from the cache or, when it is stale or lacks the key (and was
    /// not read moments ago), from the provider.
    async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
        let mut keys = self.keys.lock().await;
        let fresh = keys.as_ref().is_some_and(|k| k.fetched.elapsed() < self.cache_for);
        let known = keys.as_ref().and_then(|k| k.set.find(kid)).is_some();
        let recently = keys.as_ref().is_some_and(|k| k.fetched.elapsed() < REFETCH_AFTER);
        if !fresh || (!known && !recently) {
            match self.fetch().await {
                Ok(set) => *keys = Some(Keys { set, fetched: Instant::now() }),
                // Stale keys still verify what they can while the provider is away.
                Err(e) if keys.is_none() => return Err(e),
                Err(e) => tracing::warn!(provider = %self.config.provider, error = %e, "keeping the cached keys"),
            }
        }
        let jwk = keys.as_ref().and_then(|k| k.set.find(kid)).ok_or_else(|| {
            TokenError::Refused(format!("the token is signed with a key {kid:?} the provider does not publish"))
        })?;
        DecodingKey::from_jwk(jwk)
            .map_err(|e| TokenError::Refused(format!("the provider's key {kid:?} is unusable: {e}")))
    }

    /// The subject of `token`, if the provider signed it for one of our audiences and it
    /// has not expired.
    pub async fn verify(&self, token: &str) -> Result<String, TokenError> {
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
        let subject = data.claims.sub;
        if subject.is_empty() || subject.len() > 255 || subject.chars().any(char::is_control) {
            return Err(refused("the token's subject is not a usable id".into()));
        }
        Ok(subject)
    }
}

/// Every configured provider, by name.
#[derive(Default)]
pub struct Providers(HashMap<String, OidcProvider>);

impl Providers {
    /// The providers of `config`.
    pub fn new(config: &SignInConfig) -> Result<Self, String> {
        let mut providers = HashMap::new();
        for provider in &config.oidc {
            providers.insert(provider.provider.clone(), OidcProvider::new(provider.clone(), config)?);
        }
        Ok(Self(providers))
    }

    /// The provider named `name`, if configured.
    pub fn get(&self, name: &str) -> Option<&OidcProvider> {
        self.0.get(name)
    }
}
