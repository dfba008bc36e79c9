//! Passing one HTTP call on to another server as it came, and its answer back: the
//! SES recorder in front of moto, and the tests' fault-injecting proxy.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// The upstream's answer, read whole.
pub struct Relayed {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `method url` with the caller's headers (but the ones the new hop sets
/// itself) and body; a server that cannot be reached is a 502 answer.
pub async fn relay(
    http: &reqwest::Client,
    method: Method,
    url: String,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Relayed, Response> {
    let mut request = http.request(method, url).body(body);
    for (name, value) in headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = request
        .send()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, format!("upstream: {e}")).into_response())?;
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.unwrap_or_default();
    Ok(Relayed { status, headers, body })
}

impl IntoResponse for Relayed {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        for (name, value) in &self.headers {
            if name != "content-length" && name != "transfer-encoding" && name != "connection" {
                response.headers_mut().append(name, value.clone());
            }
        }
        response
    }
}
