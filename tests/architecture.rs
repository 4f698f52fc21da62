//! The layers, enforced: every `crate::` and `super::` path of the server's source (uses,
//! expressions, types, and paths inside macro calls) is an edge from the file's top-level
//! module to another's, and [`RULES`] says which edges may exist. A forbidden edge fails
//! with the file, the line and the rule it breaks; so does a cycle between top-level
//! modules, a top-level module the rules do not know, and a tool crate that depends on the
//! server. The checker's own tests feed it bad sources and see it fail.
//!
//! Why a test and not a crate per layer: the tools already are crates (`tools/`,
//! `client/`, their manifests name no server crate); splitting the server itself into a crate
//! per layer would turn every `pub(crate)` into public API and lengthen the build's critical
//! path on two cores, for the same guarantee this test gives in a second.

#[path = "architecture/layers.rs"]
mod layers;

use std::path::Path;

use layers::{Edge, Rules, check, edges_of_tree};

/// What each top-level module of `src/` may use of the others. Everything not listed is
/// forbidden; a module missing from this table fails the test.
const RULES: Rules = Rules {
    modules: &[
        // Ids and the metrics registry: leaves any layer may use.
        ("ids", &[], "ids are minted from nothing but the clock and the node id"),
        ("urls", &[], "URL redaction is a leaf"),
        ("metrics", &[], "the metrics registry is layer-neutral: any layer counts into it, the transport serves it"),
        ("allocations", &[], "the allocation counter wraps the global allocator and knows nothing else"),
        // Storage knows rows and tables, never game, transport or accounts.
        ("storage", &["ids", "metrics", "urls"], "storage knows rows, not game, transport or accounts"),
        // The cache knows keys and bytes.
        ("cache", &["metrics", "urls"], "the cache knows keys and bytes"),
        // The game is pure: rules, handlers, the rows its entities map to.
        ("game", &["storage"], "the game knows no transport, service, cache or global counter"),
        ("config", &["ids", "storage", "urls"], "configuration is plain settings (storage for its URL rules)"),
        ("telemetry", &["config"], "telemetry only reads its settings"),
        ("cli", &[], "the command line only parses arguments"),
        ("service", &["game", "storage", "cache", "ids", "metrics", "config"], "the service core knows no transport"),
        (
            "jobs",
            &["service", "game", "storage", "cache", "ids", "metrics", "config"],
            "scheduled jobs call the service core and storage, never a transport",
        ),
        (
            "api",
            &["service", "game", "metrics", "config", "urls"],
            "the public transport reaches storage through the service",
        ),
        (
            "admin",
            &[
                "api",
                "service",
                "game",
                "jobs",
                "metrics",
                "allocations",
                "config",
                "urls",
                "storage::queue_gauge::QueueView",
            ],
            "the admin transport calls the service, never storage (but for the shards' queue view) or the wiring",
        ),
        ("health", &["api", "service"], "health probes ask the service to ping its stores"),
        ("server", &["*"], "the server wires every layer"),
    ],
    // The binaries of `src/bin/` and `src/main.rs`: what each may name (a module path prefix).
    binaries: &[
        (
            "main.rs",
            &[
                "allocations",
                "cli",
                "config",
                "server",
                "telemetry",
                "service::open",
                "storage::db_store::migrate_all",
                "urls",
            ],
        ),
        ("bin/summoner-audit.rs", &["config", "telemetry", "service::audit", "service::battle_audit"]),
    ],
    crates: &[(
        "actix_web",
        &["api", "admin", "health", "server"],
        "HTTP is the transports' business: the service, the game and storage know no HTTP",
    )],
};

#[test]
fn the_server_keeps_its_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges: Vec<Edge> = edges_of_tree(&src);
    assert!(edges.len() > 100, "the checker read the source ({} edges)", edges.len());
    let problems = check(&RULES, &edges);
    assert!(problems.is_empty(), "the layers are broken:\n{}", problems.join("\n"));
}

/// The files that turn failures into HTTP statuses: the two error policies, and the answers
/// of their own the admin page's sign-in form and the readiness probes give.
const STATUS_FILES: [&str; 4] = ["api/error.rs", "admin/error.rs", "admin/page.rs", "health.rs"];

#[test]
fn errors_become_statuses_only_in_the_transports_policies() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stray = Vec::new();
    let mut seen = 0;
    for edge in edges_of_tree(&src).iter().filter(|e| e.to.is_empty() && e.krate.is_none()) {
        let source = std::fs::read_to_string(src.join(&edge.file)).expect("reads");
        let sites = layers::error_statuses(&edge.file, &source);
        seen += sites.len();
        if !STATUS_FILES.contains(&edge.file.as_str()) {
            stray.extend(sites.into_iter().map(|(file, line, what)| format!("src/{file}:{line}: {what}")));
        }
    }
    assert!(seen > 5, "the error policies were read");
    assert!(stray.is_empty(), "an error status made outside api/error.rs and admin/error.rs:\n{}", stray.join("\n"));
}

