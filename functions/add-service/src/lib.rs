//! Services and entitlements: the catalog, adding a service, an org's entitlements,
//! and the sales desk's approval or decline of a pending trial.

use partner_hub::app::Client;
use partner_hub::domain::{scopes, CATALOG};
use partner_hub::error::Result;
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::store::Page;
use partner_hub::usecases::services;
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "GET /v1/services" => get_services,
    "POST /v1/orgs/{org_id}/services" => post_services,
    "GET /v1/orgs/{org_id}/entitlements" => get_entitlements,
    "POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/approve" => post_entitlements_by_entitlement_approve,
    "POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/decline" => post_entitlements_by_entitlement_decline,
];

async fn get_services(_app: &App, call: ApiCall) -> Result<ApiResponse> {
    Ok(call.answer_page(&Page::all(CATALOG.to_vec())))
}

async fn post_services(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let entitlement = services::add_service(&app.context(), call.caller()?, &org, call.json()?).await?;
    Ok(ApiResponse::created(&entitlement))
}

async fn get_entitlements(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let list = services::entitlements(&app.context(), call.caller()?, &org).await?;
    Ok(call.answer_page(&Page::all(list)))
}

async fn post_entitlements_by_entitlement_approve(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let desk = call.machine(scopes::TRIALS_APPROVE)?;
    let org = call.org_id_param("org_id")?;
    let id = call.path_param("entitlement_id")?;
    Ok(ApiResponse::ok(&services::approve(&app.context(), desk, &org, id).await?))
}

async fn post_entitlements_by_entitlement_decline(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let desk = call.machine(scopes::TRIALS_APPROVE)?;
    let org = call.org_id_param("org_id")?;
    let id = call.path_param("entitlement_id")?;
    // The body is optional: `{}`, `{"reason": "..."}` or nothing.
    let input = if call.body().iter().all(u8::is_ascii_whitespace) {
        services::Decline::default()
    } else {
        call.json()?
    };
    Ok(ApiResponse::ok(&services::decline(&app.context(), desk, &org, id, input).await?))
}
