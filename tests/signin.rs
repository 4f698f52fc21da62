//! Platform sign-in against a stand-in OpenID Connect provider the test starts: an ID token
//! signed with the provider's published key, for our audience, unexpired, signs in as its
//! subject; a bad signature, an unknown key, another audience or issuer, an expired token
//! or an unconfigured provider is refused; the keys are fetched once and cached; a provider
//! that does not answer is a 503 within the fetch's timeout, not tried again at once; the
//! `signing_keys` job reads the keys ahead of sign-ins.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use summoner::config::{Config, OidcProviderConfig};
use summoner_actors::ManualClock;
use summoner_client::Answer;
use summoner_proto::api::{Credential, ErrorCode, PlatformId, credential, response};

use common::{TestServer, assert_status, config};

const ISSUER: &str = "https://stand-in.test";
const AUDIENCE: &str = "summoner-game";
const JWKS: &str = include_str!("fixtures/oidc/jwks.json");
const SIGNING_KEY: &[u8] = include_bytes!("fixtures/oidc/signing-key.pem");
const OTHER_KEY: &[u8] = include_bytes!("fixtures/oidc/other-key.pem");

/// The stand-in provider: serves its keys and counts the fetches.
struct Provider {
    url: String,
    fetches: Arc<AtomicUsize>,
    handle: actix_web::dev::ServerHandle,
}

