//! Rate limits of the public API, checked in memory: Register and Login per client address
//! before any store call; every request per user, once its session names the user (from
//! memory when the user's actor is live, so a live user over the limit costs no database or
//! cache call; a retired user's token costs one look-up first); and session look-ups
//! outside the server's memory per client address, before the look-up (so a flood of
//! made-up tokens costs at most that many reads). IPv6 clients are limited by their /64.
//! GCRA buckets from `governor`.
//!
//! The client address is the TCP peer's, unless that peer is a configured trusted proxy:
//! then the nearest address of `X-Forwarded-For` that is not itself a trusted proxy.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use ipnet::IpNet;
use summoner_actors::UserId;

use crate::config::RateLimitsConfig;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// The key an address is limited by: itself, or for IPv6 its /64 (one subscriber's prefix:
/// a client rotating through its own addresses is one client).
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

/// Every rate limit: the public API's, and the admin page's sign-in.
pub struct RateLimits {
    sign_in: Option<Keyed<IpAddr>>,
    users: Option<Keyed<UserId>>,
    lookups: Option<Keyed<IpAddr>>,
    admin_sign_in: Option<Keyed<IpAddr>>,
    /// Addresses whose wrong admin bearer tokens ran out of tries, until when.
    admin_blocked: std::sync::Mutex<std::collections::HashMap<IpAddr, std::time::Instant>>,
    trusted: Vec<IpNet>,
    clock: DefaultClock,
}

fn per_minute_limit<K: Hash + Eq + Clone>(rate: u32, burst: u32) -> Option<Keyed<K>> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(RateLimiter::hashmap(Quota::per_minute(rate).allow_burst(burst)))
}

impl RateLimits {
    /// The limits `config` sets.
    pub fn new(config: &RateLimitsConfig) -> Self {
        Self {
            sign_in: per_minute_limit(config.sign_in_per_minute, config.sign_in_per_minute),
            users: per_minute_limit(config.session_per_minute, config.session_burst),
            lookups: per_minute_limit(config.session_lookups_per_minute, config.session_lookups_per_minute),
            admin_sign_in: per_minute_limit(config.admin_sign_in_per_minute, config.admin_sign_in_per_minute),
            admin_blocked: Default::default(),
            trusted: config.trusted_proxies.clone(),
            clock: DefaultClock::default(),
        }
    }

