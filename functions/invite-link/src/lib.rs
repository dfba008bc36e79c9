//! The partner's invitation link, the page a customer opens from it, and emailing it.

mod page;

use partner_hub::app::Client;
use partner_hub::error::{AppError, Result};
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::usecases::invitations;
use partner_hub::App;
use serde_json::json;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "GET /v1/orgs/{org_id}/invite-link" => get_invite_link,
    "POST /v1/orgs/{org_id}/invite-link/emails" => post_invite_link_emails,
    "GET /invite/{code}" => get_invite_by_code,
];

async fn get_invite_link(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let base_url = &app.config.public_base_url;
    let partner = call.org_id_param("org_id")?;
    let link = invitations::invite_link(&app.context(), call.caller()?, &partner, base_url).await?;
    Ok(ApiResponse::ok(&link))
}

async fn post_invite_link_emails(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let base_url = &app.config.public_base_url;
    let partner = call.org_id_param("org_id")?;
    let email =
        invitations::email_invite_link(&app.context(), call.caller()?, &partner, call.json()?, base_url)
            .await?;
    Ok(ApiResponse::json(202, &json!({"email": email})))
}

async fn get_invite_by_code(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let base_url = &app.config.public_base_url;
    let wants_html = call.header("accept").is_some_and(|a| a.contains("text/html"));
    let opened = invitations::open_invitation(&app.store, call.path_param("code")?, base_url).await;
    match (opened, wants_html) {
        (Ok(invitation), true) => Ok(page::accept_page(&invitation, call.path_param("code")?)),
        (Ok(invitation), false) => Ok(ApiResponse::ok(&invitation)),
        (Err(AppError::NotFound(_)), true) => Ok(page::unknown_link_page()),
        (Err(error), _) => Err(error),
    }
}
