//! SIGHUP reloads game data. Alone in its own test binary: the signal goes to the whole
//! process, and would reload every other test's server too.

mod common;

use std::sync::Arc;

use common::sheets::write_version;
use common::{TestServer, config};
use summoner_actors::ManualClock;

/// SIGHUP reloads like the admin endpoint.
#[actix_web::test]
async fn sighup_reloads_game_data() {
    let data_dir = tempfile::tempdir().unwrap();
    let gamedata_dir = tempfile::tempdir().unwrap();
    write_version(gamedata_dir.path(), 2, 1000, 7);
    let mut config = config(data_dir.path());
    config.gamedata.dir = gamedata_dir.path().to_path_buf();
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    assert_eq!(server.running.catalog.current().version, 2);
    write_version(gamedata_dir.path(), 3, 2000, 8);
    let mut versions = server.running.catalog.subscribe();
    let status = std::process::Command::new("kill").arg("-HUP").arg(std::process::id().to_string()).status().unwrap();
    assert!(status.success());
    let reloaded = tokio::time::timeout(std::time::Duration::from_secs(30), versions.wait_for(|v| *v == 3)).await;
    assert!(reloaded.is_ok(), "SIGHUP did not reload");
    assert_eq!(server.running.catalog.current().version, 3);
    server.stop().await;
}
