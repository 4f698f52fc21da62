//! Reads the import graph of the server's source and checks it against layer rules: which
//! top-level module may name which, no cycle between them, and what each binary may name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::{TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::Visit;

/// The crate root itself, named by a glob or an alias (`use crate::*`, `use crate as x`).
const ROOT: &str = "<crate root>";

/// Which top-level module may use which (`"*"`: any), with the rule's words, and what each
/// binary may name (module path prefixes such as `service::audit`).
pub struct Rules {
    pub modules: &'static [(&'static str, &'static [&'static str], &'static str)],
    pub binaries: &'static [(&'static str, &'static [&'static str])],
    /// Outside crates only some modules may name (`actix_web`: the transports), with why.
    pub crates: &'static [(&'static str, &'static [&'static str], &'static str)],
}

/// One path of one file that names another module, or (with `to` empty) the file itself,
/// so a module with no edges is still seen.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The file, relative to `src/`.
    pub file: String,
    pub line: usize,
    /// The file's top-level module (`main.rs` and `bin/...` for binaries).
    pub from: String,
    /// The module path named, from the crate root (`service::audit::Reader`); empty for the
    /// file's own marker.
    pub to: Vec<String>,
    /// An outside crate named instead (`actix_web`), when `to` is empty.
    pub krate: Option<String>,
}

/// The edges of every `.rs` file under `src`.
pub fn edges_of_tree(src: &Path) -> Vec<Edge> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir).expect("src reads").flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
                let source = std::fs::read_to_string(&path).expect("the file reads");
                out.extend(edges_of_source(&relative, &source));
            }
        }
    }
    out
}

