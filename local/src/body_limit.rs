//! The contract's body limit at the gateway's door: a body over 64 KiB, of any size,
//! gets the contract's `413 payload_too_large` JSON. The body is read as it
//! arrives and never held past the limit; the rest is read and dropped (bounded)
//! so that the client, still sending, reads the answer rather than a reset.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use partner_hub::error::AppError;

use crate::gateway::error;

/// The contract's limit, the one the functions check too.
pub const MAX_BODY_BYTES: usize = partner_hub::http::MAX_BODY_BYTES;
/// How much of an oversized body is read and dropped before the connection is
/// simply closed.
const DRAIN_BYTES: u64 = 1 << 30;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(30);

fn too_large() -> Response {
    let answer = AppError::PayloadTooLarge;
    error(StatusCode::PAYLOAD_TOO_LARGE, answer.code(), &answer.public_message())
}

/// Reads the rest of a body without keeping it, up to a bound.
async fn drain(mut body: Body) {
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen: u64 = 0;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

/// What reading a body up to the limit came to.
enum Read {
    Whole(Bytes),
    TooLarge(Body),
    Broken,
}

async fn read_limited(mut body: Body, limit: usize) -> Read {
    let mut buffer = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Read::Broken;
        };
        if let Some(data) = frame.data_ref() {
            if buffer.len() + data.len() > limit {
                return Read::TooLarge(body);
            }
            buffer.extend_from_slice(data);
        }
    }
    Read::Whole(Bytes::from(buffer))
}

/// The middleware: every route of the local gateway sits behind it.
pub async fn limit(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let declared =
        parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        // A client waiting for `100 Continue` has sent nothing yet: it gets the answer
        // instead of the go-ahead.
        let waiting = parts
            .headers
            .get(header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if !waiting {
            drain(body).await;
        }
        return too_large();
    }
    match read_limited(body, MAX_BODY_BYTES).await {
        Read::Whole(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Read::TooLarge(rest) => {
            drain(rest).await;
            too_large()
        }
        Read::Broken => {
            error(StatusCode::BAD_REQUEST, "invalid_request", "the request body could not be read")
        }
    }
}