/// The server crate named as a dependency anywhere in `table` (any kind of dependency,
/// under any target, renamed or by path): the keys and tables that name it.
fn names_the_server(table: &toml::Table, at: &str, found: &mut Vec<String>) {
    for (key, value) in table {
        let here = format!("{at}.{key}");
        if let Some(inner) = value.as_table() {
            let renamed = inner.get("package").and_then(|p| p.as_str()) == Some("summoner");
            let by_path = inner.get("path").and_then(|p| p.as_str()).is_some_and(|p| {
                let p = p.trim_end_matches('/');
                p == ".." || p == "../.." || p.is_empty()
            });
            if (at.contains("dependencies") && (key == "summoner" || renamed || by_path)) || renamed {
                found.push(here.clone());
            }
            names_the_server(inner, &here, found);
        } else if at.contains("dependencies") && key == "summoner" {
            found.push(here);
        }
    }
}

#[test]
fn the_tools_do_not_link_the_server() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for manifest in ["tools/bots/Cargo.toml", "tools/gdata/Cargo.toml", "client/Cargo.toml"] {
        let text = std::fs::read_to_string(root.join(manifest)).expect("the manifest reads");
        let parsed: toml::Table = toml::from_str(&text).expect("the manifest parses");
        let mut found = Vec::new();
        names_the_server(&parsed, "", &mut found);
        assert!(
            found.is_empty(),
            "{manifest} depends on the server ({found:?}): tools use summoner-proto and summoner-client"
        );
    }
    let mut found = Vec::new();
    names_the_server(
        &toml::from_str("[dev-dependencies]\nx = { package = \"summoner\", path = \"../..\" }").unwrap(),
        "",
        &mut found,
    );
    assert_eq!(found.len(), 1, "a renamed dependency is found: {found:?}");
}

mod checker {
    //! The checker itself, on sources made to break it.

    use super::layers::{Rules, check, edges_of_source};

    const SMALL: Rules = Rules {
        modules: &[
            ("storage", &["ids"], "storage knows rows"),
            ("ids", &[], "ids are leaves"),
            ("game", &["storage"], "the game is pure"),
        ],
        binaries: &[],
        crates: &[("actix_web", &["api"], "HTTP is the transport's")],
    };

    fn problems(files: &[(&str, &str)]) -> Vec<String> {
        let edges = files.iter().flat_map(|(path, source)| edges_of_source(path, source)).collect::<Vec<_>>();
        check(&SMALL, &edges)
    }

