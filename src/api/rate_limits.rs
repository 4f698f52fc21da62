//! Rate limits of the public API, checked in memory before a request costs a database or
//! cache call: Register and Login per client address, every request per session (one per
//! user), and session look-ups outside the server's memory per client address (so a flood
//! of made-up tokens costs at most that many reads). GCRA buckets from `governor`.
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
use summoner_actors::TokenHash;

use crate::config::RateLimitsConfig;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Every limit of the public API.
pub struct RateLimits {
    sign_in: Option<Keyed<IpAddr>>,
    sessions: Option<Keyed<TokenHash>>,
    lookups: Option<Keyed<IpAddr>>,
    trusted: Vec<IpNet>,
    clock: DefaultClock,
}

fn per_minute<K: Hash + Eq + Clone>(rate: u32, burst: u32) -> Option<Keyed<K>> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(RateLimiter::hashmap(Quota::per_minute(rate).allow_burst(burst)))
}

impl RateLimits {
    /// The limits `config` sets.
    pub fn new(config: &RateLimitsConfig) -> Self {
        Self {
            sign_in: per_minute(config.sign_in_per_minute, config.sign_in_per_minute),
            sessions: per_minute(config.session_per_minute, config.session_burst),
            lookups: per_minute(config.session_lookups_per_minute, config.session_lookups_per_minute),
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
        client.map_or(Ok(()), |ip| self.check(&self.sign_in, &ip))
    }

    /// A request of the session `token`.
    pub fn session(&self, token: &TokenHash) -> Result<(), Duration> {
        self.check(&self.sessions, token)
    }

    /// A session look-up outside memory (cache, then database) for `client`.
    pub fn lookup(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        client.map_or(Ok(()), |ip| self.check(&self.lookups, &ip))
    }

    /// Forgets buckets that are full again, so memory follows the clients of the last
    /// minute, not every client ever seen.
    pub fn forget_idle(&self) {
        for limiter in [&self.sign_in, &self.lookups].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(sessions) = &self.sessions {
            sessions.retain_recent();
            sessions.shrink_to_fit();
        }
    }

    /// The client's address: the peer's, or through trusted proxies, the nearest untrusted
    /// address they forwarded for.
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip())?;
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
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
}