/// The module path of the file at `relative` (to `src/`): `service/backend.rs` is
/// `service::backend`, `game/mod.rs` is `game`, `lib.rs` the root.
fn module_of(relative: &str) -> Vec<String> {
    let trimmed = relative.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The edges of one file's source.
pub fn edges_of_source(relative: &str, source: &str) -> Vec<Edge> {
    let binary = relative == "main.rs" || relative.starts_with("bin/");
    let from = if binary { relative.to_owned() } else { module_of(relative).first().cloned().unwrap_or_default() };
    let file = syn::parse_file(source).unwrap_or_else(|e| panic!("src/{relative} does not parse: {e}"));
    let module = if binary { Vec::new() } else { module_of(relative) };
    let mut visitor = Paths { module, found: Vec::new(), crates: Vec::new(), binary, reexports: Vec::new() };
    visitor.visit_file(&file);
    let mut edges = vec![Edge { file: relative.to_owned(), line: 1, from: from.clone(), to: Vec::new(), krate: None }];
    for (line, to) in visitor.found {
        edges.push(Edge { file: relative.to_owned(), line, from: from.clone(), to, krate: None });
    }
    for (line, path) in visitor.reexports {
        let mut to = vec!["pub use".to_owned()];
        to.extend(path);
        edges.push(Edge { file: relative.to_owned(), line, from: from.clone(), to, krate: None });
    }
    for (line, krate) in visitor.crates {
        edges.push(Edge { file: relative.to_owned(), line, from: from.clone(), to: Vec::new(), krate: Some(krate) });
    }
    edges
}

/// Collects the crate-rooted paths a file names, resolving `super` and `self` against the
/// module the path stands in (inline `mod` blocks included).
struct Paths {
    module: Vec<String>,
    found: Vec<(usize, Vec<String>)>,
    /// The first segment of every other path: outside crates (and local names).
    crates: Vec<(usize, String)>,
    /// A binary names the server library as `summoner::`, as the crate root.
    binary: bool,
    /// `pub use` of crate paths: (line, path).
    reexports: Vec<(usize, Vec<String>)>,
}

impl Paths {
    /// `segments` as a path from the crate root, if it starts with `crate`, `super` or `self`.
    fn resolve(&self, segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut base = match first.as_str() {
            "crate" => return Some(segments[1..].to_vec()),
            "summoner" if self.binary => return Some(segments[1..].to_vec()),
            "super" | "self" => self.module.clone(),
            _ => return None,
        };
        let mut rest = segments;
        while let Some(head) = rest.first() {
            match head.as_str() {
                "super" => {
                    base.pop();
                }
                "self" => {}
                _ => break,
            }
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn note(&mut self, line: usize, segments: &[String]) {
        match self.resolve(segments) {
            Some(path) if path.is_empty() => self.found.push((line, vec![ROOT.to_owned()])),
            Some(path) => self.found.push((line, path)),
            None if segments.len() > 1 => self.crates.push((line, segments[0].clone())),
            None => {}
        }
    }

    /// `use` trees: every leaf path, prefixes joined.
    fn use_tree(&mut self, line: usize, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(line, prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.note(line, &prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.note(line, &prefix.clone());
                prefix.pop();
            }
            syn::UseTree::Glob(_) => self.note(line, &prefix.clone()),
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(line, prefix, item);
                }
            }
        }
    }

    /// Paths written inside a macro call's tokens (`tracing::info!(x = %crate::a::B)`).
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => self.tokens(g.stream()),
                TokenTree::Ident(id) if ["crate", "super"].contains(&id.to_string().as_str()) => {
                    let line = id.span().start().line;
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    while j + 2 < trees.len() + 1 {
                        let colons = matches!((&trees.get(j), &trees.get(j + 1)),
                            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':');
                        match (colons, trees.get(j + 2)) {
                            (true, Some(TokenTree::Ident(next))) => {
                                segments.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    if segments.len() > 1 {
                        self.note(line, &segments);
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let line = item.span().start().line;
        let before = self.found.len();
        self.use_tree(line, &mut Vec::new(), &item.tree);
        if !matches!(item.vis, syn::Visibility::Inherited) {
            let found: Vec<_> = self.found[before..].to_vec();
            self.reexports.extend(found);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.note(path.span().start().line, &segments);
        syn::visit::visit_path(self, path);
    }

    /// `pub(crate)` and `pub(super)` name a scope, not an item.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }
}

/// Every broken rule, one line each, naming the file, the line and the rule.
pub fn check(rules: &Rules, edges: &[Edge]) -> Vec<String> {
    let known: BTreeMap<&str, (&[&str], &str)> =
        rules.modules.iter().map(|(name, allowed, why)| (*name, (*allowed, *why))).collect();
    let modules: BTreeSet<&str> = known.keys().copied().collect();
    let mut problems = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut unknown = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for edge in edges {
        if let Some(krate) = &edge.krate {
            let rule = rules.crates.iter().find(|(name, _, _)| name == krate);
            if let Some((_, allowed, why)) = rule
                && !allowed.contains(&edge.from.as_str())
                && !rules.binaries.iter().any(|(b, _)| *b == edge.from)
                && reported.insert((edge.file.clone(), edge.line, krate.clone()))
            {
                problems.push(format!("src/{}:{}: `{}` names `{krate}`: {why}", edge.file, edge.line, edge.from));
            }
            continue;
        }
        if let Some((_, allowed)) = rules.binaries.iter().find(|(name, _)| *name == edge.from) {
            let Some(first) = edge.to.first() else { continue };
            if !modules.contains(first.as_str()) {
                continue;
            }
            let named = edge.to.join("::");
            if !allowed.iter().any(|prefix| named == *prefix || named.starts_with(&format!("{prefix}::"))) {
                problems.push(format!(
                    "src/{}:{}: the binary names `{named}`; it may use only {allowed:?} (tools use a narrow library interface)",
                    edge.file, edge.line
                ));
            }
            continue;
        }
        if edge.from.is_empty() || edge.from == "lib.rs" {
            continue;
        }
        let Some((allowed, why)) = known.get(edge.from.as_str()) else {
            unknown.insert(edge.from.clone());
            continue;
        };
        if edge.to.first().is_some_and(|t| t == "pub use") {
            let target = &edge.to[1..];
            if target.first().is_some_and(|t| t != &edge.from && modules.contains(t.as_str())) {
                problems.push(format!(
                    "src/{}:{}: `{}` re-exports `{}`: a layer's items are named where they live, not passed on",
                    edge.file,
                    edge.line,
                    edge.from,
                    target.join("::")
                ));
            }
            continue;
        }
        let Some(to) = edge.to.first() else { continue };
        if to == ROOT {
            // A glob or an alias of the crate root would hide every path after it.
            problems.push(format!("src/{}:{}: `{}` imports the crate root itself", edge.file, edge.line, edge.from));
            continue;
        }
        // Names at the root that are not modules (exported macros) are no layer.
        if to == &edge.from || !modules.contains(to.as_str()) {
            continue;
        }
        let named = edge.to.join("::");
        if allowed.iter().any(|a| a.contains("::") && (named == *a || named.starts_with(&format!("{a}::")))) {
            graph.entry(edge.from.clone()).or_default().insert(to.clone());
            continue;
        }
        graph.entry(edge.from.clone()).or_default().insert(to.clone());
        let broken = !allowed.contains(&"*") && !allowed.contains(&to.as_str());
        if broken && reported.insert((edge.file.clone(), edge.line, to.clone())) {
            problems.push(format!(
                "src/{}:{}: `{}` uses `{}`, which the rule forbids: {why} ({} may use {allowed:?})",
                edge.file,
                edge.line,
                edge.from,
                edge.to.join("::"),
                edge.from
            ));
        }
    }
    for module in unknown {
        problems.push(format!("src/{module}: a top-level module with no rule; add it to the layer rules"));
    }
    if let Some(cycle) = find_cycle(&graph) {
        problems.push(format!("a cycle between top-level modules: {}", cycle.join(" → ")));
    }
    problems
}

/// A cycle of the module graph, as the modules it passes (the first again at the end).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn walk(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = walk(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|start| walk(start, graph, &mut Vec::new(), &mut done))
}

/// Where a file names an HTTP error status (`StatusCode::NOT_FOUND`, `HttpResponse::BadRequest`
/// ...) outside its `#[cfg(test)]` modules: (file, line, what).
pub fn error_statuses(relative: &str, source: &str) -> Vec<(String, usize, String)> {
    struct Sites {
        found: Vec<(usize, String)>,
    }
    impl<'ast> Visit<'ast> for Sites {
        fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
            let test_only = item.attrs.iter().any(|a| {
                a.path().is_ident("cfg") && a.meta.require_list().is_ok_and(|l| l.tokens.to_string() == "test")
            });
            if !test_only {
                syn::visit::visit_item_mod(self, item);
            }
        }
        fn visit_path(&mut self, path: &'ast syn::Path) {
            let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            if let [.., kind, name] = names.as_slice() {
                let status =
                    kind == "StatusCode" && !["OK", "SEE_OTHER", "PERMANENT_REDIRECT"].contains(&name.as_str());
                let built = kind == "HttpResponse"
                    && !["Ok", "NoContent", "SeeOther", "PermanentRedirect", "build"].contains(&name.as_str());
                if status || built {
                    self.found.push((path.span().start().line, format!("{kind}::{name}")));
                }
            }
            syn::visit::visit_path(self, path);
        }
    }
    let file = syn::parse_file(source).unwrap_or_else(|e| panic!("src/{relative} does not parse: {e}"));
    let mut sites = Sites { found: Vec::new() };
    sites.visit_file(&file);
    sites.found.into_iter().map(|(line, what)| (relative.to_owned(), line, what)).collect()
}
