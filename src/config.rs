//! Server configuration: defaults that run with nothing installed, overridden by a TOML
//! file, overridden in turn by `SUMMONER_*` environment variables (nested keys joined by
//! a double underscore, e.g. `SUMMONER_LIMITS__MAX_BODY_BYTES=131072`).
//!
//! Every field is documented in README.md's configuration reference; keep the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the server can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    pub storage: StorageConfig,
    pub redis: RedisConfig,
    pub limits: LimitsConfig,
    pub sessions: SessionsConfig,
    pub log: LogConfig,
    pub gamedata: GamedataConfig,
    pub admin: AdminConfig,
    pub rate_limits: RateLimitsConfig,
    pub sign_in: SignInConfig,
    pub jobs: JobsConfig,
    pub cluster: ClusterConfig,
    pub sentry: SentryConfig,
    pub debug: DebugConfig,
}

/// Several nodes on one set of databases (`crate::service::cluster`). Every node leases
/// its id and owns its users by rows of the databases; these settings say how long a lease
/// lasts and how nodes reach each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// How long a node's lease lasts past each renewal (renewed every third of it): a node
    /// killed is replaced by the others within this time (ms).
    pub lease_ms: u64,
    /// Address and port of the internal listener other nodes forward requests to. Keep it
    /// off the public network; port 0 picks a free one.
    pub internal_listen: SocketAddr,
    /// The address other nodes reach the internal listener at (`host:port`); empty: the
    /// address it is bound to (right on one host; set it when nodes are on several).
    pub advertise: String,
    /// The secret nodes show each other on the internal listener. Empty: the internal
    /// listener refuses everything, so this node neither forwards nor takes forwards.
    pub secret: String,
    /// Longest a forwarded request may take on the owner (ms), within the request's own
    /// time limit.
    pub forward_timeout_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            lease_ms: 6_000,
            internal_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            advertise: String::new(),
            secret: String::new(),
            forward_timeout_ms: 8_000,
        }
    }
}

/// Scheduled jobs (`crate::jobs`): how often each runs and what it keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Jobs run on their own every interval; off, they run only when an operator asks
    /// (`POST /admin/jobs/{name}/run`).
    pub enabled: bool,
    /// Longest one run of a job may take (seconds); a run past it is abandoned and counted
    /// as timed out (what it deleted stays deleted; the next run goes on).
    pub timeout_secs: u64,
    /// Rows one delete statement removes at most, so no statement holds locks long.
    pub batch_rows: usize,
    /// Expired and claimed mail (not operators' grants, which are kept to stay once-only).
    pub mail_every_secs: u64,
    /// Mail is deleted this many days after it expired or was claimed.
    pub mail_keep_days: u32,
    /// Battles started and never finished.
    pub battles_every_secs: u64,
    /// An unfinished battle's row is deleted this many hours after it expired (its late
    /// finish is answered BATTLE_EXPIRED until then, BATTLE_NOT_FOUND after).
    pub battle_keep_hours: u32,
    /// Friend recommendations' level buckets in the cache.
    pub recommendations_every_secs: u64,
    /// Action-log retention (the summon log among them).
    pub action_log_every_secs: u64,
    /// Action-log rows older than this many days are deleted; at least 90 (the summon
    /// log's legal minimum).
    pub action_log_keep_days: u32,
    /// Results of clan actions kept for retries (`clan_ops`).
    pub clan_ops_every_secs: u64,
    /// A clan action's result is deleted this many days after the action; at least 1 (a retry
    /// comes within its session, which lasts an hour past its last request by default).
    pub clan_ops_keep_days: u32,
    /// Accounts whose deletion's grace period ended are erased (looked for on every node).
    pub deletions_every_secs: u64,
    /// The users active on the last complete game day are scored for bot-like play (each
    /// run scores that day again whole).
    pub bot_scores_every_secs: u64,
    /// Longest one run of the bot-scores job may take (seconds): it reads three days of
    /// every log shard before it writes, so it has its own bound instead of `timeout_secs`.
    pub bot_scores_timeout_secs: u64,
    /// How long after DeleteAccount an account is erased (seconds, at least
    /// [`MIN_DELETION_GRACE_SECS`]); a Login asking to cancel it before then does.
    pub deletion_grace_secs: u64,
}

