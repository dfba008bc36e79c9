//! The console's files, as CloudFront serves them deployed: `console/dist` (built by
//! `scripts/console.sh`), any path without a file extension answered with
//! `index.html` (the console routes in the browser), `/openapi.yaml` from the
//! repository, and `/config.json` telling the console to sign in with
//! `/local/token`. Every answer carries the console's strict Content-Security-Policy
//! (no inline script, nothing from another origin), the one the template's
//! CloudFront response headers policy sends.

use std::path::{Component, Path, PathBuf};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The console's policy; the template's `ConsoleHeadersPolicy` sends the same (plus
/// the Cognito domain in `connect-src`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Where the built console is: `PARTNER_HUB_CONSOLE_DIR`, else `console/dist` of this
/// repository.
pub fn dist_dir() -> PathBuf {
    std::env::var_os("PARTNER_HUB_CONSOLE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../console/dist"))
}

fn openapi_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml")
}

/// Paths that belong to the API (their 404 stays the API's JSON one).
fn is_api_path(path: &str) -> bool {
    ["/v1/", "/local/", "/invite/", "/admin-invitations/"].iter().any(|p| path.starts_with(p))
        || path == "/v1"
        || path == "/local"
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "yaml" | "yml" => "application/yaml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn with_headers(mut response: Response, cache: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert("content-security-policy", HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn file(path: &Path, status: StatusCode) -> Option<Response> {
    let bytes = std::fs::read(path).ok()?;
    let response = (status, [(header::CONTENT_TYPE, content_type(path))], bytes).into_response();
    Some(with_headers(response, "no-cache"))
}

/// The answer for a GET that no API route matched, or None to let the API's 404 stand.
pub fn serve(path: &str) -> Option<Response> {
    if is_api_path(path) {
        return None;
    }
    if path == "/config.json" {
        let body = r#"{"mode":"local","token_path":"/local/token"}"#;
        let response = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        return Some(with_headers(response, "no-store"));
    }
    if path == "/openapi.yaml" {
        if let Some(response) = file(&openapi_file(), StatusCode::OK) {
            return Some(response);
        }
    }
    let dist = dist_dir();
    let index = dist.join("index.html");
    if !index.exists() {
        let body = "<!doctype html><title>Console not built</title><h1>The console is not built</h1>\
                    <p>Run <code>scripts/console.sh build</code> (make run and make test do).</p>";
        let response =
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body)
                .into_response();
        return Some(with_headers(response, "no-store"));
    }
    let relative = Path::new(path.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return file(&index, StatusCode::OK);
    }
    let wanted = dist.join(relative);
    let wanted = if wanted.is_dir() { wanted.join("index.html") } else { wanted };
    if wanted.is_file() {
        return file(&wanted, StatusCode::OK);
    }
    if relative.extension().is_some() {
        let response =
            (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], "not found").into_response();
        return Some(with_headers(response, "no-store"));
    }
    // A console route (`/orgs/…`, `/sign-in`): the app decides what it shows.
    file(&index, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_keep_their_own_not_found() {
        assert!(serve("/v1/nothing").is_none());
        assert!(serve("/invite/x").is_none());
        assert!(serve("/admin-invitations/x").is_none());
        assert!(serve("/local/x").is_none());
    }

    #[test]
    fn the_local_config_signs_in_with_local_tokens() {
        let response = serve("/config.json").unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'"));
    }
}
