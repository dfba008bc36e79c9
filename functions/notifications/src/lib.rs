//! Notifications: an org's own, and a partner's view of its customers' notifications.

use lambda_http::{Body, Request, Response};
use partner_hub::error::{AppError, Result};
use partner_hub::http::{self, ApiCall, ApiResponse};
use partner_hub::usecases::notifications;
use partner_hub::App;

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    http::serve(&app.store, app.clock.as_ref(), &app.page_tokens, request, |call| route(app, call)).await
}

async fn route(app: &App, call: ApiCall) -> Result<ApiResponse> {
    match call.route_key.as_str() {
        "GET /v1/orgs/{org_id}/notifications" => {
            let org = call.org_id_param("org_id")?;
            let page = notifications::own(
                &app.store,
                &app.store,
                app.clock.as_ref(),
                call.caller()?,
                &org,
                &call.page()?,
            )
            .await?;
            Ok(ApiResponse::ok(&page))
        }
        "GET /v1/orgs/{org_id}/customer-notifications" => {
            let partner = call.org_id_param("org_id")?;
            let page = notifications::customer_feed(
                &app.feed_ports(),
                call.caller()?,
                &partner,
                call.query("customer_id"),
                &call.page()?,
            )
            .await?;
            Ok(ApiResponse::ok(&page))
        }
        "POST /v1/orgs/{org_id}/customer-notifications/{notification_id}/dismiss" => {
            let partner = call.org_id_param("org_id")?;
            let id = call.path_param("notification_id")?;
            notifications::dismiss(&app.feed_ports(), call.caller()?, &partner, id).await?;
            Ok(ApiResponse::no_content())
        }
        other => Err(AppError::not_found(format!("notifications does not serve {other}"))),
    }
}
