//! Service-provider features: a CSP partner's federated domains and their links to
//! customers, a customer's workspace access, and workspace themes.

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse, Page};
use partner_hub::usecases::csp;
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "PUT /v1/orgs/{org_id}/federated-domains/{domain}" => {
            let partner = call.org_id_param("org_id")?;
            let (domain, created) =
                csp::add_domain(&app.csp_ports(), call.caller()?, &partner, call.path_param("domain")?)
                    .await?;
            Ok(if created { ApiResponse::created(&domain) } else { ApiResponse::ok(&domain) })
        }
        "GET /v1/orgs/{org_id}/federated-domains" => {
            let partner = call.org_id_param("org_id")?;
            let domains = csp::domains(&app.csp_ports(), call.caller()?, &partner).await?;
            Ok(ApiResponse::ok(&Page::new(domains, None)))
        }
        "PUT /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}" => {
            let partner = call.org_id_param("org_id")?;
            let customer = customer_param(&call)?;
            csp::link(&app.csp_ports(), call.caller()?, &partner, call.path_param("domain")?, &customer)
                .await?;
            Ok(ApiResponse::no_content())
        }
        "DELETE /v1/orgs/{org_id}/federated-domains/{domain}/customers/{customer_id}" => {
            let partner = call.org_id_param("org_id")?;
            let customer = customer_param(&call)?;
            csp::unlink(&app.csp_ports(), call.caller()?, &partner, call.path_param("domain")?, &customer)
                .await?;
            Ok(ApiResponse::no_content())
        }
        "GET /v1/orgs/{org_id}/workspace-access" => {
            let org = call.org_id_param("org_id")?;
            let domains = csp::workspace_access(&app.csp_ports(), call.caller()?, &org).await?;
            Ok(ApiResponse::ok(&Page::new(domains, None)))
        }
        "GET /v1/orgs/{org_id}/workspace-theme" => {
            let org = call.org_id_param("org_id")?;
            Ok(ApiResponse::ok(&csp::theme(&app.csp_ports(), call.caller()?, &org).await?))
        }
        "PUT /v1/orgs/{org_id}/workspace-theme" => {
            let org = call.org_id_param("org_id")?;
            let theme = csp::set_theme(&app.csp_ports(), call.caller()?, &org, call.json()?).await?;
            Ok(ApiResponse::ok(&theme))
        }
        other => Err(AppError::not_found(format!("csp does not serve {other}"))),
    }
}

/// A customer id that is no ORGID names no connected customer.
fn customer_param(call: &ApiCall) -> Result<partner_hub::domain::OrgId> {
    partner_hub::domain::OrgId::parse(call.path_param("customer_id")?)
        .map_err(|_| AppError::not_found("this customer is not connected to the partner"))
}