/// The shortest grace period a deletion may have: long enough for a player to log in and
/// cancel it.
pub const MIN_DELETION_GRACE_SECS: u64 = 60;

/// Retention no configuration may go below: the summon log's legal minimum (days).
pub const MIN_ACTION_LOG_DAYS: u32 = 90;

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            timeout_secs: 300,
            batch_rows: 1_000,
            mail_every_secs: 3_600,
            mail_keep_days: 7,
            battles_every_secs: 3_600,
            battle_keep_hours: 24,
            recommendations_every_secs: 300,
            action_log_every_secs: 86_400,
            action_log_keep_days: 400,
            clan_ops_every_secs: 3_600,
            clan_ops_keep_days: 7,
            deletions_every_secs: 300,
            bot_scores_every_secs: 21_600,
            bot_scores_timeout_secs: 3_600,
            deletion_grace_secs: 7 * 86_400,
        }
    }
}

/// Platform sign-in: the OpenID Connect providers whose ID tokens are accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInConfig {
    /// One entry per provider; a platform sign-in naming any other provider is refused.
    pub oidc: Vec<OidcProviderConfig>,
    /// Longest a fetch of a provider's keys may take (ms, 3,000–9,000: it is on a sign-in's path).
    pub jwks_timeout_ms: u64,
    /// How long fetched keys are used before they are read again (seconds).
    pub jwks_cache_secs: u64,
    /// Clock skew allowed on a token's expiry (seconds).
    pub leeway_secs: u64,
}

impl Default for SignInConfig {
    fn default() -> Self {
        Self { oidc: Vec::new(), jwks_timeout_ms: 3_000, jwks_cache_secs: 3_600, leeway_secs: 60 }
    }
}

/// One OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProviderConfig {
    /// The name clients send (`PlatformId.provider`), e.g. `google`.
    pub provider: String,
    /// The `iss` its tokens carry, e.g. `https://accounts.google.com`.
    pub issuer: String,
    /// The `aud` values accepted (the game's client ids at the provider).
    pub audiences: Vec<String>,
    /// Where the provider publishes its signing keys (JWKS).
    pub jwks_url: String,
}

/// Rate limits of the public API, each checked in memory before any database or cache call;
/// over one, a request answers 429 with Retry-After. 0 turns a limit off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Register and Login requests per client address per minute (also the burst).
    pub sign_in_per_minute: u32,
    /// Sign-in tries at the admin page per client address per minute.
    pub admin_sign_in_per_minute: u32,
    /// Requests per user (whatever session they come with) per minute ...
    pub session_per_minute: u32,
    /// ... of which this many may come at once.
    pub session_burst: u32,
    /// Session tokens per client address per minute that the server's memory does not know
    /// and must look up in the cache or the database (a flood of made-up tokens stops here).
    pub session_lookups_per_minute: u32,
    /// Database look-ups of session tokens the cache does not know, per second, for this whole
    /// process (also the burst): past it such a token gets 503 `OVERLOADED` with `Retry-After`
    /// unread, whatever address it comes from. 0: unbounded.
    pub session_store_lookups_per_second: u32,
    /// Tokens found unknown kept in memory so a repeat costs no look-up (least recently seen
    /// dropped first); 0: none kept.
    pub unknown_tokens_kept: usize,
    /// How long a token found unknown is remembered.
    pub unknown_token_secs: u64,
    /// Proxies (addresses or networks, e.g. `10.0.0.0/8`) whose `X-Forwarded-For` names the
    /// client; from any other peer the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        Self {
            sign_in_per_minute: 60,
            admin_sign_in_per_minute: 10,
            session_per_minute: 1_200,
            session_burst: 60,
            session_lookups_per_minute: 300,
            session_store_lookups_per_second: 2_000,
            unknown_tokens_kept: 100_000,
            unknown_token_secs: 600,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Error reporting to Sentry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SentryConfig {
    /// The project's DSN. Empty: nothing is sent.
    pub dsn: String,
    /// The environment events are tagged with (e.g. `production`, `staging`).
    pub environment: String,
}

