//! The local stand-in for the Cognito JWT authorizer: HS256 tokens signed with
//! `LOCAL_JWT_SECRET`, claims `sub`, `email`, `exp` and an optional `scope`.

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
}
