//! The partner's customer dashboard: its customers, and one customer's detail.

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::dashboard;
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "GET /v1/orgs/{org_id}/customers" => {
            let partner = call.org_id_param("org_id")?;
            let list = dashboard::customers(
                &app.dashboard_ports(),
                call.caller()?,
                &partner,
                &call.page()?,
                call.query("service"),
            )
            .await?;
            Ok(ApiResponse::ok(&list))
        }
        "GET /v1/orgs/{org_id}/customers/{customer_id}" => {
            let (partner, customer) = (call.org_id_param("org_id")?, call.org_id_param("customer_id")?);
            let detail =
                dashboard::customer(&app.dashboard_ports(), call.caller()?, &partner, &customer).await?;
            Ok(ApiResponse::ok(&detail))
        }
        other => Err(AppError::not_found(format!("customer-dashboard does not serve {other}"))),
    }
}
