//! Connection limits of the public listener, so one address cannot take what other clients
//! need: at most `limits.connections_per_address` open connections per client address (an
//! IPv6 client by its /64), a connection past that closed as soon as it is accepted; and at
//! most `limits.max_connections` in all (the listener stops accepting past it). Behind a
//! trusted proxy the proxy's connections carry many clients, so they are not capped; instead
//! each request counts against its forwarded client's cap while it runs. And at start the
//! process's soft limit of open descriptors is raised to its hard limit
//! ([`raise_descriptor_limit`]): the common default of 1,024 ran out under a flood of idle
//! connections, and every new client then waited.

use std::any::Any;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::dev::Extensions;
use ipnet::IpNet;

use crate::api::rate_limits::address_key;

/// Open connections (and, behind trusted proxies, requests) per client address.
pub struct ConnectionCaps {
    per_address: usize,
    trusted: Vec<IpNet>,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// A client address holds its cap already.
#[derive(Debug, PartialEq, Eq)]
pub struct OverCap;

/// One connection or request counted against its address; uncounted when dropped.
pub struct Counted {
    caps: Arc<ConnectionCaps>,
    key: IpAddr,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.caps.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

impl ConnectionCaps {
    /// At most `per_address` per client address (0: no cap); `trusted`: the proxies whose
    /// connections are not capped.
    pub fn new(per_address: usize, trusted: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self { per_address, trusted, open: Mutex::default() })
    }

    /// Counts one more for `ip`, or None when its address holds its cap already.
    pub fn count(self: &Arc<Self>, ip: IpAddr) -> Option<Counted> {
        let key = address_key(ip.to_canonical());
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(key).or_default();
        if self.per_address != 0 && *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(Counted { caps: self.clone(), key })
    }

    /// Whether `ip` is a trusted proxy (its connections are not capped).
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// Called by the listener for each connection it accepts: counts it against its peer's
    /// address for as long as it is open, or closes it at once when the address holds its cap.
    pub fn on_connect(self: &Arc<Self>, io: &dyn Any, ext: &mut Extensions) {
        let Some(stream) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else { return };
        let Ok(peer) = stream.peer_addr() else { return };
        if self.is_trusted(peer.ip()) {
            return;
        }
        match self.count(peer.ip()) {
            Some(counted) => {
                ext.insert(Arc::new(counted));
            }
            None => {
                crate::metrics::METRICS.connections_refused.inc();
                // Shut at once: the connection answers nothing and holds no descriptor for
                // long (the server drops it when it reads the end).
                let _ = socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Both);
            }
        }
    }

    /// Behind a trusted proxy (`peer`), counts the request against its forwarded client's cap
    /// while it runs: Ok(None) when not behind one, [`OverCap`] when that client holds its cap.
    pub fn count_request(
        self: &Arc<Self>,
        peer: Option<IpAddr>,
        client: Option<IpAddr>,
    ) -> Result<Option<Counted>, OverCap> {
        match (peer, client) {
            (Some(peer), Some(client)) if self.is_trusted(peer) && !self.is_trusted(client) => {
                self.count(client).map(Some).ok_or(OverCap)
            }
            _ => Ok(None),
        }
    }

    /// How many are counted for `ip`'s address now.
    pub fn open_for(&self, ip: IpAddr) -> usize {
        let key = address_key(ip.to_canonical());
        self.open.lock().unwrap_or_else(|p| p.into_inner()).get(&key).copied().unwrap_or(0)
    }
}

/// Raises the soft limit of open descriptors to the hard limit; logs both. A failure is
/// logged and start-up goes on (the limit stays what it was).
pub fn raise_descriptor_limit() {
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, hard)) if soft < hard => match rlimit::increase_nofile_limit(hard) {
            Ok(raised) => tracing::info!(soft.before = soft, soft.now = raised, hard, "open descriptors limit raised"),
            Err(e) => tracing::warn!(soft, hard, error = %e, "open descriptors limit not raised"),
        },
        Ok((soft, hard)) => tracing::info!(soft, hard, "open descriptors limit already at its hard limit"),
        Err(e) => tracing::warn!(error = %e, "open descriptors limit not read"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_its_cap_and_frees_a_place_when_one_closes() {
        let caps = ConnectionCaps::new(2, Vec::new());
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let first = caps.count(ip).expect("first");
        let _second = caps.count(ip).expect("second");
        assert!(caps.count(ip).is_none(), "a third is over the cap");
        assert!(caps.count("203.0.113.10".parse().unwrap()).is_some(), "another address has its own");
        drop(first);
        assert!(caps.count(ip).is_some(), "a place is free again");
        // An IPv6 client rotating through its /64 is one client.
        let v6 = |s: &str| s.parse::<IpAddr>().unwrap();
        let _a = caps.count(v6("2001:db8::1")).unwrap();
        let _b = caps.count(v6("2001:db8::2")).unwrap();
        assert!(caps.count(v6("2001:db8::ffff")).is_none());
    }

    #[test]
    fn behind_a_trusted_proxy_requests_count_against_the_forwarded_client() {
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let caps = ConnectionCaps::new(1, vec!["10.0.0.0/8".parse().unwrap()]);
        let client: IpAddr = "198.51.100.4".parse().unwrap();
        let held = caps.count_request(Some(proxy), Some(client)).expect("under the cap").expect("counted");
        assert!(caps.count_request(Some(proxy), Some(client)).is_err(), "the client holds its cap");
        assert!(caps.count_request(Some(proxy), Some("198.51.100.5".parse().unwrap())).is_ok());
        assert!(matches!(caps.count_request(Some(client), Some(client)), Ok(None)), "not behind a proxy");
        drop(held);
        assert_eq!(caps.open_for(client), 0);
    }
}
