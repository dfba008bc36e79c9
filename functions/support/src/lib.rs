//! Support tickets: `POST`/`GET /v1/orgs/{org_id}/support-tickets` and
//! `POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close`.

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::support;
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "POST /v1/orgs/{org_id}/support-tickets" => {
            let org = call.org_id_param("org_id")?;
            let ticket = support::open(&app.support_ports(), call.caller()?, &org, call.json()?).await?;
            Ok(ApiResponse::created(&ticket))
        }
        "GET /v1/orgs/{org_id}/support-tickets" => {
            let org = call.org_id_param("org_id")?;
            let page = call.page()?;
            let list = support::list(&app.support_ports(), call.caller()?, &org, call.query("status"), &page)
                .await?;
            Ok(ApiResponse::ok(&list))
        }
        "POST /v1/orgs/{org_id}/support-tickets/{ticket_id}/close" => {
            let org = call.org_id_param("org_id")?;
            let ticket_id = call.path_param("ticket_id")?;
            let ticket = support::close(&app.support_ports(), call.caller()?, &org, ticket_id).await?;
            Ok(ApiResponse::ok(&ticket))
        }
        other => Err(AppError::not_found(format!("support does not serve {other}"))),
    }
}