    #[test]
    fn a_forbidden_import_names_the_file_the_line_and_the_rule() {
        let bad = "use crate::ids::Id;\n\nuse crate::game::Thing;\n";
        let found = problems(&[("storage/rows.rs", bad)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("src/storage/rows.rs:3")
                && found[0].contains("game")
                && found[0].contains("storage knows rows"),
            "{found:?}"
        );
    }

    #[test]
    fn super_paths_nested_groups_and_macro_bodies_are_edges_too() {
        let grouped = "use crate::{ids::Id, game::{a, b}};";
        assert_eq!(problems(&[("storage/a.rs", grouped)]).len(), 1);
        // `super` from a module's own file reaches the root: `super::game` is the game.
        let up = "fn f() { let _ = super::game::x(); }";
        assert_eq!(problems(&[("storage/mod.rs", up)]).len(), 1);
        let in_macro = "fn f() { tracing::info!(x = %crate::game::NAME); }";
        assert_eq!(problems(&[("storage/b.rs", in_macro)]).len(), 1);
        let inline = "mod tests { use super::super::super::game::x; }";
        assert_eq!(problems(&[("storage/c.rs", inline)]).len(), 1);
    }

    #[test]
    fn allowed_edges_and_paths_within_a_module_pass() {
        let fine = "use crate::ids::Id; use super::rows::Row; use self::x::Y; fn f() { crate::storage::g(); }";
        assert!(problems(&[("storage/d.rs", fine)]).is_empty());
        assert!(problems(&[("game/e.rs", "use crate::storage::rows::Row;")]).is_empty());
    }

    #[test]
    fn a_cycle_between_modules_fails_even_where_each_edge_is_allowed() {
        const LOOSE: Rules = Rules {
            modules: &[("a", &["b"], "a may use b"), ("b", &["a"], "b may use a")],
            binaries: &[],
            crates: &[],
        };
        let edges: Vec<_> = [("a/x.rs", "use crate::b::Y;"), ("b/y.rs", "use crate::a::X;")]
            .iter()
            .flat_map(|(p, s)| edges_of_source(p, s))
            .collect();
        let found = check(&LOOSE, &edges);
        assert!(found.iter().any(|p| p.contains("cycle") && p.contains("a → b → a")), "{found:?}");
    }

    #[test]
    fn a_crate_reserved_to_the_transport_is_refused_elsewhere() {
        let found = problems(&[("game/f.rs", "fn f() -> actix_web::HttpResponse { todo!() }")]);
        assert!(found.iter().any(|p| p.contains("src/game/f.rs:1") && p.contains("actix_web")), "{found:?}");
    }

    #[test]
    fn an_error_status_is_found_outside_test_modules_only() {
        let source = "fn f() { let _ = StatusCode::NOT_FOUND; let _ = HttpResponse::Ok(); }\n\
                      #[cfg(test)] mod tests { fn g() { let _ = StatusCode::BAD_REQUEST; } }";
        let found = super::layers::error_statuses("game/g.rs", source);
        assert_eq!(found, vec![("game/g.rs".to_owned(), 1, "StatusCode::NOT_FOUND".to_owned())]);
    }

    #[test]
    fn a_binary_names_the_library_only_through_its_narrow_interface() {
        const TOOLS: Rules = Rules {
            modules: &[("storage", &[], "storage knows rows"), ("service", &["storage"], "the core")],
            binaries: &[("bin/tool.rs", &["service::audit"])],
            crates: &[],
        };
        let fine = edges_of_source("bin/tool.rs", "use summoner::service::audit::Reader;");
        assert!(check(&TOOLS, &fine).is_empty());
        let bad = edges_of_source("bin/tool.rs", "fn main() { let _ = summoner::storage::db::Db::open(); }");
        let found = check(&TOOLS, &bad);
        assert!(found.iter().any(|p| p.contains("src/bin/tool.rs:1") && p.contains("storage::db::Db")), "{found:?}");
    }

    #[test]
    fn a_glob_of_the_root_and_a_re_export_of_another_layer_are_refused() {
        let glob = problems(&[("storage/g.rs", "use crate::*;")]);
        assert!(glob.iter().any(|p| p.contains("imports the crate root")), "{glob:?}");
        let laundered = problems(&[("game/h.rs", "pub use crate::storage::rows::Row;")]);
        assert!(laundered.iter().any(|p| p.contains("re-exports `storage::rows::Row`")), "{laundered:?}");
    }

    #[test]
    fn a_module_the_rules_do_not_know_fails() {
        let found = problems(&[("newthing.rs", "use crate::ids::Id;")]);
        assert!(found.iter().any(|p| p.contains("newthing") && p.contains("no rule")), "{found:?}");
    }
}

/// ARCHITECTURE.md's section titled `title`, up to the next `## `.
fn section<'a>(doc: &'a str, title: &str) -> &'a str {
    let start = doc.find(&format!("\n## {title}\n")).unwrap_or_else(|| panic!("ARCHITECTURE.md has no {title}"));
    let rest = &doc[start + title.len() + 5..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The backticked words of `text` that name a path of the repository.
fn paths_in(text: &str) -> Vec<&str> {
    let path = |w: &&str| w.contains('/') && !w.starts_with('/') && !w.contains(' ') && !w.contains('<');
    text.split('`').skip(1).step_by(2).filter(path).collect()
}

/// Every `.rs` file of the workspace's sources, relative to the repository.
fn sources(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> =
        ["src", "actors/src", "proto/src", "client/src", "tools/bots/src", "tools/gdata/src"]
            .iter()
            .map(|d| root.join(d))
            .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the folder reads").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(root).expect("in the repository").to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_code_map_names_every_module_and_only_what_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md reads");
    let map = section(&doc, "Code map");
    let rows: Vec<&str> = map.lines().filter(|l| l.starts_with("| `")).collect();
    let mut problems = Vec::new();
    for file in sources(root) {
        let (dir, name) = file.rsplit_once('/').expect("in a folder");
        let named = rows.iter().any(|row| {
            row.contains(&format!("`{file}`"))
                || (row.contains(&format!("`{dir}/`")) && row.contains(&format!("`{name}`")))
        });
        if !named {
            problems.push(format!("{file} is not on the code map"));
        }
    }
    for path in paths_in(map) {
        if !root.join(path.trim_end_matches('/')).exists() {
            problems.push(format!("the code map names {path}, which does not exist"));
        }
    }
    assert!(problems.is_empty(), "ARCHITECTURE.md's code map is stale:\n{}", problems.join("\n"));
}

#[test]
fn every_invariant_says_what_checks_it_and_that_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md reads");
    let invariants: Vec<&str> = section(&doc, "Invariants").split("\n- **").skip(1).collect();
    assert!(invariants.len() >= 10, "the invariants were read");
    let mut problems = Vec::new();
    for invariant in invariants {
        let title = invariant.split("**").next().unwrap_or_default();
        let Some((_, checked)) = invariant.split_once("*Checked by") else {
            problems.push(format!("{title}: no 'Checked by'"));
            continue;
        };
        let named = paths_in(checked);
        if named.is_empty() && !checked.contains("crate graph") {
            problems.push(format!("{title}: names no test"));
        }
        for path in named {
            if !root.join(path).exists() {
                problems.push(format!("{title}: {path} does not exist"));
            }
        }
    }
    assert!(problems.is_empty(), "ARCHITECTURE.md's invariants:\n{}", problems.join("\n"));
}
