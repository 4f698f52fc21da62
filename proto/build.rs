//! Compiles the .proto files beside this script with protox (pure Rust, no system protoc).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let files = ["api.proto", "gamedata.proto", "cache.proto", "social.proto"].map(|f| dir.join(f));
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [&dir])?;
    prost_build::Config::new()
        // Game data is diffed as a tree of values (`summoner gdata diff`); serde gives that tree.
        .type_attribute(".summoner.gamedata", "#[derive(serde::Serialize, serde::Deserialize)]")
        .btree_map([".summoner.gamedata.Strings.entries"])
        .compile_fds(descriptors)?;
    Ok(())
}
