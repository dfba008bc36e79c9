//! The accept page a customer reaches from an invitation email. The code in its URL
//! is a capability, so the page loads nothing from anywhere else, sends no referrer,
//! runs only its own inline script (pinned by hash in the Content-Security-Policy)
//! and escapes every partner-supplied string.

use std::sync::LazyLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use partner_hub::config::Config;
use partner_hub::http::ApiResponse;
use partner_hub::mail::templates::escape_html;
use partner_hub::usecases::invitations::PublicInvitation;
use sha2::{Digest, Sha256};

const STYLE: &str = include_str!("accept.css");
const SCRIPT: &str = include_str!("accept.js");

fn csp_hash(source: &str) -> String {
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(source.as_bytes())))
}

static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
});

fn html(status: u16, title: &str, main: &str, config_json: Option<String>) -> ApiResponse {
    let config = config_json
        .map(|json| {
            format!(
                "<script id=\"config\" type=\"application/json\">{json}</script><script>{SCRIPT}</script>"
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{main}</main>{config}</body></html>",
        escape_html(title)
    );
    ApiResponse::text(status, "text/html; charset=utf-8", body)
        .with_header("content-security-policy", CONTENT_SECURITY_POLICY.as_str())
        .with_header("referrer-policy", "no-referrer")
        .with_header("x-content-type-options", "nosniff")
        .with_header("x-frame-options", "DENY")
}

/// JSON that is safe inside a `<script>` element: no `<`, `>` or `&` survive as such.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

pub fn accept_page(invitation: &PublicInvitation, config: &Config) -> ApiResponse {
    let partner = &invitation.partner;
    let badges: String = partner
        .programs
        .iter()
        .map(|p| format!("<span class=\"badge\" data-program=\"{0}\">{0}</span>", p.code()))
        .collect();
    let main = format!(
        "<h1>Connect to <span id=\"partner-name\">{name}</span></h1>\
         <p class=\"partner\">ORGID <span id=\"partner-org-id\">{id}</span> {badges}</p>\
         <p>{name} asks to become a partner of your organization. As your partner it will see your \
         organization on its customer dashboard; you can remove it at any time.</p>\
         <section id=\"sign-in\" hidden><h2>Sign in</h2>\
         <p>Sign in as a full administrator of the organization you want to connect.</p>\
         <div id=\"local-sign-in\" hidden><label>Email <input id=\"email\" type=\"email\" autocomplete=\"email\"></label>\
         <button id=\"sign-in-button\" type=\"button\">Sign in</button></div>\
         <p id=\"hosted-sign-in\" hidden><a id=\"sign-in-link\" href=\"#\">Sign in</a></p></section>\
         <section id=\"choose\" hidden><h2>Choose your organization</h2>\
         <label>Organization <select id=\"org\"></select></label>\
         <button id=\"accept\" type=\"button\">Accept and connect</button>\
         <p><button id=\"sign-out\" type=\"button\" class=\"link\">Sign in as someone else</button></p></section>\
         <p id=\"result\" role=\"status\" aria-live=\"polite\"></p>",
        name = escape_html(&partner.name),
        id = escape_html(partner.org_id.as_str()),
    );
    let accept_path = invitation
        .accept_url
        .find("/v1/invite/")
        .map_or(invitation.accept_url.as_str(), |at| &invitation.accept_url[at..]);
    let page_config = serde_json::json!({
        "partner_name": partner.name,
        "accept_path": accept_path,
        "sign_in_url": config.sign_in_url,
        "local_token_path": config.local_token_path,
    });
    html(200, &format!("Connect to {}", partner.name), &main, Some(script_json(&page_config)))
}

pub fn unknown_link_page() -> ApiResponse {
    html(
        404,
        "Invitation not found",
        "<h1>This invitation link is not valid</h1><p>Ask your partner for its current invitation link.</p>",
        None,
    )
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
        assert!(CONTENT_SECURITY_POLICY.contains(&csp_hash(SCRIPT)));
        assert!(CONTENT_SECURITY_POLICY.contains("default-src 'none'"));
    }
}
