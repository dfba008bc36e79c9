//! The telemetry feed's door: `POST /v1/usage-records`.

use partner_hub::app::Client;
use partner_hub::domain::scopes;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::usage_ingest;
use partner_hub::App;
use serde_json::json;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "POST /v1/usage-records" => post_usage_records,
];

async fn post_usage_records(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let accepted = usage_ingest::ingest(
        &app.context(),
        &app.user_hasher,
        call.machine(scopes::USAGE_WRITE)?,
        call.json()?,
    )
    .await?;
    Ok(ApiResponse::json(202, &json!({"accepted": accepted})))
}
