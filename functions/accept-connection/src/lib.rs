//! Connections: accept an invitation, remove a connection from either side, and the
//! customer's list of partners.

use lambda_http::{Body, Request, Response};
use partner_hub::domain::RemovedBy;
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::connections::{self, Accepted};
use partner_hub::App;
use serde_json::json;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "POST /v1/invite/{code}/accept" => {
            let caller = call.caller()?;
            let code = call.path_param("code")?;
            let accepted =
                connections::accept_invitation(&app.connection_ports(), caller, code, call.json()?).await?;
            Ok(match accepted {
                Accepted::Created(c) => ApiResponse::created(&json!({"connection": c})),
                Accepted::AlreadyActive(c) => ApiResponse::ok(&json!({"connection": c})),
            })
        }
        "DELETE /v1/orgs/{org_id}/customers/{customer_id}" => {
            let (partner, customer) = (call.org_id_param("org_id")?, call.org_id_param("customer_id")?);
            connections::remove_connection(
                &app.connection_ports(),
                call.caller()?,
                &partner,
                &customer,
                RemovedBy::Partner,
            )
            .await?;
            Ok(ApiResponse::no_content())
        }
        "DELETE /v1/orgs/{org_id}/partners/{partner_id}" => {
            let (customer, partner) = (call.org_id_param("org_id")?, call.org_id_param("partner_id")?);
            connections::remove_connection(
                &app.connection_ports(),
                call.caller()?,
                &partner,
                &customer,
                RemovedBy::Customer,
            )
            .await?;
            Ok(ApiResponse::no_content())
        }
        "GET /v1/orgs/{org_id}/partners" => {
            let customer = call.org_id_param("org_id")?;
            let page = connections::partners_of(
                &app.store,
                &app.store,
                app.clock.as_ref(),
                call.caller()?,
                &customer,
                &call.page()?,
            )
            .await?;
            Ok(ApiResponse::ok(&page))
        }
        other => Err(AppError::not_found(format!("accept-connection does not serve {other}"))),
    }
}
