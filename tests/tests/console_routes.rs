//! The console, the pages the API serves and the contract stay one set: every route
//! a page calls is in openapi.yaml, and every page the emails link to is a route of
//! the template.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "ts" || e == "tsx" || e == "js") {
            out.push(path);
        }
    }
}

/// `(METHOD, /path/{param})` of every operation in openapi.yaml.
fn contract() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap().to_uppercase();
            if ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method.as_str()) {
                out.insert((method, path.as_str().unwrap().to_string()));
            }
        }
    }
    out
}

/// Route keys the console names (`"GET /v1/orgs/{org_id}/customers"`), and the
/// calls of the pages' own scripts (`api("POST", "/v1/signup"…)`, `fetch(config.accept_path`
/// are the accept routes, checked by name below).
fn called_routes() -> Vec<(String, String, PathBuf)> {
    let mut sources = Vec::new();
    files(&root().join("console/src"), &mut sources);
    for page_script in ["functions/invite-link/src/accept.js", "functions/admins/src/admin_invitation.js"] {
        sources.push(root().join(page_script));
    }
    let mut out = Vec::new();
    for source in sources {
        let text = std::fs::read_to_string(&source).unwrap();
        for quote in ['"', '`'] {
            for piece in text.split(quote).skip(1).step_by(2) {
                let Some((method, path)) = piece.split_once(' ') else { continue };
                if ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method) && path.starts_with('/') {
                    out.push((method.to_string(), path.to_string(), source.clone()));
                }
            }
        }
        // The pages' scripts: api("GET", "/v1/me")
        for piece in text.split("api(\"").skip(1) {
            let method: String = piece.chars().take_while(|c| c.is_ascii_uppercase()).collect();
            let rest = &piece[method.len()..];
            if let Some(path) = rest.strip_prefix("\", \"").and_then(|r| r.split('"').next()) {
                out.push((method, path.to_string(), source.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_a_page_calls_is_in_openapi_yaml() {
    let contract = contract();
    let called = called_routes();
    assert!(called.len() > 25, "the console's route keys were found: {called:?}");
    let missing: Vec<_> = called
        .iter()
        .filter(|(method, path, _)| !contract.contains(&(method.clone(), path.clone())))
        .map(|(method, path, file)| format!("{method} {path} ({})", file.display()))
        .collect();
    assert!(missing.is_empty(), "pages call routes openapi.yaml lacks: {missing:#?}");
    // The pages' accept calls go through their config's paths: those routes exist too.
    for key in [("POST", "/v1/invite/{code}/accept"), ("POST", "/v1/admin-invitations/{token}/accept")] {
        assert!(contract.contains(&(key.0.to_string(), key.1.to_string())), "{key:?}");
    }
}

#[test]
fn the_pages_emails_link_to_are_public_routes_of_the_template_and_the_contract() {
    let template = partner_hub_tests::template();
    let routes: BTreeSet<String> =
        template.routes().iter().filter(|r| r.public).map(|r| r.route_key()).collect();
    for page in ["GET /invite/{code}", "GET /admin-invitations/{token}"] {
        assert!(routes.contains(page), "{page} is a public route of template.yaml");
        let (method, path) = page.split_once(' ').unwrap();
        assert!(contract().contains(&(method.to_string(), path.to_string())), "{page} is in openapi.yaml");
    }
}
