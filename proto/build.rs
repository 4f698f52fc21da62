//! Compiles the .proto files beside this script with protox (pure Rust, no system protoc).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let files = ["api.proto"].map(|f| dir.join(f));
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [&dir])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
