//! Support tickets: `POST`/`GET /v1/orgs/{org_id}/support-tickets` and
//! `POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close`.

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::support;
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "POST /v1/orgs/{org_id}/support-tickets" => post_support_tickets,
    "GET /v1/orgs/{org_id}/support-tickets" => get_support_tickets,
    "POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close" => post_support_tickets_by_ticket_close,
];

async fn post_support_tickets(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let ticket = support::open(&app.context(), call.caller()?, &org, call.json()?).await?;
    Ok(ApiResponse::created(&ticket))
}

async fn get_support_tickets(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let page = call.page()?;
    let list = support::list(&app.context(), call.caller()?, &org, call.query("status"), &page).await?;
    Ok(call.answer_page(&list))
}

async fn post_support_tickets_by_ticket_close(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let ticket_id = call.path_param("ticket_id")?;
    let ticket = support::close(&app.context(), call.caller()?, &org, ticket_id).await?;
    Ok(ApiResponse::ok(&ticket))
}
