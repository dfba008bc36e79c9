//! The contract's conventions, once, for every route: the caller's identity from the
//! authorizer's claims, the 64 KiB body limit, JSON errors, `Idempotency-Key` replay,
//! pagination and the one log line per request.

mod call;
pub mod idempotency;
pub mod page;
pub mod pagination;
mod response;

use std::future::Future;
use std::time::Instant;

use lambda_http::{Body, Request, Response};

pub use call::{ApiCall, MAX_BODY_BYTES};
pub use pagination::PageTokenKey;
pub use response::ApiResponse;

use crate::domain::Clock;
use crate::error::{AppError, Result};
use crate::store::DynamoStore;

/// Runs one API request through the shared conventions and `route`, which turns the
/// call into a use-case call and its result into an [`ApiResponse`]; `page_tokens`
/// seals and opens its lists' `next_token`s.
pub async fn serve<F, Fut>(
    idempotency: &DynamoStore,
    clock: &dyn Clock,
    page_tokens: &PageTokenKey,
    request: Request,
    route: F,
) -> Response<Body>
where
    F: FnOnce(ApiCall) -> Fut,
    Fut: Future<Output = Result<ApiResponse>>,
{
    let started = Instant::now();
    let call = ApiCall::from_request(request, page_tokens);
    let request_id = call.request_id.clone();
    let route_key = call.route_key.clone();

    let result = match call.check_body_size().and_then(|()| call.check_query()) {
        Err(error) => Err(error),
        Ok(()) => match idempotency::key_of(&call) {
            Err(error) => Err(error),
            Ok(None) => route(call).await,
            Ok(Some(key)) => idempotency::run_once(idempotency, clock, key, call, route).await,
        },
    };
    let response = result.unwrap_or_else(|error| ApiResponse::from_error(&error, &request_id));
    tracing::info!(
        request_id = %request_id,
        route = %route_key,
        status = response.status,
        duration_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response.into_http()
}

/// Logs what the caller will not see, and is the one place that happens.
pub fn log_error(error: &AppError, request_id: &str) {
    match error {
        AppError::Internal(detail) => {
            tracing::error!(request_id = %request_id, detail = %detail, "internal error")
        }
        AppError::Unavailable { .. } => {
            tracing::warn!(request_id = %request_id, "dependency unavailable")
        }
        _ => {}
    }
}
