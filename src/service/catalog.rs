//! The game-data version in force, swapped atomically at run time.
//!
//! Each request takes the current version once (an `Arc`) and keeps it to the end, so an
//! in-flight request finishes on the version it started with and no request ever sees a
//! half-loaded one. A new version is fully read and checked before the swap; one that fails
//! is refused and the old one keeps serving.
//!
//! Every version put in force is also kept by version, in memory and in the archive folder
//! (`gamedata.archive`, one folder `v<N>` of compiled files per version), so a summon drawn
//! under an older version replays on the tables it was drawn with.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use tokio::sync::watch;

use crate::game::data::{DataError, GameData};
use summoner_proto::files::{self, GAMEDATA_FILE, archived};

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// A new version is in force.
    Swapped { from: u32, to: u32, content_hash: String },
    /// The folder holds the version already in force.
    Unchanged { version: u32 },
}

/// Why a reload was refused (the version in force is unchanged).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("no game-data folder is configured (gamedata.dir)")]
    NoFolder,
    /// The folder holds no compiled build: the server runs the one inside its binary.
    #[error(
        "{0} holds no compiled build ({GAMEDATA_FILE}): the build shipped inside the binary stays in force; \
         compile one there (summoner-gdata build) to reload"
    )]
    NoBuild(PathBuf),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("version {offered} is older than version {current} in force")]
    Older { current: u32, offered: u32 },
    #[error("version {0} is already in force with other content; give the new build a new version")]
    VersionReused(u32),
    #[error("the archive holds other content for version {0}; give the new build a new version")]
    Archived(u32),
}

/// The current game data and where new versions come from.
pub struct Catalog {
    current: ArcSwap<GameData>,
    folder: Option<PathBuf>,
    /// One reload at a time: two racing reloads must not both pass the version check.
    reloading: Mutex<()>,
    /// The version in force, for whoever waits for a reload.
    version: watch::Sender<u32>,
    /// Every version seen, by number.
    versions: Mutex<HashMap<u32, Arc<GameData>>>,
    archive: Option<PathBuf>,
}

impl Catalog {
    /// A catalog serving `initial`, reloading from `folder`.
    pub fn new(initial: GameData, folder: Option<PathBuf>) -> Self {
        let version = watch::Sender::new(initial.version);
        let initial = Arc::new(initial);
        let versions = Mutex::new(HashMap::from([(initial.version, initial.clone())]));
        Self { current: ArcSwap::new(initial), folder, reloading: Mutex::new(()), version, versions, archive: None }
    }

    /// Keeps every version put in force in `archive` too (and finds old ones there). Refused
    /// when the archive holds other content under the version in force: summons drawn under
    /// that version could no longer be replayed.
    pub fn with_archive(mut self, archive: PathBuf) -> Result<Self, ReloadError> {
        self.archive = Some(archive);
        self.archive_version(&self.current())?;
        Ok(self)
    }

    /// Keeps `data` in the archive: refused when the archive holds other content under its
    /// version; written when it holds none (best effort: a failed write is logged, and the
    /// version stays in memory). One read of the archived files either way.
    fn archive_version(&self, data: &GameData) -> Result<(), ReloadError> {
        let Some(archive) = &self.archive else { return Ok(()) };
        let dir = archived(archive, data.version);
        match files::read(&dir) {
            Ok(kept) if kept.data.content_hash != data.content_hash => Err(ReloadError::Archived(data.version)),
            Ok(_) => Ok(()),
            Err(_) => {
                if let Err(e) = files::write(&dir, &data.content) {
                    tracing::warn!(version = data.version, error = %e, "game-data version not archived");
                }
                Ok(())
            }
        }
    }

    /// Game-data version `version`: one this process loaded, else the archive's.
    pub fn version(&self, version: u32) -> Result<Arc<GameData>, DataError> {
        if let Some(data) = lock(&self.versions).get(&version) {
            return Ok(data.clone());
        }
        let Some(archive) = &self.archive else {
            return Err(DataError::Invalid { version, message: "not loaded and no archive is configured".into() });
        };
        let data = Arc::new(GameData::load(&archived(archive, version))?);
        if data.version != version {
            return Err(DataError::Invalid { version, message: format!("the archive holds version {}", data.version) });
        }
        lock(&self.versions).insert(version, data.clone());
        Ok(data)
    }

    /// Follows the version in force.
    pub fn subscribe(&self) -> watch::Receiver<u32> {
        self.version.subscribe()
    }

    /// The version in force.
    pub fn current(&self) -> Arc<GameData> {
        self.current.load_full()
    }

    /// Loads the folder's build and puts it in force if it is newer. The one reload of
    /// `POST /admin/gamedata/reload` and of SIGHUP alike (counted by outcome in
    /// `gamedata_reloads_total`): on the embedded default, with no build in the folder, both
    /// refuse with [`ReloadError::NoBuild`] and the embedded build keeps serving.
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        let outcome = self.reload_from_folder();
        let said = match &outcome {
            Ok(Reloaded::Swapped { .. }) => "swapped",
            Ok(Reloaded::Unchanged { .. }) => "unchanged",
            Err(_) => "refused",
        };
        crate::metrics::METRICS.gamedata_reloads.with_label_values(&[said]).inc();
        outcome
    }

    fn reload_from_folder(&self) -> Result<Reloaded, ReloadError> {
        let folder = self.folder.as_ref().ok_or(ReloadError::NoFolder)?;
        if !folder.join(GAMEDATA_FILE).exists() {
            return Err(ReloadError::NoBuild(folder.clone()));
        }
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let offered = GameData::load(folder)?;
        let current = self.current();
        if offered.version < current.version {
            return Err(ReloadError::Older { current: current.version, offered: offered.version });
        }
        if offered.version == current.version {
            if offered.content_hash == current.content_hash {
                return Ok(Reloaded::Unchanged { version: current.version });
            }
            return Err(ReloadError::VersionReused(current.version));
        }
        self.archive_version(&offered)?;
        let swapped = Reloaded::Swapped {
            from: current.version,
            to: offered.version,
            content_hash: offered.content_hash.clone(),
        };
        let to = offered.version;
        let offered = Arc::new(offered);
        lock(&self.versions).insert(to, offered.clone());
        self.current.store(offered);
        self.version.send_replace(to);
        tracing::info!(?swapped, "game data reloaded");
        Ok(swapped)
    }
}
