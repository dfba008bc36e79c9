//! The `/local/...` routes of the contract; they exist only here, never deployed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::gateway::{error, Gateway};
use crate::{emails, jwt};

/// How long a local token lasts.
const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    scope: Option<String>,
}

const TOKEN_FORMS: &str = "expected {\"email\": ..., \"email_verified\"?: true, \"scope\"?: ...} \
     for a person or {\"scope\": ...} for a machine client";

/// The claims a `/local/token` body asks for, or why it is not a valid request.
/// With an email: a person (`email_verified` defaults to true; a scope only if given).
/// Without one but with a scope: a client-credentials token of the scope's local
/// client. An empty scope counts as none.
fn claims_for(body: &[u8], now: i64) -> Result<Map<String, Value>, String> {
    // Through a Value first: serde would also take a struct from a JSON array.
    let request = match serde_json::from_slice::<Value>(body) {
        Ok(object @ Value::Object(_)) => serde_json::from_value::<TokenRequest>(object),
        Ok(_) => return Err(format!("{TOKEN_FORMS}: the body is not a JSON object")),
        Err(e) => Err(e),
    }
    .map_err(|e| format!("{TOKEN_FORMS}: {e}"))?;
    let scope = request.scope.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (request.email, scope) {
        (Some(email), scope) => {
            let email = partner_hub::domain::Email::parse(&email).map_err(|e| e.to_string())?;
            let verified = request.email_verified.unwrap_or(true);
            Ok(jwt::person_claims(email.as_str(), verified, scope, now, TOKEN_LIFETIME_SECS))
        }
        (None, Some(_)) if request.email_verified.is_some() => {
            Err("email_verified needs an email: a machine client's token carries neither".into())
        }
        (None, Some(scope)) => Ok(jwt::machine_claims(scope, now, TOKEN_LIFETIME_SECS)),
        (None, None) => Err(format!("{TOKEN_FORMS}: give an email, a scope or both")),
    }
}

/// `POST /local/token` → `{"token", "sub"}`: a person's token for `{"email",
/// "email_verified"?, "scope"?}` (the same email always gets the same `sub`, as a user
/// pool would keep it), a machine client's for `{"scope"}`.
pub async fn mint_token(State(gateway): State<Arc<Gateway>>, body: Bytes) -> Response {
    let claims = match claims_for(&body, chrono::Utc::now().timestamp()) {
        Ok(claims) => claims,
        Err(why) => return error(StatusCode::BAD_REQUEST, "invalid_request", &why),
    };
    let token = jwt::mint(&gateway.jwt_secret, &claims);
    (StatusCode::OK, axum::Json(json!({"token": token, "sub": claims["sub"]}))).into_response()
}

/// `GET /local/emails` → `[{to, subject, text, html, sent_at}]`, oldest first: what
/// the local SES accepted, as its catcher kept it (see `emails`).
pub async fn list_emails() -> Response {
    (StatusCode::OK, axum::Json(emails::sent_emails())).into_response()
}

/// `POST /local/schedules/{function}`: runs a function the template schedules now,
/// e.g. `/local/schedules/usage-rollup`.
pub async fn run_schedule(State(gateway): State<Arc<Gateway>>, Path(function): Path<String>) -> Response {
    let Some(handler) = gateway.scheduled.get(&function) else {
        return error(StatusCode::NOT_FOUND, "not_found", &format!("no scheduled function {function}"));
    };
    match handler(crate::bus::schedule_event(&function)).await {
        Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(body: Value) -> Result<Map<String, Value>, String> {
        claims_for(body.to_string().as_bytes(), 1_000)
    }

    #[test]
    fn an_email_is_a_person_verified_unless_told_otherwise() {
        let person = claims(json!({"email": " Ada@Example.com "})).unwrap();
        assert_eq!(person["email"], "ada@example.com");
        assert_eq!(person["sub"], jwt::sub_for("ada@example.com"));
        assert_eq!(person["email_verified"], Value::Bool(true));
        assert!(!person.contains_key("scope"));
        assert_eq!(person["exp"].as_i64(), Some(1_000 + TOKEN_LIFETIME_SECS));

        let unverified = claims(json!({"email": "ada@example.com", "email_verified": false})).unwrap();
        assert_eq!(unverified["email_verified"], Value::Bool(false));
        assert_eq!(unverified["sub"], person["sub"], "verified or not, the same person");
    }

    #[test]
    fn a_person_may_be_given_a_scope_and_stays_a_person() {
        let person = claims(json!({"email": "ada@example.com", "scope": "orders:write"})).unwrap();
        assert_eq!(person["scope"], "orders:write");
        assert_eq!(person["email"], "ada@example.com");
        assert!(!person.contains_key("client_id") && !person.contains_key("token_use"));
        // An empty scope is no scope (and `null`s are absent fields).
        let plain = claims(json!({"email": "ada@example.com", "scope": " "})).unwrap();
        assert!(!plain.contains_key("scope"));
        assert!(!claims(json!({"email": "ada@example.com", "scope": null})).unwrap().contains_key("scope"));
    }

    #[test]
    fn a_scope_alone_is_a_machine_client_without_an_email() {
        for (scope, client) in [
            ("usage:write", "telemetry-feed"),
            ("orders:write", "orders-feed"),
            ("trials:approve", "sales-desk"),
            ("orders:write usage:write", "local-client"),
        ] {
            let machine = claims(json!({"scope": format!(" {scope} ")})).unwrap();
            assert_eq!(machine["sub"], client);
            assert_eq!(machine["client_id"], client);
            assert_eq!(machine["scope"], scope);
            assert_eq!(machine["token_use"], "access");
            assert!(!machine.contains_key("email") && !machine.contains_key("email_verified"));
        }
    }

    #[test]
    fn neither_email_nor_scope_a_bad_email_or_a_stray_field_is_refused() {
        for body in [
            json!({}),
            json!({"scope": ""}),
            json!({"email_verified": true}),
            json!({"scope": "usage:write", "email_verified": false}),
            json!({"email": "not-an-email"}),
            json!({"email": "ada@example.com", "email_verified": "yes"}),
            json!({"email": "ada@example.com", "emailVerified": false}),
            json!(["ada@example.com"]),
        ] {
            assert!(claims(body.clone()).is_err(), "{body}");
        }
        assert!(claims_for(b"{", 1_000).is_err());
    }
}
