//! SIGHUP reloads game data. Alone in its own test binary: the signal goes to the whole
//! process, and would reload every other test's server too.

#[macro_use]
mod common;

use std::sync::Arc;

use common::TestServer;
use common::sheets::write_version;
use summoner_actors::ManualClock;

on_every_backend! {
    /// SIGHUP reloads like the admin endpoint.
    async fn sighup_reloads_game_data(config) {
        let gamedata_dir = tempfile::tempdir().unwrap();
        write_version(gamedata_dir.path(), 2, 1000, 7);
        let mut config = config.clone();
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
}
