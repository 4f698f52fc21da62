//! A database outage: requests that need the database fail with a retryable 500 within
//! the timeout (never hang), requests served from actor state go on, and the server
//! recovers by itself when the database returns. The outage is a TCP proxy between the
//! server and the database that the test cuts and restores.

#[macro_use]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{TestServer, assert_status, logged_in};
use summoner_actors::ManualClock;
use summoner_proto::api::{ErrorCode, ExploreReq, GetUserReq, request::Payload, response};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// Forwards connections to `target` while up; when cut, drops them all and refuses new ones.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let port = listener.local_addr().expect("address").port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        actix_web::rt::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let target = target.clone();
                let link = actix_web::rt::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                links2.lock().await.push(link);
            }
        });
        Self { port, up, links }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, path) = rest.split_once('/').expect("a database path");
    let (credentials, host) = authority.rsplit_once('@').map_or(("", authority), |(c, h)| (c, h));
    let at = if credentials.is_empty() { String::new() } else { format!("{credentials}@") };
    (format!("{scheme}://{at}127.0.0.1:{port}/{path}"), host.to_owned())
}

on_every_backend! {
    async fn a_database_outage_fails_fast_and_recovers(config) {
        let mut config = config;
        if config.storage.common().starts_with("sqlite:") {
            return; // an embedded database has no network to lose
        }
        let (_, target) = through(&config.storage.common(), 0);
        let proxy = Proxy::start(target).await;
        // mysql_async would switch to the server's Unix socket and bypass the proxy.
        let via = |url: String| {
            let url = through(&url, proxy.port).0;
            if url.starts_with("mysql:") { format!("{url}?prefer_socket=false") } else { url }
        };
        config.storage.common_url = via(config.storage.common());
        config.storage.clan_url = via(config.storage.clan());
        config.storage.game_shards = config.storage.game().into_iter().map(via).collect();
        config.storage.log_shards = config.storage.log().into_iter().map(via).collect();
        config.storage.timeout_ms = 1_000;
        let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
        let (mut client, _) = logged_in(&server, "dev-outage").await;
        let before = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&before, 200, ErrorCode::Ok);
        let Some(response::Payload::Explore(e)) = before.response.payload else { panic!("no payload") };
        let acked_gold = e.user.map_or(0, |u| u.gold);

        let ready = reqwest::get(format!("{}/readyz", server.admin_url)).await.unwrap();
        assert_eq!(ready.status().as_u16(), 200);
        proxy.cut().await;
        let started = Instant::now();
        let failed = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
        assert_status(&failed, 500, ErrorCode::Internal);
        assert!(started.elapsed() < Duration::from_secs(10), "a database outage must not hang requests");
        let seq = client.last_seq();
        // Served from the actor's state: no database needed.
        let read = client.send(seq + 1, Payload::GetUser(GetUserReq {})).await.unwrap();
        assert_status(&read, 200, ErrorCode::Ok);

        let ready = reqwest::get(format!("{}/readyz", server.admin_url)).await.unwrap();
        assert_eq!(ready.status().as_u16(), 503, "not ready while the database is away");
        assert!(reqwest::get(format!("{}/healthz", server.url)).await.unwrap().status().is_success());
        proxy.restore();
        // The client retries the failed request with its seq, as the protocol says, until
        // the server has reconnected.
        let mut attempts = 0;
        let retried = loop {
            attempts += 1;
            let answer = client.send(seq + 2, Payload::Explore(ExploreReq {})).await.unwrap();
            if answer.status == 200 || attempts == 50 {
                break answer;
            }
        };
        assert_status(&retried, 200, ErrorCode::Ok);
        let Some(response::Payload::Explore(e)) = retried.response.payload else { panic!("no payload") };
        assert_eq!(e.user.map_or(0, |u| u.gold), acked_gold + u64::from(e.gold_gained), "the failed request applied nothing");
        server.stop().await;
    }
}
