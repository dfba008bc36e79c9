//! The partner's customer dashboard: its customers, and one customer's detail.

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::dashboard;
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "GET /v1/orgs/{org_id}/customers" => get_customers,
    "GET /v1/orgs/{org_id}/customers/{customer_id}" => get_customers_by_customer,
];

async fn get_customers(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let list =
        dashboard::customers(&app.context(), call.caller()?, &partner, &call.page()?, call.query("service"))
            .await?;
    Ok(call.listed(&list, list.next.as_ref()))
}

async fn get_customers_by_customer(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let (partner, customer) = (call.org_id_param("org_id")?, call.org_id_param("customer_id")?);
    let detail = dashboard::customer(&app.context(), call.caller()?, &partner, &customer).await?;
    Ok(ApiResponse::ok(&detail))
}
