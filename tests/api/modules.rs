//! No module of `src/` imports another that (through others) imports it:
//! the layers stay layers. Reads the sources as text: every `crate::…` and
//! `super::…` path (braced groups expanded, test modules left out) is an
//! edge to the longest module it names; edges between a module and its own
//! ancestors or descendants are how Rust nests modules, not imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn module_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            module_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `api/customers/mod.rs` → `api::customers`; `lib.rs` → ``.
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

/// The paths of a `use` tree after `crate::` or `super::`: `a::b`, or a
/// braced group `{a, b::{c, d}}` expanded.
fn expand(text: &str) -> Vec<String> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('{') {
        let mut depth = 0;
        let mut items = vec![];
        let mut current = String::new();
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        items.push(current);
        return items.iter().flat_map(|item| expand(item)).collect();
    }
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{')).unwrap_or(text.len());
    let path = &text[..end];
    match path.find("::{") {
        Some(at) => expand(&text[at + 2..]).into_iter().map(|rest| format!("{}::{rest}", &path[..at])).collect(),
        None => vec![path.trim_end_matches(':').to_string()],
    }
}

/// Every path the source names after `marker` (`crate::` or `super::`).
fn paths_after(source: &str, marker: &str) -> Vec<String> {
    source
        .match_indices(marker)
        .filter(|(at, _)| {
            // `crate::` and `$crate::`, not `mycrate::`.
            source[..*at].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        })
        .flat_map(|(at, _)| expand(&source[at + marker.len()..]))
        .collect()
}

fn related(a: &str, b: &str) -> bool {
    a == b || a.is_empty() || b.is_empty() || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
}

#[test]
fn no_module_imports_another_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    module_files(&src, &mut files);
    let modules: BTreeMap<String, String> = files
        .iter()
        .map(|path| {
            let source = std::fs::read_to_string(path).unwrap();
            // Unit tests may reach anywhere; they come last in a file.
            let source = source.split("#[cfg(test)]\nmod tests").next().unwrap_or_default().to_string();
            (module_of(path.strip_prefix(&src).unwrap()), source)
        })
        .collect();
    let resolve = |path: &str| -> Option<String> {
        let segments: Vec<&str> = path.split("::").collect();
        (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|m| modules.contains_key(m))
    };
    let mut edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (module, source) in &modules {
        let parent = module.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default();
        let from_super = paths_after(source, "super::")
            .into_iter()
            .map(|p| if parent.is_empty() { p } else { format!("{parent}::{p}") });
        for target in paths_after(source, "crate::").into_iter().chain(from_super).filter_map(|p| resolve(&p)) {
            if !related(module, &target) {
                edges.entry(module).or_default().insert(target);
            }
        }
    }
    // A circle is a path back to where it started.
    let mut circles = BTreeSet::new();
    for start in edges.keys() {
        let mut stack = vec![(start.to_string(), vec![start.to_string()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(at.as_str()).into_iter().flatten() {
                if next == start {
                    let mut circle = path.clone();
                    let first = circle.iter().enumerate().min_by_key(|(_, m)| m.as_str()).map_or(0, |(i, _)| i);
                    circle.rotate_left(first);
                    circles.insert(circle.join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "modules importing each other in a circle:\n{}",
        circles.into_iter().collect::<Vec<_>>().join("\n")
    );
    // The statistics know nothing of HTTP: their handlers are in the api layer.
    let http: Vec<&String> = modules
        .iter()
        .filter(|(m, source)| m.starts_with("stats") && source.contains("actix_"))
        .map(|(m, _)| m)
        .collect();
    assert!(http.is_empty(), "statistics modules importing actix: {http:?}");
    // The reading itself works: known edges are found.
    assert!(edges["startup"].contains("observe") && edges["api::bulk"].contains("api::extract"), "{edges:?}");
}

#[test]
fn use_trees_expand() {
    assert_eq!(expand("{db, openapi::{a, b}, x::y}; more"), ["db", "openapi::a", "openapi::b", "x::y"]);
    assert_eq!(
        expand("auth::extractor::{LookedUpKey, api_key_secret};"),
        ["auth::extractor::LookedUpKey", "auth::extractor::api_key_secret"]
    );
    assert_eq!(expand("error::AppError::validation(x)"), ["error::AppError::validation"]);
}
