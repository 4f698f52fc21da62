//! Logs: one JSON line per request with operation, user, seq, status and duration, and
//! never a session token.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{TestServer, config, logged_in};
use summoner::config::{LogConfig, LogFormat};
use summoner_actors::ManualClock;
use summoner_proto::api::{ExploreReq, request::Payload};
use tracing_subscriber::fmt::MakeWriter;

/// Collects everything logged, from every thread.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[actix_web::test]
async fn requests_are_logged_with_their_fields_and_without_tokens() {
    let capture = Capture::default();
    let log = LogConfig { format: LogFormat::Json, filter: "trace".into() };
    summoner::telemetry::init_with_writer(&log, capture.clone());

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(dir.path()), Arc::new(ManualClock::new())).await;
    let (mut client, user_id) = logged_in(&server, "dev-log").await;
    let answer = client.call(Payload::Explore(ExploreReq {})).await.unwrap();
    assert!(answer.is_ok());
    let token = client.token().to_vec();
    server.stop().await;

    let text = String::from_utf8(capture.0.lock().unwrap().clone()).expect("logs are UTF-8");
    let explore_line = text
        .lines()
        .find(|l| l.contains(r#""op":"Explore""#) && l.contains(r#""status":200"#))
        .expect("a request line for Explore");
    assert!(explore_line.contains(&format!(r#""user.id":{user_id}"#)), "{explore_line}");
    assert!(explore_line.contains(r#""seq":1"#), "{explore_line}");
    assert!(explore_line.contains(r#""duration_ms":"#), "{explore_line}");
    assert!(text.contains(r#""op":"Login""#));

    let hex: String = token.iter().map(|b| format!("{b:02x}")).collect();
    let debug_bytes = format!("{:?}", &token[..6]).trim_end_matches(']').to_owned();
    assert!(!text.contains(&hex), "the token appears in hex");
    assert!(!text.to_uppercase().contains(&hex.to_uppercase()), "the token appears in hex");
    assert!(!text.contains(&debug_bytes), "the token appears as a byte list");
}
