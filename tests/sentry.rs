//! Error reporting: with a Sentry DSN, a handler panic and the 500 it causes reach Sentry,
//! without the session token. Alone in its own test binary: the Sentry client and the log
//! subscriber are global to the process. Sentry here is a stand-in HTTP endpoint.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use common::{TestServer, assert_status, config, logged_in};
use summoner::config::{LogConfig, SentryConfig};
use summoner_actors::ManualClock;
use summoner_proto::api::{DebugPanicReq, ErrorCode, request::Payload};

/// Accepts Sentry envelope uploads and hands each body to the test.
fn fake_sentry() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("fake Sentry binds");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    (port, rx)
}

#[actix_web::test]
async fn panics_and_500s_reach_sentry_without_tokens() {
    let (port, envelopes) = fake_sentry();
    let sentry = SentryConfig { dsn: format!("http://public@127.0.0.1:{port}/1"), environment: "test".into() };
    let _guard = summoner::telemetry::init_sentry(&sentry).expect("a valid DSN starts Sentry");
    summoner::telemetry::init(&LogConfig::default());

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(dir.path()), Arc::new(ManualClock::new())).await;
    let (mut client, _) = logged_in(&server, "dev-sentry").await;
    let answer = client.call(Payload::DebugPanic(DebugPanicReq {})).await.unwrap();
    assert_status(&answer, 500, ErrorCode::Internal);
    let token: String = client.token().iter().map(|b| format!("{b:02x}")).collect();
    server.stop().await;

    let mut seen = String::new();
    while !(seen.contains("DebugPanic requested") && seen.contains("request failed")) {
        match envelopes.recv_timeout(Duration::from_secs(30)) {
            Ok(body) => seen.push_str(&body),
            Err(_) => panic!("Sentry did not receive the panic and the 500; got: {seen}"),
        }
    }
    assert!(seen.contains("\"environment\":\"test\""), "{seen}");
    assert!(!seen.contains(&token), "the session token reached Sentry");
}
