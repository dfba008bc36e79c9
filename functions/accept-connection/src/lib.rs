//! Connections: accept an invitation, remove a connection from either side, and the
//! customer's list of partners.

use partner_hub::app::Client;
use partner_hub::domain::RemovedBy;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::connections::{self, Accepted};
use partner_hub::App;
use serde_json::json;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "POST /v1/invite/{code}/accept" => post_invite_by_code_accept,
    "DELETE /v1/orgs/{org_id}/customers/{customer_id}" => delete_customers_by_customer,
    "DELETE /v1/orgs/{org_id}/partners/{partner_id}" => delete_partners_by_partner,
    "GET /v1/orgs/{org_id}/partners" => get_partners,
];

async fn post_invite_by_code_accept(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let caller = call.caller()?;
    let code = call.path_param("code")?;
    let accepted = connections::accept_invitation(&app.context(), caller, code, call.json()?).await?;
    Ok(match accepted {
        Accepted::Created(c) => ApiResponse::created(&json!({"connection": c})),
        Accepted::AlreadyActive(c) => ApiResponse::ok(&json!({"connection": c})),
    })
}

async fn delete_customers_by_customer(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let (partner, customer) = (call.org_id_param("org_id")?, call.org_id_param("customer_id")?);
    connections::remove_connection(&app.context(), call.caller()?, &partner, &customer, RemovedBy::Partner)
        .await?;
    Ok(ApiResponse::no_content())
}

async fn delete_partners_by_partner(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let (customer, partner) = (call.org_id_param("org_id")?, call.org_id_param("partner_id")?);
    connections::remove_connection(&app.context(), call.caller()?, &partner, &customer, RemovedBy::Customer)
        .await?;
    Ok(ApiResponse::no_content())
}

async fn get_partners(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let customer = call.org_id_param("org_id")?;
    let page = connections::partners_of(&app.context(), call.caller()?, &customer, &call.page()?).await?;
    Ok(call.answer_page(&page))
}