    fn check<K: Hash + Eq + Clone>(&self, limiter: &Option<Keyed<K>>, key: &K) -> Result<(), Duration> {
        match limiter {
            Some(limiter) => limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.clock.now())),
            None => Ok(()),
        }
    }

    /// A Register or Login from `client`; Err: how long to wait.
    pub fn sign_in(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        client.map_or(Ok(()), |ip| self.check(&self.sign_in, &address_key(ip)))
    }

    /// A request of `user` (whatever session it comes with: a new login is no new budget).
    pub fn user(&self, user: UserId) -> Result<(), Duration> {
        self.check(&self.users, &user)
    }

    /// A sign-in at the admin page from `client` (a token cannot be guessed at speed).
    pub fn admin_sign_in(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        client.map_or(Ok(()), |ip| self.check(&self.admin_sign_in, &address_key(ip)))
    }

    /// Whether an admin request with a bearer token from `client` may be checked at all: not
    /// while its wrong tokens are over the sign-in tries (Err: how long to wait).
    pub fn admin_bearer_allowed(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let Some(ip) = client else { return Ok(()) };
        let blocked = self.admin_blocked.lock().unwrap_or_else(|p| p.into_inner());
        match blocked.get(&address_key(ip)) {
            Some(until) => until.checked_duration_since(std::time::Instant::now()).map_or(Ok(()), Err),
            None => Ok(()),
        }
    }

    /// A wrong admin bearer token from `client`: one of its sign-in tries (shared with the
    /// page's form). Past them the address is refused every bearer request until the wait is
    /// over (Err: how long).
    pub fn admin_bearer_wrong(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let Some(ip) = client else { return Ok(()) };
        let key = address_key(ip);
        self.check(&self.admin_sign_in, &key).inspect_err(|wait| {
            let until = std::time::Instant::now() + *wait;
            self.admin_blocked.lock().unwrap_or_else(|p| p.into_inner()).insert(key, until);
        })
    }

    /// A session look-up outside memory (cache, then database) for `client`.
    pub fn lookup(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        client.map_or(Ok(()), |ip| self.check(&self.lookups, &address_key(ip)))
    }

    /// Forgets buckets that are full again, so memory follows the clients of the last
    /// minute, not every client ever seen.
    pub fn forget_idle(&self) {
        for limiter in [&self.sign_in, &self.lookups, &self.admin_sign_in].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let now = std::time::Instant::now();
        self.admin_blocked.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, until| *until > now);
        if let Some(users) = &self.users {
            users.retain_recent();
            users.shrink_to_fit();
        }
    }

    /// The client's address: the peer's, or through trusted proxies, the nearest untrusted
    /// address they forwarded for.
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        // A listener on [::] sees IPv4 peers as ::ffff:a.b.c.d.
        let peer = req.peer_addr().map(|a| a.ip().to_canonical())?;
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok().map(|ip| ip.to_canonical()))
            .collect();
        // Right to left: each hop appends the address it got the request from.
        Some(forwarded.into_iter().rev().find(|ip| !self.is_trusted(*ip)).unwrap_or(peer))
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn limits(trusted: &[&str]) -> RateLimits {
        RateLimits::new(&RateLimitsConfig {
            sign_in_per_minute: 2,
            trusted_proxies: trusted.iter().map(|t| t.parse().unwrap()).collect(),
            ..RateLimitsConfig::default()
        })
    }

    #[test]
    fn forwarded_addresses_count_only_through_trusted_proxies() {
        let limits = limits(&["10.0.0.0/8"]);
        let spoofed = TestRequest::default()
            .peer_addr("203.0.113.9:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "198.51.100.1"))
            .to_http_request();
        assert_eq!(limits.client_address(&spoofed), Some("203.0.113.9".parse().unwrap()));
        let proxied = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "192.0.2.7, 198.51.100.1, 10.0.0.3"))
            .to_http_request();
        assert_eq!(limits.client_address(&proxied), Some("198.51.100.1".parse().unwrap()));
        let garbage = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "not an address"))
            .to_http_request();
        assert_eq!(limits.client_address(&garbage), Some("10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn each_address_has_its_own_bucket_and_the_wait_is_told() {
        let limits = limits(&[]);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(limits.sign_in(Some(a)).is_ok() && limits.sign_in(Some(a)).is_ok());
        let wait = limits.sign_in(Some(a)).expect_err("the third in a minute is refused");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30), "{wait:?}");
        assert!(limits.sign_in(Some(b)).is_ok(), "another address is not held back");
        let off = RateLimits::new(&RateLimitsConfig { sign_in_per_minute: 0, ..RateLimitsConfig::default() });
        assert!((0..100).all(|_| off.sign_in(Some(a)).is_ok()));
    }

    #[test]
    fn an_ipv6_subscriber_is_one_client_and_mapped_ipv4_is_ipv4() {
        let limits = limits(&["127.0.0.1/32"]);
        let (one, two): (IpAddr, IpAddr) =
            ("2001:db8:1:2::1".parse().unwrap(), "2001:db8:1:2:ffff::9".parse().unwrap());
        assert!(limits.sign_in(Some(one)).is_ok() && limits.sign_in(Some(two)).is_ok());
        assert!(limits.sign_in(Some(one)).is_err(), "the same /64 shares its bucket");
        assert!(limits.sign_in(Some("2001:db8:1:3::1".parse().unwrap())).is_ok(), "another /64 does not");
        // A listener on [::] sees the trusted IPv4 proxy as ::ffff:127.0.0.1.
        let mapped = TestRequest::default()
            .peer_addr("[::ffff:127.0.0.1]:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "198.51.100.1"))
            .to_http_request();
        assert_eq!(limits.client_address(&mapped), Some("198.51.100.1".parse().unwrap()));
    }

    #[test]
    fn a_user_has_one_budget_whatever_the_session() {
        let limits = RateLimits::new(&RateLimitsConfig {
            session_per_minute: 60,
            session_burst: 2,
            ..RateLimitsConfig::default()
        });
        assert!(limits.user(7).is_ok() && limits.user(7).is_ok());
        assert!(limits.user(7).is_err());
        assert!(limits.user(8).is_ok(), "another user is not held back");
    }
}
