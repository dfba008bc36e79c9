//! On a schedule: rolls every day with new usage records up, and its month.

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::usecases::usage_rollup;
use partner_hub::App;
use serde_json::Value;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

pub async fn handle(app: &App, _schedule: Value) -> Result<Value> {
    let report = usage_rollup::run(&app.context()).await?;
    tracing::info!(days = report.days, months = report.months, "usage rolled up");
    serde_json::to_value(report).map_err(partner_hub::error::AppError::internal)
}
