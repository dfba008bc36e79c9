//! Administrator delegation: invite, accept, list, change, remove.

mod page;

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse, Page};
use partner_hub::usecases::admins;
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "POST /v1/orgs/{org_id}/admin-invitations" => {
            let org = call.org_id_param("org_id")?;
            let invitation = admins::invite(&app.admin_ports(), call.caller()?, &org, call.json()?).await?;
            Ok(ApiResponse::created(&invitation))
        }
        "POST /v1/admin-invitations/{token}/accept" => {
            let accepted =
                admins::accept(&app.admin_ports(), call.caller()?, call.path_param("token")?).await?;
            Ok(ApiResponse::ok(&accepted))
        }
        "GET /v1/orgs/{org_id}/admins" => {
            let org = call.org_id_param("org_id")?;
            let entries = admins::list(&app.admin_ports(), call.caller()?, &org).await?;
            Ok(ApiResponse::ok(&Page::new(entries, None)))
        }
        "PUT /v1/orgs/{org_id}/admins/{email}" => {
            let org = call.org_id_param("org_id")?;
            let changed = admins::change(
                &app.admin_ports(),
                call.caller()?,
                &org,
                call.path_param("email")?,
                call.json()?,
            )
            .await?;
            Ok(ApiResponse::ok(&changed))
        }
        "DELETE /v1/orgs/{org_id}/admins/{email}" => {
            let org = call.org_id_param("org_id")?;
            admins::remove(&app.admin_ports(), call.caller()?, &org, call.path_param("email")?).await?;
            Ok(ApiResponse::no_content())
        }
        "GET /admin-invitations/{token}" => {
            let token = call.path_param("token")?;
            page::page(admins::open_invitation(&app.admin_ports(), token).await, token)
        }
        other => Err(AppError::not_found(format!("admins does not serve {other}"))),
    }
}
