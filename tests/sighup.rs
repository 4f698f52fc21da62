//! SIGHUP reloads game data, as the admin endpoint does. Alone in its own test binary: the
//! signal goes to the whole process, and would reload every other test's server too; the
//! tests here take turns for the same reason.

#[macro_use]
mod common;

use std::sync::Arc;

use common::TestServer;
use common::sheets::write_version;
use summoner::metrics::METRICS;
use summoner_actors::ManualClock;

/// One test sends signals at a time.
static SIGNALS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn hang_up() {
    let status = std::process::Command::new("kill").arg("-HUP").arg(std::process::id().to_string()).status().unwrap();
    assert!(status.success());
}

fn refused_reloads() -> u64 {
    METRICS.gamedata_reloads.with_label_values(&["refused"]).get()
}

/// On the embedded default (a folder with no compiled build), the endpoint and SIGHUP both
/// refuse alike, and the embedded build keeps serving.
#[actix_web::test]
async fn without_a_compiled_build_the_endpoint_and_sighup_both_refuse() {
    let _turn = SIGNALS.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(dir.path());
    config.gamedata.dir = dir.path().join("no-build");
    config.admin.token = "admin-token".into();
    let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
    let embedded = server.running.catalog.current().version;

    let before = refused_reloads();
    hang_up();
    let refused = async {
        while refused_reloads() == before {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), refused).await.expect("SIGHUP's reload was refused");
    assert_eq!(server.running.catalog.current().version, embedded);

    let answer = reqwest::Client::new()
        .post(format!("{}/admin/gamedata/reload", server.admin_url))
        .bearer_auth("admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 422);
    let said = answer.text().await.unwrap();
    assert!(said.contains("holds no compiled build") && said.contains("inside the binary stays in force"), "{said}");
    assert_eq!(server.running.catalog.current().version, embedded);
    server.stop().await;
}

on_every_backend! {
    /// SIGHUP reloads like the admin endpoint.
    async fn sighup_reloads_game_data(config) {
        let _turn = SIGNALS.lock().await;
        let gamedata_dir = tempfile::tempdir().unwrap();
        write_version(gamedata_dir.path(), 2, 1000, 7);
        let mut config = config.clone();
        config.gamedata.dir = gamedata_dir.path().to_path_buf();
        let server = TestServer::start(config, Arc::new(ManualClock::new())).await;
        assert_eq!(server.running.catalog.current().version, 2);
        write_version(gamedata_dir.path(), 3, 2000, 8);
        let mut versions = server.running.catalog.subscribe();
        hang_up();
        let reloaded = tokio::time::timeout(std::time::Duration::from_secs(30), versions.wait_for(|v| *v == 3)).await;
        assert!(reloaded.is_ok(), "SIGHUP did not reload");
        assert_eq!(server.running.catalog.current().version, 3);
        server.stop().await;
    }
}