/// Where compiled game data comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GamedataConfig {
    /// Folder of compiled files (`gamedata.pb`, `string.LANG.pb`), read at start-up and by
    /// reloads. If it holds no `gamedata.pb` at start-up, the build shipped inside the
    /// binary serves until a reload.
    pub dir: PathBuf,
    /// Folder where every version put in force is kept (`v<N>/`), so old summons replay on
    /// the tables they were drawn with (`summoner-audit replay-summon`).
    pub archive: PathBuf,
}

impl Default for GamedataConfig {
    fn default() -> Self {
        Self { dir: PathBuf::from("gamedata/compiled"), archive: PathBuf::from("gamedata/archive") }
    }
}

/// The admin listener: `/admin/...` (behind the token), `/metrics` and the readiness
/// probe's details, on an address of their own (loopback by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Address and port of the admin listener. Keep it off the public network.
    pub listen: SocketAddr,
    /// Bearer token admin requests must carry. Empty: every admin request is refused.
    pub token: String,
    /// Mark the admin page's cookie `Secure` always (when a proxy in front terminates TLS
    /// without saying so in `X-Forwarded-Proto`); it is anyway over TLS or when a proxy says so.
    pub secure_cookie: bool,
    /// How often the live view samples the request metrics (100 to 60,000 ms); it keeps the
    /// last 15 minutes of samples.
    pub live_sample_ms: u64,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9090)),
            token: String::new(),
            secure_cookie: false,
            live_sample_ms: 5_000,
        }
    }
}

/// Where data lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Folder of the embedded SQLite databases (one file per database), used by every URL
    /// left empty below.
    pub data_dir: PathBuf,
    /// The common database (accounts, sessions, shard registry). Empty: SQLite in data_dir.
    pub common_url: String,
    /// The clan database. Empty: SQLite in data_dir.
    pub clan_url: String,
    /// Game shard URLs, in shard-number order; they seed the shard registry (appending one
    /// adds a shard; the registry is the truth after that). Empty: one SQLite shard.
    pub game_shards: Vec<String>,
    /// Log shard URLs, likewise; their count may differ from the game shards'.
    pub log_shards: Vec<String>,
    /// Database passwords of shards by name (`game_1`, `log_2`; e.g. the variable
    /// `SUMMONER_STORAGE__SHARD_PASSWORDS__GAME_1`), over the passwords of the URLs above. The
    /// registry never stores one; a change takes effect at the next start.
    pub shard_passwords: std::collections::BTreeMap<String, String>,
    /// Longest a single database operation may take before the request fails (ms).
    pub timeout_ms: u64,
    /// Connections per database.
    pub pool_size: usize,
    /// Group commit: a shard's queued writes are committed together once this many wait ...
    pub batch_max_writes: usize,
    /// ... or this many milliseconds after the first one queued (0: as soon as the
    /// previous batch is done).
    pub batch_delay_ms: u64,
    /// How often the action-log outbox of each game shard is read back, besides when a
    /// batch's outcome was unknown (a batch abandoned past its time bound may commit later).
    pub log_sweep_secs: u64,
    /// This server node's number (0–1023), part of every id it makes. Unset: the node takes
    /// a free one at start (leased in the common database); set: it takes that one, and is
    /// refused at start while a live node holds it.
    pub node_id: Option<u16>,
}

impl StorageConfig {
    fn sqlite(&self, file: &str) -> String {
        format!("sqlite://{}", self.data_dir.join(file).display())
    }

    /// The common database URL.
    pub fn common(&self) -> String {
        if self.common_url.is_empty() { self.sqlite("common.sqlite") } else { self.common_url.clone() }
    }

    /// The clan database URL.
    pub fn clan(&self) -> String {
        if self.clan_url.is_empty() { self.sqlite("clan.sqlite") } else { self.clan_url.clone() }
    }

    /// The game shard URLs.
    pub fn game(&self) -> Vec<String> {
        if self.game_shards.is_empty() { vec![self.sqlite("game-1.sqlite")] } else { self.game_shards.clone() }
    }

    /// The log shard URLs.
    pub fn log(&self) -> Vec<String> {
        if self.log_shards.is_empty() { vec![self.sqlite("log-1.sqlite")] } else { self.log_shards.clone() }
    }
}

