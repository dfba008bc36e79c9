//! The library's layers only point down: `domain` ← the adapters over AWS (`store`,
//! `events`, `mail`, `exports`) ← `usecases` ← `http` ← `app`/`runtime` (what a
//! function's `main` calls). A module that names a layer above its own, or beside it,
//! fails here with the file and the line.

use std::path::{Path, PathBuf};

/// Each top-level module and the modules it may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("domain", &["error"]),
    ("config", &["error"]),
    ("telemetry", &[]),
    ("store", &["domain", "error"]),
    ("events", &["domain", "error"]),
    ("mail", &["domain", "error"]),
    ("exports", &["domain", "error"]),
    ("usecases", &["domain", "error", "store", "events", "mail", "exports"]),
    ("http", &["domain", "error", "store", "mail", "usecases"]),
];

const MODULES: &[&str] = &[
    "error",
    "domain",
    "config",
    "telemetry",
    "store",
    "events",
    "mail",
    "exports",
    "usecases",
    "http",
    "app",
    "runtime",
];

/// The lines of `text` (a file of `module`) that name a module it may not.
fn violations(module: &str, text: &str) -> Vec<String> {
    let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == module) else { return Vec::new() };
    let mut wrong = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for named in MODULES {
            let mention = format!("crate::{named}");
            let names_it = line.match_indices(&mention).any(|(at, _)| {
                !line[at + mention.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if names_it && *named != module && !allowed.contains(named) {
                wrong.push(format!("{}: {module} names {named}", number + 1));
            }
        }
    }
    wrong
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_module_names_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 50, "found the sources");
    let mut wrong = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let module = first.trim_end_matches(".rs");
        let text = std::fs::read_to_string(&file).unwrap();
        wrong.extend(violations(module, &text).into_iter().map(|v| format!("{}:{v}", file.display())));
    }
    assert!(wrong.is_empty(), "imports that point up or sideways:\n{}", wrong.join("\n"));
}

#[test]
fn an_upward_or_sideways_import_is_caught() {
    assert_eq!(violations("store", "use crate::usecases::Context;"), ["1: store names usecases"]);
    assert_eq!(
        violations("usecases", "x\nlet p = crate::http::pagination::x();"),
        ["2: usecases names http"]
    );
    assert_eq!(violations("mail", "use crate::store::DynamoStore;"), ["1: mail names store"]);
    assert!(violations("usecases", "use crate::store::DynamoStore; use crate::domain::Org;").is_empty());
    // A longer name that only starts like a module is not that module.
    assert!(violations("store", "use crate::domainx::Y; use crate::errors_of_http;").is_empty());
}
