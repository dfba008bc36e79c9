//! The `/local/...` routes of the contract; they exist only here, never deployed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::gateway::{error, Gateway};
use crate::{emails, jwt};

/// How long a local token lasts.
const TOKEN_LIFETIME_SECS: i64 = 12 * 3600;

#[derive(Deserialize)]
struct TokenRequest {
    email: String,
    #[serde(default)]
    scope: Option<String>,
}

/// `POST /local/token {"email", "scope"?}` → `{"token"}`; the same email always gets
/// the same `sub`, as a user pool would keep it.
pub async fn mint_token(State(gateway): State<Arc<Gateway>>, body: Bytes) -> Response {
    let request: TokenRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("expected {{\"email\": ...}}: {e}"),
            )
        }
    };
    let email = match partner_hub::domain::Email::parse(&request.email) {
        Ok(email) => email,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string()),
    };
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": jwt::sub_for(email.as_str()),
        "email": email.as_str(),
        "iat": now,
        "exp": now + TOKEN_LIFETIME_SECS,
    });
    if let (Some(scope), Some(map)) = (request.scope.filter(|s| !s.is_empty()), claims.as_object_mut()) {
        map.insert("scope".into(), scope.into());
    }
    let token =
        jwt::mint(&gateway.jwt_secret, claims.as_object().cloned().as_ref().unwrap_or(&Default::default()));
    (StatusCode::OK, axum::Json(json!({"token": token, "sub": claims["sub"]}))).into_response()
}

/// `GET /local/emails` → `[{to, subject, text, html, sent_at}]`, oldest first.
pub async fn list_emails(State(gateway): State<Arc<Gateway>>) -> Response {
    match emails::sent_emails(&gateway.http, &gateway.moto_endpoint).await {
        Ok(list) => (StatusCode::OK, axum::Json(list)).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &e),
    }
}

/// `POST /local/schedules/{function}`: runs a scheduled function now, e.g.
/// `/local/schedules/usage-rollup` or `/local/schedules/outbox-relay`.
pub async fn run_schedule(State(gateway): State<Arc<Gateway>>, Path(function): Path<String>) -> Response {
    let Some(handler) = gateway.event_handlers.get(&function) else {
        return error(StatusCode::NOT_FOUND, "not_found", &format!("no scheduled function {function}"));
    };
    match handler(crate::bus::schedule_event(&function)).await {
        Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e),
    }
}
