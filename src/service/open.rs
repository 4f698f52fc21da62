//! Opening what the configuration names, for the server and for the tools beside it: the
//! store's settings and the game-data catalog with its archive.

use std::time::Duration;

use summoner_proto::files::GAMEDATA_FILE;

use crate::config::Config;
use crate::game::data::{DataError, GameData};
use crate::service::catalog::Catalog;
use crate::storage::db_store::DbStoreConfig;

/// The store settings of `config`.
pub fn store_config(config: &Config) -> DbStoreConfig {
    let storage = &config.storage;
    DbStoreConfig {
        common_url: storage.common(),
        clan_url: storage.clan(),
        game_urls: storage.game(),
        log_urls: storage.log(),
        shard_passwords: storage.shard_passwords.clone(),
        pool_size: storage.pool_size,
        timeout: Duration::from_millis(storage.timeout_ms),
        // The id this node claims at start replaces it (`crate::server`); readers mint nothing.
        node_id: storage.node_id.unwrap_or(0),
        batch_max_writes: storage.batch_max_writes,
        batch_delay: Duration::from_millis(storage.batch_delay_ms),
        batch_limit: Duration::from_millis(storage.timeout_ms) * 2,
        log_sweep: Duration::from_secs(storage.log_sweep_secs),
        // A node frozen in a transaction past its lease has lost its users to other nodes;
        // the database ends that transaction so they need not wait for its locks.
        idle_transaction_limit: Some(Duration::from_millis(config.cluster.lease_ms)),
        hook: None,
        rekey: Some(crate::service::tokens::DEVICE_REKEY),
        name_form: Some(crate::game::names::nfc),
        gated: false,
    }
}

/// The game data to start with: the configured folder's build if it has one (it must
/// load), else the build shipped in the binary; versions kept in the configured archive.
pub fn open_catalog(config: &Config) -> Result<Catalog, DataError> {
    let dir = &config.gamedata.dir;
    let data = if dir.join(GAMEDATA_FILE).is_file() {
        GameData::load(dir)?
    } else {
        tracing::info!(dir = %dir.display(), "no compiled game data there; using the build shipped in the binary");
        GameData::embedded()?
    };
    tracing::info!(version = data.version, content = %data.content_hash, "game data loaded");
    let version = data.version;
    Catalog::new(data, Some(dir.clone()))
        .with_archive(config.gamedata.archive.clone())
        .map_err(|e| DataError::Invalid { version, message: e.to_string() })
}
