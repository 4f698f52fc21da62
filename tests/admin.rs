//! The admin listener over real HTTP: what the public port no longer serves, the token, and
//! the operator's views of a live server.

mod common;

use std::sync::Arc;

use summoner_actors::ManualClock;

use common::{TestServer, config};

const ADMIN: &str = "admin-secret";

async fn start() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.admin.token = ADMIN.into();
    (TestServer::start(config, Arc::new(ManualClock::new())).await, dir)
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.expect("the server answers").status().as_u16()
}

#[actix_web::test]
async fn the_public_port_serves_the_api_and_probes_only() {
    let (server, _dir) = start().await;
    let http = reqwest::Client::new();
    for path in ["/metrics", "/admin/gamedata", "/admin/actors", "/admin/"] {
        assert_eq!(status(http.get(format!("{}{path}", server.url)).bearer_auth(ADMIN)).await, 404, "{path}");
    }
    assert_eq!(status(http.post(format!("{}/admin/actors/passivate", server.url)).bearer_auth(ADMIN)).await, 404);
    let ready = http.get(format!("{}/readyz", server.url)).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready\n");
    assert_eq!(status(http.get(format!("{}/healthz", server.url))).await, 200);

    // The admin listener: metrics and the detailed probe without a token, the rest with it.
    assert_eq!(status(http.get(format!("{}/metrics", server.admin_url))).await, 200);
    assert_eq!(status(http.get(format!("{}/readyz", server.admin_url))).await, 200);
    assert_eq!(status(http.get(format!("{}/admin/gamedata", server.admin_url))).await, 401);
    assert_eq!(status(http.get(format!("{}/admin/gamedata", server.admin_url)).bearer_auth("wrong")).await, 401);
    assert_eq!(status(http.get(format!("{}/admin/gamedata", server.admin_url)).bearer_auth(ADMIN)).await, 200);
    // The API is not served on the admin port.
    assert_eq!(status(http.post(format!("{}/api", server.admin_url)).body("x")).await, 404);
    server.stop().await;
}
