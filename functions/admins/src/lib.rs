//! Administrator delegation: invite, accept, list, change, remove.

mod page;

use partner_hub::app::Client;
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::store::Page;
use partner_hub::usecases::admins;
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "POST /v1/orgs/{org_id}/admin-invitations" => post_admin_invitations,
    "POST /v1/admin-invitations/{token}/accept" => post_admin_invitations_by_token_accept,
    "GET /v1/orgs/{org_id}/admins" => get_admins,
    "PUT /v1/orgs/{org_id}/admins/{email}" => put_admins_by_email,
    "DELETE /v1/orgs/{org_id}/admins/{email}" => delete_admins_by_email,
    "GET /admin-invitations/{token}" => get_admin_invitations_by_token,
];

async fn post_admin_invitations(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let invitation = admins::invite(&app.context(), call.caller()?, &org, call.json()?).await?;
    Ok(ApiResponse::created(&invitation))
}

async fn post_admin_invitations_by_token_accept(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let accepted = admins::accept(&app.context(), call.caller()?, call.path_param("token")?).await?;
    Ok(ApiResponse::ok(&accepted))
}

async fn get_admins(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let entries = admins::list(&app.context(), call.caller()?, &org).await?;
    Ok(call.answer_page(&Page::all(entries)))
}

async fn put_admins_by_email(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let changed =
        admins::change(&app.context(), call.caller()?, &org, call.path_param("email")?, call.json()?).await?;
    Ok(ApiResponse::ok(&changed))
}

async fn delete_admins_by_email(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    admins::remove(&app.context(), call.caller()?, &org, call.path_param("email")?).await?;
    Ok(ApiResponse::no_content())
}

async fn get_admin_invitations_by_token(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let token = call.path_param("token")?;
    page::page(admins::open_invitation(&app.context(), token).await, token)
}
