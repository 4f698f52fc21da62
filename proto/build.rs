//! Compiles the .proto files beside this script with protox (pure Rust, no system protoc),
//! and writes the list of operations: one per field of `Request`'s `payload` oneof, so the
//! server, the bots and the tests name operations from the one place that defines them.

use std::fmt::Write as _;
use std::path::PathBuf;

use prost_types::FileDescriptorSet;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let files = ["api.proto", "gamedata.proto", "cache.proto", "social.proto"].map(|f| dir.join(f));
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [&dir])?;
    std::fs::write(out.join("operations.rs"), operations(&descriptors)?)?;
    prost_build::Config::new()
        // Game data is diffed as a tree of values (`summoner-gdata diff`); serde gives that tree.
        .type_attribute(".summoner.gamedata", "#[derive(serde::Serialize, serde::Deserialize)]")
        .btree_map([".summoner.gamedata.Strings.entries"])
        .compile_fds(descriptors)?;
    Ok(())
}

/// `CamelCase` of a snake_case field name, as prost names the oneof's variants.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The source of `Operation`, `OPERATIONS` and `request::Payload::operation`.
fn operations(set: &FileDescriptorSet) -> Result<String, Box<dyn std::error::Error>> {
    let request = set
        .file
        .iter()
        .filter(|f| f.package() == "summoner.api")
        .flat_map(|f| &f.message_type)
        .find(|m| m.name() == "Request")
        .ok_or("api.proto has no Request message")?;
    let payload =
        request.oneof_decl.iter().position(|o| o.name() == "payload").ok_or("Request has no payload oneof")?;
    let fields: Vec<_> =
        request.field.iter().filter(|f| f.oneof_index == Some(payload as i32)).map(|f| f.name().to_owned()).collect();
    let mut src = String::new();
    writeln!(src, "/// Every operation of `Request.payload`, in the order of `proto/api.proto`.")?;
    writeln!(src, "pub const OPERATIONS: &[Operation] = &[")?;
    for field in &fields {
        writeln!(src, "    Operation {{ name: {:?}, field: {:?} }},", camel(field), field)?;
    }
    writeln!(src, "];\n")?;
    writeln!(src, "impl request::Payload {{")?;
    writeln!(src, "    /// The operation this payload asks for.")?;
    writeln!(src, "    pub fn operation(&self) -> &'static Operation {{")?;
    writeln!(src, "        match self {{")?;
    for (i, field) in fields.iter().enumerate() {
        writeln!(src, "            Self::{}(_) => &OPERATIONS[{i}],", camel(field))?;
    }
    writeln!(src, "        }}\n    }}\n}}")?;
    Ok(src)
}
