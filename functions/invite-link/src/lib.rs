//! The partner's invitation link, the page a customer opens from it, and emailing it.

mod page;

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::invitations;
use partner_hub::App;
use serde_json::json;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    let base_url = &app.config.public_base_url;
    match call.route_key.as_str() {
        "GET /v1/orgs/{org_id}/invite-link" => {
            let partner = call.org_id_param("org_id")?;
            let link = invitations::invite_link(
                &app.store,
                &app.store,
                app.ids.as_ref(),
                app.clock.as_ref(),
                call.caller()?,
                &partner,
                base_url,
            )
            .await?;
            Ok(ApiResponse::ok(&link))
        }
        "POST /v1/orgs/{org_id}/invite-link/emails" => {
            let partner = call.org_id_param("org_id")?;
            let email = invitations::email_invite_link(
                &app.email_invite_ports(),
                call.caller()?,
                &partner,
                call.json()?,
                base_url,
            )
            .await?;
            Ok(ApiResponse::json(202, &json!({"email": email})))
        }
        "GET /invite/{code}" => {
            let wants_html = call.header("accept").is_some_and(|a| a.contains("text/html"));
            let opened =
                invitations::open_invitation(&app.store, &app.store, call.path_param("code")?, base_url)
                    .await;
            match (opened, wants_html) {
                (Ok(invitation), true) => Ok(page::accept_page(&invitation, call.path_param("code")?)),
                (Ok(invitation), false) => Ok(ApiResponse::ok(&invitation)),
                (Err(AppError::NotFound(_)), true) => Ok(page::unknown_link_page()),
                (Err(error), _) => Err(error),
            }
        }
        other => Err(AppError::not_found(format!("invite-link does not serve {other}"))),
    }
}
