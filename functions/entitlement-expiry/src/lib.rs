//! On a schedule: `EntitlementExpiring` 7 days before a trial or paid term ends and
//! `EntitlementExpired` once it has, each sent once.

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::usecases::entitlement_expiry;
use partner_hub::App;
use serde_json::Value;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

pub async fn handle(app: &App, _schedule: Value) -> Result<Value> {
    let report = entitlement_expiry::run(&app.context()).await?;
    tracing::info!(expiring = report.expiring, expired = report.expired, "entitlement end notices");
    serde_json::to_value(report).map_err(partner_hub::error::AppError::internal)
}
