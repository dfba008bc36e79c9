use std::time::Duration;

use lambda_http::{Body, Response};
use serde::Serialize;

use crate::error::AppError;

/// What a route answers, before it becomes an HTTP response. Kept as text so an
/// idempotent replay can store and return it byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl ApiResponse {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        match serde_json::to_string(value) {
            Ok(body) => Self::text(status, "application/json", body),
            Err(e) => Self::from_error(&AppError::internal(format!("serialising response: {e}")), ""),
        }
    }

    pub fn ok<T: Serialize>(value: &T) -> Self {
        Self::json(200, value)
    }

    pub fn created<T: Serialize>(value: &T) -> Self {
        Self::json(201, value)
    }

    pub fn no_content() -> Self {
        Self::text(204, "application/json", String::new())
    }

    pub fn text(status: u16, content_type: &str, body: String) -> Self {
        Self { status, content_type: content_type.to_string(), body, headers: Vec::new() }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The contract's error shape; the one place an [`AppError`] becomes an answer.
    pub fn from_error(error: &AppError, request_id: &str) -> Self {
        super::log_error(error, request_id);
        let body = serde_json::json!({
            "error": { "code": error.code(), "message": error.public_message() }
        });
        let response = Self::text(error.status(), "application/json", body.to_string());
        match error.retry_after() {
            Some(after) => response.with_header("retry-after", retry_after_secs(after)),
            None => response,
        }
    }

    pub fn into_http(self) -> Response<Body> {
        let mut builder = Response::builder()
            .status(self.status)
            .header("content-type", &self.content_type)
            .header("cache-control", "no-store");
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let body = if self.body.is_empty() { Body::Empty } else { Body::Text(self.body) };
        builder.body(body).unwrap_or_else(|_| {
            let mut fallback = Response::new(Body::Text(
                r#"{"error":{"code":"internal","message":"invalid response header"}}"#.into(),
            ));
            *fallback.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
    }
}

fn retry_after_secs(after: Duration) -> String {
    after.as_secs().max(1).to_string()
}
