//! The compiled game-data files: `gamedata.pb` and one `string.LANG.pb` per language,
//! written all or nothing, and read back with their content hashes checked. The compiler
//! writes them, the server reads them (at start, at a reload, from its archive), and a
//! client ships them.

use std::fs;
use std::path::{Path, PathBuf};

use prost::Message;
use sha2::{Digest, Sha256};

use crate::gamedata::{GameData, Strings};

/// One compiled version: the data and its strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub data: GameData,
    /// One per language, ordered by language code.
    pub strings: Vec<Strings>,
}

/// The archive folder of `version` under `archive` (every version put in force is kept there
/// by number, so old summons can be replayed on their own tables).
pub fn archived(archive: &Path, version: u32) -> PathBuf {
    archive.join(format!("v{version}"))
}

/// The hash of the content: the message encoded with version 0 and no hash.
pub fn content_hash_of_data(data: &GameData) -> String {
    let bare = GameData { version: 0, content_hash: String::new(), ..data.clone() };
    hex::encode(Sha256::digest(bare.encode_to_vec()))
}

/// The hash of one language's strings, computed like [`content_hash_of_data`].
pub fn content_hash_of_strings(strings: &Strings) -> String {
    let bare = Strings { version: 0, content_hash: String::new(), ..strings.clone() };
    hex::encode(Sha256::digest(bare.encode_to_vec()))
}

/// The main data file's name.
pub const GAMEDATA_FILE: &str = "gamedata.pb";

/// The strings file of `language`.
pub fn strings_file(language: &str) -> String {
    format!("string.{language}.pb")
}

/// Compiled files could not be read or are not a consistent set.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not compiled game data: {1}")]
    Decode(PathBuf, prost::DecodeError),
    #[error("{0} is corrupt: its content does not match its hash")]
    HashMismatch(PathBuf),
    #[error("{0} has version {1}, but {GAMEDATA_FILE} has version {2}")]
    VersionMismatch(PathBuf, u32, u32),
    #[error("{0} holds no strings files (string.LANG.pb)")]
    NoStrings(PathBuf),
}

/// Writes every file of `compiled` into `dir`: each to a temporary name first, then all
/// renamed, so a reader never sees a half-written file. Returns the paths written.
pub fn write(dir: &Path, compiled: &Compiled) -> Result<Vec<PathBuf>, FilesError> {
    fs::create_dir_all(dir).map_err(|e| FilesError::Io(dir.to_path_buf(), e))?;
    let mut files = vec![(dir.join(GAMEDATA_FILE), compiled.data.encode_to_vec())];
    for strings in &compiled.strings {
        files.push((dir.join(strings_file(&strings.language)), strings.encode_to_vec()));
    }
    for (path, bytes) in &files {
        let tmp = path.with_extension("pb.tmp");
        fs::write(&tmp, bytes).map_err(|e| FilesError::Io(tmp.clone(), e))?;
    }
    for (path, _) in &files {
        fs::rename(path.with_extension("pb.tmp"), path).map_err(|e| FilesError::Io(path.clone(), e))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Decodes and checks the main data file's bytes.
pub fn decode_data(path: &Path, bytes: &[u8]) -> Result<GameData, FilesError> {
    let data = GameData::decode(bytes).map_err(|e| FilesError::Decode(path.to_path_buf(), e))?;
    if content_hash_of_data(&data) != data.content_hash {
        return Err(FilesError::HashMismatch(path.to_path_buf()));
    }
    Ok(data)
}

/// Decodes and checks a strings file's bytes.
pub fn decode_strings(path: &Path, bytes: &[u8]) -> Result<Strings, FilesError> {
    let strings = Strings::decode(bytes).map_err(|e| FilesError::Decode(path.to_path_buf(), e))?;
    if content_hash_of_strings(&strings) != strings.content_hash {
        return Err(FilesError::HashMismatch(path.to_path_buf()));
    }
    Ok(strings)
}

/// Reads a compiled set from `dir`.
pub fn read(dir: &Path) -> Result<Compiled, FilesError> {
    let path = dir.join(GAMEDATA_FILE);
    let bytes = fs::read(&path).map_err(|e| FilesError::Io(path.clone(), e))?;
    let data = decode_data(&path, &bytes)?;
    let mut strings = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| FilesError::Io(dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| FilesError::Io(dir.to_path_buf(), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("string.") && name.ends_with(".pb") {
            let path = entry.path();
            let bytes = fs::read(&path).map_err(|e| FilesError::Io(path.clone(), e))?;
            let s = decode_strings(&path, &bytes)?;
            if s.version != data.version {
                return Err(FilesError::VersionMismatch(path, s.version, data.version));
            }
            strings.push(s);
        }
    }
    if strings.is_empty() {
        return Err(FilesError::NoStrings(dir.to_path_buf()));
    }
    strings.sort_by(|a, b| a.language.cmp(&b.language));
    Ok(Compiled { data, strings })
}
