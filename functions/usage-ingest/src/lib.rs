//! The telemetry feed's door: `POST /v1/usage-records`.

use lambda_http::{Body, Request, Response};
use partner_hub::domain::scopes;
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::usage_ingest;
use partner_hub::App;
use serde_json::json;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "POST /v1/usage-records" => {
            let accepted =
                usage_ingest::ingest(&app.ingest_ports(), call.machine(scopes::USAGE_WRITE)?, call.json()?)
                    .await?;
            Ok(ApiResponse::json(202, &json!({"accepted": accepted})))
        }
        other => Err(AppError::not_found(format!("usage-ingest does not serve {other}"))),
    }
}
