//! Orders and license allocation.

use partner_hub::app::Client;
use partner_hub::domain::scopes;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::licenses;
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "POST /v1/orgs/{org_id}/orders" => post_orders,
    "POST /v1/orgs/{org_id}/license-allocations" => post_license_allocations,
    "GET /v1/orgs/{org_id}/licenses" => get_licenses,
];

async fn post_orders(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let (order, new) =
        licenses::record_order(&app.context(), call.machine(scopes::ORDERS_WRITE)?, &partner, call.json()?)
            .await?;
    Ok(ApiResponse::json(if new { 201 } else { 200 }, &order))
}

async fn post_license_allocations(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let allocation = licenses::allocate(&app.context(), call.caller()?, &partner, call.json()?).await?;
    Ok(ApiResponse::created(&allocation))
}

async fn get_licenses(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let page = licenses::licenses(&app.context(), call.caller()?, &partner, &call.page()?).await?;
    Ok(call.answer_page(&page))
}
