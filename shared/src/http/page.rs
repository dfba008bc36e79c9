//! The HTML pages the API itself serves (the links in emails: `/invite/{code}`,
//! `/admin-invitations/{token}`). A page's URL holds a capability, so it loads
//! nothing from anywhere else, sends no referrer, runs only its own inline script and
//! style (pinned by hash in its Content-Security-Policy) and escapes every string it
//! shows. Deployed, CloudFront serves these pages and the console from one origin, so
//! their "Sign in" goes to the console's `/sign-in` and the token comes back in the
//! tab's sessionStorage.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::http::ApiResponse;
use crate::mail::templates::escape_html;

/// The pages' one stylesheet.
pub const STYLE: &str = include_str!("page.css");

pub fn csp_hash(source: &str) -> String {
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(source.as_bytes())))
}

/// The policy of a page running `script` (if any) and the shared style.
pub fn content_security_policy(script: Option<&str>) -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        script.map_or_else(|| "'none'".to_string(), csp_hash),
        csp_hash(STYLE)
    )
}

/// JSON that is safe inside a `<script>` element: no `<`, `>` or `&` survive as such.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// A whole page: `main` is trusted markup (escape what goes into it), `script` the
/// page's code, given `config` as JSON in `<script id="config">`.
pub fn html_page(
    status: u16,
    title: &str,
    main: &str,
    script: Option<(&'static str, serde_json::Value)>,
) -> ApiResponse {
    let (tags, policy) = match &script {
        Some((code, config)) => (
            format!(
                "<script id=\"config\" type=\"application/json\">{}</script><script>{code}</script>",
                script_json(config)
            ),
            content_security_policy(Some(code)),
        ),
        None => (String::new(), content_security_policy(None)),
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{main}</main>{tags}</body></html>",
        escape_html(title)
    );
    ApiResponse::text(status, "text/html; charset=utf-8", body)
        .with_header("content-security-policy", policy.as_str())
        .with_header("referrer-policy", "no-referrer")
        .with_header("x-content-type-options", "nosniff")
        .with_header("x-frame-options", "DENY")
        .with_header("cache-control", "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let json = script_json(&serde_json::json!({"n": "</script><script>alert(1)</script>&"}));
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["n"], "</script><script>alert(1)</script>&");
    }

    #[test]
    fn the_policy_pins_the_inline_script_and_style() {
        let policy = content_security_policy(Some("x()"));
        assert!(policy.contains(&csp_hash("x()")) && policy.contains(&csp_hash(STYLE)));
        assert!(policy.contains("default-src 'none'"));
        assert!(content_security_policy(None).contains("script-src 'none'"));
    }
}
