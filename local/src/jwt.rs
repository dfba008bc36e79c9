//! The local stand-in for the Cognito JWT authorizer: HS256 tokens signed with
//! `LOCAL_JWT_SECRET`. A person's token carries `sub`, `email`, `email_verified`,
//! `iat`, `exp` (and `scope` only when asked for); a machine's carries what a Cognito
//! client-credentials access token does: `sub` = `client_id`, `scope`,
//! `token_use: "access"`, `iat`, `exp`, and no email.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

pub const DEFAULT_SECRET: &str = "local-dev-secret";
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("hmac takes any key length")
}

/// A stable `sub` per email, as a user pool would keep one per user.
pub fn sub_for(email: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("partner-hub-local:{email}").as_bytes())
        .to_string()
}

/// The local app client a machine token comes from, one per feed as in
/// `template.yaml`: the telemetry feed, the order feed, the sales desk. A scope list of
/// anything else (or of more than one scope) is `local-client`. The deployed form of a
/// scope (`partnerhub/usage:write`) names the same client.
pub fn client_id_for(scope: &str) -> &'static str {
    let mut scopes = scope.split_whitespace();
    let (Some(only), None) = (scopes.next(), scopes.next()) else {
        return "local-client";
    };
    match only.strip_prefix("partnerhub/").unwrap_or(only) {
        "usage:write" => "telemetry-feed",
        "orders:write" => "orders-feed",
        "trials:approve" => "sales-desk",
        _ => "local-client",
    }
}

/// A person's claims: `email` (already normalised by the caller), whether it is
/// verified, and a `scope` only if one is given.
pub fn person_claims(
    email: &str,
    email_verified: bool,
    scope: Option<&str>,
    now: i64,
    lifetime_secs: i64,
) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), sub_for(email).into());
    claims.insert("email".into(), email.into());
    claims.insert("email_verified".into(), email_verified.into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + lifetime_secs).into());
    if let Some(scope) = scope {
        claims.insert("scope".into(), scope.into());
    }
    claims
}

/// A machine's claims, shaped like a Cognito client-credentials access token.
pub fn machine_claims(scope: &str, now: i64, lifetime_secs: i64) -> Map<String, Value> {
    let client_id = client_id_for(scope);
    let mut claims = Map::new();
    claims.insert("sub".into(), client_id.into());
    claims.insert("client_id".into(), client_id.into());
    claims.insert("scope".into(), scope.into());
    claims.insert("token_use".into(), "access".into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + lifetime_secs).into());
    claims
}

pub fn mint(secret: &str, claims: &Map<String, Value>) -> String {
    let header = URL_SAFE_NO_PAD.encode(HEADER);
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string());
    let signing_input = format!("{header}.{payload}");
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// The token's claims, if its signature, algorithm and expiry hold.
pub fn verify(secret: &str, token: &str, now_epoch: i64) -> Result<Map<String, Value>, &'static str> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or("the token is not a JWT")?;
    let (header, payload) = signing_input.split_once('.').ok_or("the token is not a JWT")?;
    if payload.contains('.') {
        return Err("the token is not a JWT");
    }
    let header: Value = decode_json(header).ok_or("the token header is malformed")?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err("the token is not signed with HS256");
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| "the token signature is malformed")?;
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&signature).map_err(|_| "the token signature is invalid")?;
    let claims: Map<String, Value> = decode_json(payload).ok_or("the token payload is malformed")?;
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp > now_epoch => Ok(claims),
        Some(_) => Err("the token has expired"),
        None => Err("the token has no exp claim"),
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Map<String, Value> {
        serde_json::json!({"sub": "s", "email": "a@example.com", "exp": exp}).as_object().cloned().unwrap()
    }

    #[test]
    fn a_minted_token_verifies() {
        let token = mint("k", &claims(2_000));
        assert_eq!(verify("k", &token, 1_000).unwrap()["sub"], "s");
    }

    #[test]
    fn wrong_secret_expired_tampered_and_alg_none_fail() {
        let token = mint("k", &claims(2_000));
        assert!(verify("other", &token, 1_000).is_err());
        assert_eq!(verify("k", &token, 3_000), Err("the token has expired"));
        let (head, _) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin","email":"x@example.com","exp":9999}"#);
        let sig = token.rsplit('.').next().unwrap();
        assert!(verify("k", &format!("{head}.{forged}.{sig}"), 1_000).is_err());
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let payload = token.split('.').nth(1).unwrap();
        assert!(verify("k", &format!("{none}.{payload}."), 1_000).is_err());
        assert!(verify("k", "garbage", 1_000).is_err());
    }

    #[test]
    fn each_feed_scope_has_its_own_client_and_anything_else_is_the_local_client() {
        for (scope, client) in [
            ("usage:write", "telemetry-feed"),
            ("orders:write", "orders-feed"),
            ("trials:approve", "sales-desk"),
            ("partnerhub/orders:write", "orders-feed"),
            (" orders:write ", "orders-feed"),
            ("orders:write usage:write", "local-client"),
            ("admin", "local-client"),
            ("", "local-client"),
        ] {
            assert_eq!(client_id_for(scope), client, "{scope:?}");
        }
    }

    #[test]
    fn a_person_has_a_stable_sub_a_boolean_email_verified_and_a_scope_only_if_asked() {
        let claims = person_claims("ada@example.com", false, None, 1_000, 60);
        assert_eq!(claims["sub"], sub_for("ada@example.com"));
        assert_eq!(claims["sub"], person_claims("ada@example.com", true, None, 5, 5)["sub"]);
        assert_ne!(claims["sub"], sub_for("bob@example.com"));
        assert_eq!(claims["email"], "ada@example.com");
        assert_eq!(claims["email_verified"], Value::Bool(false));
        assert_eq!((claims["iat"].as_i64(), claims["exp"].as_i64()), (Some(1_000), Some(1_060)));
        assert!(!claims.contains_key("scope") && !claims.contains_key("token_use"));

        let scoped = person_claims("ada@example.com", true, Some("orders:write"), 1_000, 60);
        assert_eq!(scoped["email_verified"], Value::Bool(true));
        assert_eq!(scoped["scope"], "orders:write");
    }

    #[test]
    fn a_machine_is_its_client_with_a_scope_and_no_email() {
        let claims = machine_claims("usage:write", 1_000, 60);
        assert_eq!(claims["sub"], "telemetry-feed");
        assert_eq!(claims["client_id"], "telemetry-feed");
        assert_eq!(claims["scope"], "usage:write");
        assert_eq!(claims["token_use"], "access");
        assert_eq!(claims["exp"].as_i64(), Some(1_060));
        assert!(!claims.contains_key("email") && !claims.contains_key("email_verified"));
        let token = mint("k", &claims);
        assert_eq!(verify("k", &token, 1_000).unwrap(), claims);
    }
}