/// The cache: Redis shards, or the in-process cache when no URL is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// One URL per Redis shard, in shard order (keys are placed by hash % count, so the
    /// order matters and changing the count ends the sessions that move). Empty: the
    /// in-process cache.
    pub urls: Vec<String>,
    /// Connections per shard. Each is multiplexed (many callers' commands in flight on one
    /// socket), and fewer sockets batch better: with 1 or 2, 64 callers got about 1.6× the
    /// look-ups of 16 here; 2 keeps a second socket should one stall.
    pub pool_size: usize,
    /// Longest a cache call may take, connecting included (ms).
    pub timeout_ms: u64,
    /// Prefix of every key, so several deployments can share a Redis.
    pub key_prefix: String,
    /// After a shard failed to answer, calls to it fail at once for this long (ms) instead
    /// of each waiting for the timeout; 0 turns this off.
    pub cooldown_ms: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self { urls: Vec::new(), pool_size: 2, timeout_ms: 1_000, key_prefix: "sm".into(), cooldown_ms: 1_000 }
    }
}

/// Bounds that protect the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest accepted request body (bytes); larger ones get 413.
    pub max_body_bytes: usize,
    /// Requests of one user admitted at once; more get 503.
    pub user_mailbox: usize,
    /// Requests admitted by the whole server at once; more get 503.
    pub max_in_flight: usize,
    /// Longest a request may wait for its user's actor before it fails with 500 (ms).
    pub request_timeout_ms: u64,
    /// Seconds a client is told to wait (Retry-After) after a 503.
    pub retry_after_secs: u32,
    /// Longest the whole request body may take to arrive (ms); a slower sender gets 408.
    pub body_timeout_ms: u64,
    /// Open connections of one client address to the public listener (an IPv6 client by its
    /// /64); one more is closed as soon as it is accepted. Behind trusted proxies, requests in
    /// flight per forwarded client address instead (429 past it). 0: no cap. Players behind a
    /// carrier's NAT share an IPv4 address: keep it well above what one player opens (one or
    /// two connections).
    pub connections_per_address: usize,
    /// Open connections to the public listener in all; past it the listener stops accepting
    /// until one closes.
    pub max_connections: usize,
}

/// Sessions and user actors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionsConfig {
    /// A session expires after this many seconds without a request.
    pub ttl_secs: u32,
    /// An actor with no request for this many seconds is passivated (its memory freed;
    /// the session stays valid).
    pub idle_timeout_secs: u32,
    /// How often idle actors are looked for (seconds).
    pub sweep_interval_secs: u32,
}

/// Log output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `human` or `json`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `summoner=debug,actix_web=info`. `RUST_LOG` wins.
    pub filter: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// Switches for development and tests only.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DebugConfig {
    /// Serve debug operations (DebugPanic). Never in production.
    pub test_operations: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: 0,
            storage: StorageConfig::default(),
            redis: RedisConfig::default(),
            limits: LimitsConfig::default(),
            sessions: SessionsConfig::default(),
            log: LogConfig::default(),
            gamedata: GamedataConfig::default(),
            admin: AdminConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            sign_in: SignInConfig::default(),
            jobs: JobsConfig::default(),
            cluster: ClusterConfig::default(),
            sentry: SentryConfig::default(),
            debug: DebugConfig::default(),
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            common_url: String::new(),
            clan_url: String::new(),
            game_shards: Vec::new(),
            log_shards: Vec::new(),
            shard_passwords: std::collections::BTreeMap::new(),
            timeout_ms: 5_000,
            pool_size: 8,
            batch_max_writes: 256,
            batch_delay_ms: 1,
            log_sweep_secs: 30,
            node_id: None,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            user_mailbox: 16,
            max_in_flight: 10_000,
            request_timeout_ms: 9_000,
            retry_after_secs: 1,
            body_timeout_ms: 10_000,
            connections_per_address: 1_000,
            max_connections: 25_000,
        }
    }
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self { ttl_secs: 3600, idle_timeout_secs: 300, sweep_interval_secs: 30 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Human, filter: "info".into() }
    }
}

