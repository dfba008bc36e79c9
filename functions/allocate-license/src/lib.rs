//! Orders and license allocation.

use lambda_http::{Body, Request, Response};
use partner_hub::domain::scopes;
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::licenses;
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "POST /v1/orgs/{org_id}/orders" => {
            let partner = call.org_id_param("org_id")?;
            let (order, new) = licenses::record_order(
                &app.license_ports(),
                call.machine(scopes::ORDERS_WRITE)?,
                &partner,
                call.json()?,
            )
            .await?;
            Ok(ApiResponse::json(if new { 201 } else { 200 }, &order))
        }
        "POST /v1/orgs/{org_id}/license-allocations" => {
            let partner = call.org_id_param("org_id")?;
            let allocation =
                licenses::allocate(&app.license_ports(), call.caller()?, &partner, call.json()?).await?;
            Ok(ApiResponse::created(&allocation))
        }
        "GET /v1/orgs/{org_id}/licenses" => {
            let partner = call.org_id_param("org_id")?;
            let page =
                licenses::licenses(&app.license_ports(), call.caller()?, &partner, &call.page()?).await?;
            Ok(ApiResponse::ok(&page))
        }
        other => Err(AppError::not_found(format!("allocate-license does not serve {other}"))),
    }
}