async fn start_provider() -> Provider {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counted = fetches.clone();
    let server = HttpServer::new(move || {
        let counted = counted.clone();
        App::new().route(
            "/jwks.json",
            web::get().to(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { HttpResponse::Ok().content_type("application/json").body(JWKS) }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("the provider binds");
    let url = format!("http://{}/jwks.json", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Provider { url, fetches, handle }
}

fn with_provider(config: Config, jwks_url: &str) -> Config {
    let mut config = config;
    config.sign_in.oidc = vec![OidcProviderConfig {
        provider: "stand-in".into(),
        issuer: ISSUER.into(),
        audiences: vec![AUDIENCE.into(), "another-client".into()],
        jwks_url: jwks_url.into(),
    }];
    config
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    iat: u64,
    exp: u64,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

/// A token for `sub`, with the given issuer, audience, expiry (seconds from now), key id
/// and signing key.
fn token(sub: &str, iss: &str, aud: &str, expires_in: i64, kid: &str, key: &[u8]) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    let now = now_secs();
    let exp = now.saturating_add_signed(expires_in);
    let claims = Claims { iss, aud, sub, iat: now.saturating_sub(10), exp };
    encode(&header, &claims, &EncodingKey::from_rsa_pem(key).expect("a test key")).expect("signed")
}

/// A token signed with HS256 under the provider's key id: HMAC keys are shared secrets, so
/// a server that took them could be handed a "key" the client chose.
fn hmac_token(sub: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("stand-in-1".into());
    let now = now_secs();
    let claims = Claims { iss: ISSUER, aud: AUDIENCE, sub, iat: now, exp: now + 600 };
    encode(&header, &claims, &EncodingKey::from_secret(b"chosen by the client")).expect("signed")
}

/// A token for `sub` from our issuer with `claims` (iat, nbf, aud, azp ...) over the usual
/// ones.
fn token_with(sub: &str, claims: serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("stand-in-1".into());
    let now = now_secs();
    let mut all = serde_json::json!({ "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now - 10, "exp": now + 600 });
    for (name, value) in claims.as_object().expect("claims").iter() {
        if value.is_null() {
            all.as_object_mut().expect("claims").remove(name);
        } else {
            all[name] = value.clone();
        }
    }
    encode(&header, &all, &EncodingKey::from_rsa_pem(SIGNING_KEY).expect("a test key")).expect("signed")
}

fn good(sub: &str) -> String {
    token(sub, ISSUER, AUDIENCE, 600, "stand-in-1", SIGNING_KEY)
}

fn platform(provider: &str, id_token: &str) -> Credential {
    // `id` is what an old client sent and the server once believed: it must not matter.
    let id = PlatformId { provider: provider.into(), id: "someone-else".into(), id_token: id_token.into() };
    Credential { kind: Some(credential::Kind::Platform(id)) }
}

fn user_of(answer: &Answer) -> u64 {
    match &answer.response.payload {
        Some(response::Payload::Register(r)) => r.user_id,
        Some(response::Payload::Login(l)) => l.user.as_ref().map_or(0, |u| u.user_id),
        other => panic!("not a sign-in answer: {other:?}"),
    }
}

/// An account an older server made from a bare platform id (stored as the id the client sent,
/// unhashed, under the provider's name) is the account of a verified token whose subject is
/// that id: signing in with the token finds it, nothing to migrate. A token of another subject
/// does not.
#[actix_web::test]
async fn an_account_made_from_a_bare_platform_id_is_found_by_its_subject() {
    let provider = start_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let config = with_provider(config(dir.path()), &provider.url);
    let server = TestServer::start(config.clone(), Arc::new(ManualClock::new())).await;
    // The row as the server before verified sign-in wrote it for `PlatformId { id: "legacy-42" }`.
    let (_, user) = common::logged_in(&server, "dev-to-be-legacy").await;
    let legacy = format!("UPDATE account_auth SET provider = 'stand-in', auth_id = 'legacy-42' WHERE user_id = {user}");
    assert_eq!(common::exec_sql(&config.storage.common(), &legacy).await, 1);

    let mut client = server.client();
    let login = client.login(platform("stand-in", &good("legacy-42"))).await.unwrap();
    assert_status(&login, 200, ErrorCode::Ok);
    assert_eq!(user_of(&login), user, "the verified subject finds the account the bare id made");
    let stranger = client.login(platform("stand-in", &good("legacy-43"))).await.unwrap();
    assert_status(&stranger, 200, ErrorCode::NotRegistered);
    server.stop().await;
    provider.handle.stop(false).await;
}

#[actix_web::test]
async fn an_id_token_signs_in_as_its_subject_and_every_bad_one_is_refused() {
    let provider = start_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let server =
        TestServer::start(with_provider(config(dir.path()), &provider.url), Arc::new(ManualClock::new())).await;
    let mut client = server.client();

    let registered = client.register(platform("stand-in", &good("player-7"))).await.unwrap();
    assert_status(&registered, 200, ErrorCode::Ok);
    let user = user_of(&registered);
    let login = client.login(platform("stand-in", &good("player-7"))).await.unwrap();
    assert_status(&login, 200, ErrorCode::Ok);
    assert_eq!(user_of(&login), user, "the subject is the account, whatever `id` said");
    let other = client.register(platform("stand-in", &good("player-8"))).await.unwrap();
    assert_ne!(user_of(&other), user);

    let refusals = [
        ("a bad signature", token("player-7", ISSUER, AUDIENCE, 600, "stand-in-1", OTHER_KEY), "signature"),
        ("another audience", token("player-7", ISSUER, "not-our-game", 600, "stand-in-1", SIGNING_KEY), "audience"),
        ("another issuer", token("player-7", "https://evil.test", AUDIENCE, 600, "stand-in-1", SIGNING_KEY), "issuer"),
        ("expired", token("player-7", ISSUER, AUDIENCE, -3_600, "stand-in-1", SIGNING_KEY), "expired"),
        ("an unknown key", token("player-7", ISSUER, AUDIENCE, 600, "rotated-2", OTHER_KEY), "does not publish"),
        ("not a token", "garbage".to_string(), "not an ID token"),
        ("an HMAC token (whose key a client could pick)", hmac_token("player-7"), "not accepted"),
        (
            "not valid before later",
            token_with("player-7", serde_json::json!({ "nbf": now_secs() + 600 })),
            "not valid yet",
        ),
        ("issued in the future", token_with("player-7", serde_json::json!({ "iat": now_secs() + 600 })), "future"),
        ("no time of issue", token_with("player-7", serde_json::json!({ "iat": null })), "iat"),
        (
            "several audiences, no authorized party",
            token_with("player-7", serde_json::json!({ "aud": [AUDIENCE, "analytics"] })),
            "azp",
        ),
        (
            "several audiences, another's authorized party",
            token_with("player-7", serde_json::json!({ "aud": [AUDIENCE, "analytics"], "azp": "analytics" })),
            "azp",
        ),
    ];
    for (case, id_token, says) in refusals {
        for answer in [
            client.login(platform("stand-in", &id_token)).await.unwrap(),
            client.register(platform("stand-in", &id_token)).await.unwrap(),
        ] {
            assert_status(&answer, 200, ErrorCode::SignInRefused);
            assert!(answer.response.message.contains(says), "{case}: {}", answer.response.message);
        }
    }
    // Within the leeway, and several audiences with our client as the authorized party: fine.
    let lenient = serde_json::json!({ "nbf": now_secs() + 30, "aud": [AUDIENCE, "analytics"], "azp": AUDIENCE });
    let accepted = client.login(platform("stand-in", &token_with("player-7", lenient))).await.unwrap();
    assert_status(&accepted, 200, ErrorCode::Ok);
    assert_eq!(user_of(&accepted), user);
    let unconfigured = client.login(platform("google", &good("player-7"))).await.unwrap();
    assert_status(&unconfigured, 200, ErrorCode::SignInRefused);
    let missing = client.login(platform("stand-in", "")).await.unwrap();
    assert_status(&missing, 200, ErrorCode::InvalidArgument);

    // The keys were read once for all of it: an unknown key id reads them again only when
    // the last read is older than `oidc::REFETCH_AFTER`, so made-up ids cannot flood the provider.
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
    server.stop().await;
    provider.handle.stop(true).await;
}

#[actix_web::test]
async fn a_provider_that_does_not_answer_is_a_503_within_the_fetch_timeout() {
    // A port that takes connections (the kernel's backlog) and never answers on them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/jwks.json", silent.local_addr().unwrap());
    let mut config = with_provider(config(dir.path()), &url);
    config.sign_in.jwks_timeout_ms = 3_000;
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    let started = Instant::now();
    let answer = server.client().login(platform("stand-in", &good("player-7"))).await.unwrap();
    assert_status(&answer, 503, ErrorCode::Unavailable);
    assert!(answer.retry_after.is_some());
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(2_900), "gave up before the fetch's bound: {waited:?}");
    assert!(waited < Duration::from_secs(8), "answered after {waited:?}");
    // The failed fetch is not tried again at once: the next sign-in does not wait for it.
    let started = Instant::now();
    let again = server.client().login(platform("stand-in", &good("player-7"))).await.unwrap();
    assert_status(&again, 503, ErrorCode::Unavailable);
    assert!(started.elapsed() < Duration::from_millis(2_900), "waited {:?}", started.elapsed());
    server.stop().await;
    drop(silent);
}

/// The `signing_keys` job reads the provider's keys ahead of sign-ins (with the jobs' 30 s
/// bound), so the first sign-in does not fetch them on its path.
#[actix_web::test]
async fn the_signing_keys_job_reads_the_keys_ahead_of_sign_ins() {
    let provider = start_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = with_provider(config(dir.path()), &provider.url);
    config.admin.token = "admin-secret".into();
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 0, "nothing read at start");
    let run: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/admin/jobs/signing_keys/run", server.admin_url))
        .bearer_auth("admin-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((run["outcome"].as_str(), run["count"].as_i64()), (Some("done"), Some(1)), "{run}");
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
    let login = server.client().register(platform("stand-in", &good("player-9"))).await.unwrap();
    assert_status(&login, 200, ErrorCode::Ok);
    assert_eq!(provider.fetches.load(Ordering::SeqCst), 1, "the sign-in used the keys read ahead");
    server.stop().await;
    provider.handle.stop(true).await;
}