/// An `http://` URL of this host's loopback (a stand-in provider in tests, a local proxy):
/// keys fetched from anywhere else must come over TLS, or whoever is on the path could
/// serve their own and sign in as anyone.
fn is_loopback_http(url: &str) -> bool {
    // Parsed as the HTTP client will (`http://127.0.0.1:80@evil.example/` is evil.example's).
    let Ok(url) = reqwest::Url::parse(url) else { return false };
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    url.scheme() == "http"
        && url.username().is_empty()
        && url.password().is_none()
        && (host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

/// The configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Defaults, then `file` (if given; it must exist), then `SUMMONER_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!("config file {} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let config: Config = figment
            .merge(
                Env::prefixed("SUMMONER_")
                    // SUMMONER_CONFIG names the file; SUMMONER_TEST_* configure the test suite.
                    .filter(|key| {
                        let key = key.as_str().to_ascii_lowercase();
                        key != "config" && !key.starts_with("test_")
                    })
                    .split("__"),
            )
            .extract()
            .map_err(|e| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks, without opening or connecting anything, what start-up would build from the
    /// values beyond their ranges: Redis and database URLs (the sign-in providers are checked
    /// by `crate::server::check_config`, which calls this).
    pub fn check_offline(&self) -> Result<(), ConfigError> {
        for url in &self.redis.urls {
            deadpool_redis::redis::Client::open(url.as_str())
                .map_err(|e| ConfigError(format!("redis.urls: {}: {e}", crate::urls::redact(url))))?;
        }
        for url in std::iter::once(self.storage.common())
            .chain([self.storage.clan()])
            .chain(self.storage.game())
            .chain(self.storage.log())
        {
            crate::storage::db::Backend::of(&url)
                .map_err(|e| ConfigError(format!("storage: {}: {e}", crate::urls::redact(&url))))?;
        }
        Ok(())
    }

    /// What this configuration sets up, a line per part (passwords left out).
    pub fn summary(&self) -> String {
        let redact = |url: &String| crate::urls::redact(url);
        let list = |urls: Vec<String>| urls.iter().map(redact).collect::<Vec<_>>().join(", ");
        let providers: Vec<&str> = self.sign_in.oidc.iter().map(|p| p.provider.as_str()).collect();
        format!(
            "public listener: {}\nadmin listener: {} (token {})\ncommon database: {}\nclan database: {}\n\
             game shards: {}\nlog shards: {}\ncache: {}\nsign-in providers: {}\n",
            self.listen,
            self.admin.listen,
            if self.admin.token.is_empty() { "not set: admin requests are refused" } else { "set" },
            redact(&self.storage.common()),
            redact(&self.storage.clan()),
            list(self.storage.game()),
            list(self.storage.log()),
            if self.redis.urls.is_empty() { "in process".to_owned() } else { list(self.redis.urls.clone()) },
            if providers.is_empty() { "none (device ids only)".to_owned() } else { providers.join(", ") },
        )
    }

    /// Rejects values the server cannot run with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |m: &str| Err(ConfigError(m.to_owned()));
        if self.limits.max_body_bytes == 0 {
            return fail("limits.max_body_bytes must be at least 1");
        }
        if self.limits.body_timeout_ms == 0 {
            return fail("limits.body_timeout_ms must be at least 1");
        }
        let sign_in = &self.sign_in;
        if !(3_000..=9_000).contains(&sign_in.jwks_timeout_ms) {
            return fail("sign_in.jwks_timeout_ms must be 3000 to 9000 (it is on a sign-in's path)");
        }
        for p in &sign_in.oidc {
            let name_ok = !p.provider.is_empty()
                && p.provider.len() <= 32
                && p.provider.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
                && p.provider != "device";
            if !name_ok {
                return fail("sign_in.oidc.provider must be 1 to 32 of a-z, 0-9, '-', '_' and not \"device\"");
            }
            if p.issuer.is_empty() || p.audiences.is_empty() || p.audiences.iter().any(String::is_empty) {
                return fail("each sign_in.oidc entry needs an issuer and at least one audience");
            }
            if !(p.jwks_url.starts_with("https://") || is_loopback_http(&p.jwks_url)) {
                return fail("sign_in.oidc.jwks_url must be an https:// URL (http:// only on the loopback)");
            }
        }
        if sign_in.oidc.iter().enumerate().any(|(i, p)| sign_in.oidc[..i].iter().any(|q| q.provider == p.provider)) {
            return fail("sign_in.oidc names a provider twice");
        }
        let rates = &self.rate_limits;
        if rates.session_per_minute > 0 && rates.session_burst == 0 {
            return fail("rate_limits.session_burst must be at least 1 when rate_limits.session_per_minute is set");
        }
        if self.limits.max_connections == 0 {
            return fail("limits.max_connections must be at least 1");
        }
        if !(100..=60_000).contains(&self.admin.live_sample_ms) {
            return fail("admin.live_sample_ms must be 100 to 60000");
        }
        if self.limits.user_mailbox == 0 || self.limits.max_in_flight == 0 {
            return fail("limits.user_mailbox and limits.max_in_flight must be at least 1");
        }
        let redis = &self.redis;
        if redis.urls.iter().any(|u| !u.starts_with("redis://") && !u.starts_with("rediss://")) {
            return fail("redis.urls must be redis:// or rediss:// URLs");
        }
        if redis.pool_size == 0 || redis.timeout_ms == 0 {
            return fail("redis.pool_size and redis.timeout_ms must be at least 1");
        }
        if redis.key_prefix.is_empty()
            || !redis.key_prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return fail("redis.key_prefix must be 1 or more of a-z, A-Z, 0-9, '-', '_', '.'");
        }
        if self.sessions.ttl_secs == 0 || self.sessions.sweep_interval_secs == 0 {
            return fail("sessions.ttl_secs and sessions.sweep_interval_secs must be at least 1");
        }
        if self.storage.pool_size == 0
            || self.storage.timeout_ms == 0
            || self.storage.batch_max_writes == 0
            || self.storage.log_sweep_secs == 0
        {
            return fail(
                "storage.pool_size, storage.timeout_ms, storage.batch_max_writes and storage.log_sweep_secs must be at least 1",
            );
        }
        if !self.sentry.dsn.is_empty() && self.sentry.dsn.parse::<sentry::types::Dsn>().is_err() {
            return fail("sentry.dsn is not a valid DSN");
        }
        if self.storage.node_id.is_some_and(|id| id > crate::ids::MAX_NODE) {
            return fail("storage.node_id must be at most 1023");
        }
        let cluster = &self.cluster;
        if !(1_000..=60_000).contains(&cluster.lease_ms) {
            return fail("cluster.lease_ms must be 1000 to 60000");
        }
        if !cluster.secret.is_empty() && cluster.secret.len() < 16 {
            return fail("cluster.secret must have at least 16 characters (or be empty: no forwarding)");
        }
        if cluster.forward_timeout_ms == 0 {
            return fail("cluster.forward_timeout_ms must be at least 1");
        }
        if !cluster.secret.is_empty() && cluster.advertise.is_empty() && cluster.internal_listen.ip().is_unspecified() {
            return fail(
                "cluster.advertise must name the address other nodes reach this one at (host:port) when \
                 cluster.internal_listen listens on every interface",
            );
        }
        if cluster.internal_listen == self.listen && self.listen.port() != 0 {
            return fail(
                "cluster.internal_listen must differ from listen (the internal side is never on the public port)",
            );
        }
        if self.admin.listen == self.listen && self.listen.port() != 0 {
            return fail("admin.listen must differ from listen (the admin side is never on the public port)");
        }
        let jobs = &self.jobs;
        if jobs.timeout_secs == 0 || jobs.bot_scores_timeout_secs == 0 || jobs.batch_rows == 0 {
            return fail("jobs.timeout_secs, jobs.bot_scores_timeout_secs and jobs.batch_rows must be at least 1");
        }
        if jobs.deletion_grace_secs < MIN_DELETION_GRACE_SECS {
            return fail("jobs.deletion_grace_secs must be at least 60 (a player must have time to cancel a deletion)");
        }
        let intervals = [
            jobs.mail_every_secs,
            jobs.battles_every_secs,
            jobs.recommendations_every_secs,
            jobs.action_log_every_secs,
            jobs.clan_ops_every_secs,
            jobs.deletions_every_secs,
            jobs.bot_scores_every_secs,
        ];
        if intervals.contains(&0) {
            return fail("every jobs.*_every_secs must be at least 1");
        }
        if jobs.clan_ops_keep_days == 0 {
            return fail("jobs.clan_ops_keep_days must be at least 1 (a retried clan action finds its result there)");
        }
        if jobs.action_log_keep_days < MIN_ACTION_LOG_DAYS {
            return fail("jobs.action_log_keep_days must be at least 90 (the summon log's legal minimum)");
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's error
mod tests {
    use super::*;

    #[test]
    fn file_and_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("s.toml", "listen = \"0.0.0.0:9000\"\n[limits]\nmax_body_bytes = 100\n")?;
            jail.set_env("SUMMONER_LIMITS__USER_MAILBOX", "3");
            jail.set_env("SUMMONER_LOG__FORMAT", "json");
            jail.set_env("SUMMONER_REDIS__URLS", "[redis://127.0.0.1:6379, redis://127.0.0.1:6380/2]");
            let config = Config::load(Some(Path::new("s.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.listen, SocketAddr::from(([0, 0, 0, 0], 9000)));
            assert_eq!(config.limits.max_body_bytes, 100);
            assert_eq!(config.limits.user_mailbox, 3);
            assert_eq!(config.log.format, LogFormat::Json);
            assert_eq!(config.sessions.ttl_secs, 3600);
            assert_eq!(config.redis.urls, ["redis://127.0.0.1:6379", "redis://127.0.0.1:6380/2"]);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "lisen = \"0.0.0.0:9000\"\n")?;
            assert!(Config::load(Some(Path::new("a.toml"))).is_err());
            jail.create_file("b.toml", "[limits]\nmax_body_bytes = 0\n")?;
            assert!(Config::load(Some(Path::new("b.toml"))).is_err());
            assert!(Config::load(Some(Path::new("missing.toml"))).is_err());
            jail.create_file("c.toml", "[redis]\nurls = [\"http://127.0.0.1:6379\"]\n")?;
            assert!(Config::load(Some(Path::new("c.toml"))).is_err());
            jail.create_file("d.toml", "[redis]\nkey_prefix = \"a b\"\n")?;
            assert!(Config::load(Some(Path::new("d.toml"))).is_err());
            for (url, ok) in [
                ("https://keys.example.com/jwks", true),
                ("http://127.0.0.1:9000/jwks", true),
                ("http://[::1]:9000/jwks", true),
                ("http://keys.example.com/jwks", false),
                ("http://127.0.0.1.example.com/jwks", false),
                ("http://127.0.0.1:80@evil.example/jwks", false),
            ] {
                let provider = format!(
                    "[[sign_in.oidc]]\nprovider = \"p\"\nissuer = \"i\"\naudiences = [\"a\"]\njwks_url = \"{url}\"\n"
                );
                jail.create_file("g.toml", &provider)?;
                assert_eq!(Config::load(Some(Path::new("g.toml"))).is_ok(), ok, "{url}");
            }
            jail.create_file("e.toml", "[jobs]\naction_log_keep_days = 89\n")?;
            let short = Config::load(Some(Path::new("e.toml"))).expect_err("below the legal minimum");
            assert!(short.to_string().contains("action_log_keep_days"), "{short}");
            jail.create_file("f.toml", "[jobs]\naction_log_keep_days = 90\n")?;
            assert!(Config::load(Some(Path::new("f.toml"))).is_ok());
            jail.create_file("j.toml", "[jobs]\ndeletion_grace_secs = 59\n")?;
            let no_grace = Config::load(Some(Path::new("j.toml"))).expect_err("no time to cancel");
            assert!(no_grace.to_string().contains("deletion_grace_secs"), "{no_grace}");
            jail.create_file("k.toml", "[jobs]\ndeletion_grace_secs = 60\nbot_scores_timeout_secs = 7200\n")?;
            assert!(Config::load(Some(Path::new("k.toml"))).is_ok());
            // Peers cannot reach "0.0.0.0": a node listening everywhere must say where it is.
            let everywhere = "[cluster]\nsecret = \"a-secret-of-the-cluster\"\ninternal_listen = \"0.0.0.0:7070\"\n";
            jail.create_file("h.toml", everywhere)?;
            let unreachable = Config::load(Some(Path::new("h.toml"))).expect_err("no advertised address");
            assert!(unreachable.to_string().contains("cluster.advertise"), "{unreachable}");
            jail.create_file("i.toml", &format!("{everywhere}advertise = \"10.0.0.11:7070\"\n"))?;
            assert!(Config::load(Some(Path::new("i.toml"))).is_ok());
            Ok(())
        });
    }
}
