//! Service-provider features: a CSP partner's federated domains and their links to
//! customers, a customer's workspace access, and workspace themes.

use partner_hub::app::Client;
use partner_hub::error::{AppError, Result};
use partner_hub::http::{ApiCall, ApiResponse};
use partner_hub::runtime::Route;
use partner_hub::store::Page;
use partner_hub::usecases::csp;
use partner_hub::App;

/// The AWS clients this function calls: built and warmed up at init, the only ones
/// it links.
pub const CLIENTS: &[Client] = &[Client::TABLE];

/// The routes this function answers, as `template.yaml` lists them.
pub const ROUTES: &[Route] = partner_hub::routes![
    "PUT /v1/orgs/{org_id}/federated-domains/{domain}" => put_federated_domains_by_domain,
    "GET /v1/orgs/{org_id}/federated-domains" => get_federated_domains,
    "PUT /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}" => put_federated_domains_by_domain_customers_by_customer,
    "DELETE /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}" => delete_federated_domains_by_domain_customers_by_customer,
    "GET /v1/orgs/{org_id}/workspace-access" => get_workspace_access,
    "GET /v1/orgs/{org_id}/workspace-theme" => get_workspace_theme,
    "PUT /v1/orgs/{org_id}/workspace-theme" => put_workspace_theme,
];

async fn put_federated_domains_by_domain(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let (domain, created) =
        csp::add_domain(&app.context(), call.caller()?, &partner, call.path_param("domain")?).await?;
    Ok(if created { ApiResponse::created(&domain) } else { ApiResponse::ok(&domain) })
}

async fn get_federated_domains(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let domains = csp::domains(&app.context(), call.caller()?, &partner).await?;
    Ok(call.answer_page(&Page::all(domains)))
}

async fn put_federated_domains_by_domain_customers_by_customer(
    app: &App,
    call: ApiCall,
) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let customer = customer_param(&call)?;
    csp::link(&app.context(), call.caller()?, &partner, call.path_param("domain")?, &customer).await?;
    Ok(ApiResponse::no_content())
}

async fn delete_federated_domains_by_domain_customers_by_customer(
    app: &App,
    call: ApiCall,
) -> Result<ApiResponse> {
    let partner = call.org_id_param("org_id")?;
    let customer = customer_param(&call)?;
    csp::unlink(&app.context(), call.caller()?, &partner, call.path_param("domain")?, &customer).await?;
    Ok(ApiResponse::no_content())
}

async fn get_workspace_access(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let domains = csp::workspace_access(&app.context(), call.caller()?, &org).await?;
    Ok(call.answer_page(&Page::all(domains)))
}

async fn get_workspace_theme(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    Ok(ApiResponse::ok(&csp::theme(&app.context(), call.caller()?, &org).await?))
}

async fn put_workspace_theme(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let org = call.org_id_param("org_id")?;
    let theme = csp::set_theme(&app.context(), call.caller()?, &org, call.json()?).await?;
    Ok(ApiResponse::ok(&theme))
}

/// A customer id that is no ORGID names no connected customer.
fn customer_param(call: &ApiCall) -> Result<partner_hub::domain::OrgId> {
    partner_hub::domain::OrgId::parse(call.path_param("customer_id")?).map_err(|_| AppError::not_connected())
}
