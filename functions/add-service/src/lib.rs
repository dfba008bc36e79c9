//! Services and entitlements: the catalog, adding a service, an org's entitlements,
//! and the sales desk's approval or decline of a pending trial.

use lambda_http::{Body, Request, Response};
use partner_hub::domain::{scopes, CATALOG};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse, Page};
use partner_hub::usecases::services;
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "GET /v1/services" => Ok(ApiResponse::ok(&Page::new(CATALOG.to_vec(), None))),
        "POST /v1/orgs/{org_id}/services" => {
            let org = call.org_id_param("org_id")?;
            let entitlement =
                services::add_service(&app.service_ports(), call.caller()?, &org, call.json()?).await?;
            Ok(ApiResponse::created(&entitlement))
        }
        "GET /v1/orgs/{org_id}/entitlements" => {
            let org = call.org_id_param("org_id")?;
            let list = services::entitlements(&app.service_ports(), call.caller()?, &org).await?;
            Ok(ApiResponse::ok(&Page::new(list, None)))
        }
        "POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/approve" => {
            let desk = call.machine(scopes::TRIALS_APPROVE)?;
            let org = call.org_id_param("org_id")?;
            let id = call.path_param("entitlement_id")?;
            Ok(ApiResponse::ok(&services::approve(&app.service_ports(), desk, &org, id).await?))
        }
        "POST /v1/orgs/{org_id}/entitlements/{entitlement_id}/decline" => {
            let desk = call.machine(scopes::TRIALS_APPROVE)?;
            let org = call.org_id_param("org_id")?;
            let id = call.path_param("entitlement_id")?;
            // The body is optional: `{}`, `{"reason": "..."}` or nothing.
            let input = if call.body().iter().all(u8::is_ascii_whitespace) {
                services::Decline::default()
            } else {
                call.json()?
            };
            Ok(ApiResponse::ok(&services::decline(&app.service_ports(), desk, &org, id, input).await?))
        }
        other => Err(AppError::not_found(format!("add-service does not serve {other}"))),
    }
}
